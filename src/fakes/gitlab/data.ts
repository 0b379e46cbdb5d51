/**
 * Everything the fake GitLab stores for its one project, with GitLab-style id counters
 * and lookups that answer GitLab's 404s.
 */
import { notFound } from './http/errors.ts';
import type { Job, MergeRequest, Pipeline, Project, TokenRecord, User } from './model.ts';
import type { RepositoryStore } from './repository/store.ts';

type IdKind = 'mergeRequest' | 'note' | 'pipeline' | 'job' | 'hook';

export class GitLabData {
  readonly mergeRequests: MergeRequest[] = [];
  readonly pipelines: Pipeline[] = [];
  /** The project's people besides the bot (driver.addUser). */
  readonly people: User[] = [];
  /** The bot's token: its scopes and expiry (driver.setToken changes them). */
  botToken: TokenRecord = { id: 1, name: 'portcullis', scopes: ['api'], expiresAt: null };
  /** The bot's role in the project (40 Maintainer); null when it is no member. People are Developers (30). */
  botAccessLevel: number | null = 40;
  // Distinct ranges make a job id passed where a pipeline id belongs fail loudly in tests.
  private readonly counters: Record<IdKind, number> = { mergeRequest: 100, note: 300, pipeline: 1000, job: 5000, hook: 0 };

  constructor(
    readonly baseUrl: string,
    readonly project: Project,
    readonly user: User,
    readonly repo: RepositoryStore,
  ) {}

  /** The token record of a user's token: the bot's own, or a person's (`api`, never expiring). */
  tokenOf(user: User): TokenRecord {
    return user === this.user ? this.botToken : { id: 1000 + user.id, name: user.username, scopes: ['api'], expiresAt: null };
  }

  accessLevelOf(user: User): number | null {
    return user === this.user ? this.botAccessLevel : 30;
  }

  nextId(kind: IdKind): number {
    return ++this.counters[kind];
  }

  /** `:id` in a path: the numeric id or the URL-decoded `group/app` path. */
  requireProject(idOrPath: string | undefined): Project {
    if (idOrPath === String(this.project.id) || idOrPath === this.project.pathWithNamespace) return this.project;
    throw notFound('Project');
  }

  requirePipeline(id: string | number | undefined): Pipeline {
    const pipeline = this.pipelines.find((p) => String(p.id) === String(id));
    if (!pipeline) throw notFound();
    return pipeline;
  }

  findJob(id: string | number | undefined): { job: Job; pipeline: Pipeline } | undefined {
    for (const pipeline of this.pipelines) {
      const job = pipeline.jobs.find((j) => String(j.id) === String(id));
      if (job) return { job, pipeline };
    }
    return undefined;
  }

  requireJob(id: string | number | undefined): { job: Job; pipeline: Pipeline } {
    const found = this.findJob(id);
    if (!found) throw notFound();
    return found;
  }

  requireMergeRequest(iid: string | number | undefined): MergeRequest {
    const mr = this.mergeRequests.find((m) => String(m.iid) === String(iid));
    if (!mr) throw notFound();
    return mr;
  }

  /** The sha an MR shows: its source branch head while it exists, else the frozen one. */
  mergeRequestSha(mr: MergeRequest): string | null {
    return this.repo.branchHead(mr.sourceBranch)?.id ?? mr.frozenSha;
  }

  /** The newest pipeline of a ref (and commit); a child pipeline is never a ref's or a merge request's pipeline. */
  latestPipelineFor(ref: string, sha?: string): Pipeline | undefined {
    return [...this.pipelines].reverse().find((p) => p.source !== 'parent_pipeline' && p.ref === ref && (sha === undefined || p.sha === sha));
  }

  webUrl(path: string): string {
    return `${this.project.webUrl}/-/${path}`;
  }
}
