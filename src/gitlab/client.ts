/**
 * VcsPort over @gitbeaker/rest: the handful of GitLab calls the bot makes, their answers
 * mapped to the port's types, every failure turned into a VcsError that names the
 * action. How long a call may take and what is retried is decided in requester.ts.
 */
import { Gitlab } from '@gitbeaker/rest';
import type { CommitInfo, JobInfo, MergeRequestInfo, PipelineInfo, VcsPerson, VcsPort } from '../core/ports.ts';
import type { Logger } from '../log.ts';
import { decodeText } from '../domain/text.ts';
import { GitLabHttpFailure, toVcsError } from './errors.ts';
import { boundedRequesterFn, type RequestPolicy } from './requester.ts';
import { knownStatus } from './status.ts';

export interface GitLabVcsOptions {
  /** Instance base URL, e.g. https://gitlab.example.com (the API is under /api/v4). */
  url: string;
  token: string;
  /** Numeric project id or its full path ("group/project"). */
  project: number | string;
  logger?: Pick<Logger, 'warn'>;
  /** Overrides of the defaults below (tests shorten them). */
  policy?: Partial<RequestPolicy>;
}

/** 10 s per call; a read may be retried twice (0.2 s, 0.4 s) inside those 10 s. */
export const DEFAULT_POLICY: RequestPolicy = { timeoutMs: 10_000, readRetries: 2, baseDelayMs: 200, maxDelayMs: 2_000 };

/**
 * gitbeaker bounded by the request policy, with `call` (a failure becomes a VcsError
 * naming the action, the token redacted) and `orNull` (GitLab's 404 meaning "none").
 */
export function openGitLabApi(options: GitLabVcsOptions) {
  const policy = { ...DEFAULT_POLICY, ...options.policy };
  const api = new Gitlab({
    host: options.url,
    token: options.token,
    queryTimeout: policy.timeoutMs,
    requesterFn: boundedRequesterFn(policy, (notice) => options.logger?.warn({ gitlab: notice }, 'retrying a GitLab read')),
  });
  async function call<T>(action: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw toVcsError(action, err, [options.token]);
    }
  }
  const orNull = <T>(action: string, run: () => Promise<T>) =>
    call(action, async () => {
      try {
        return await run();
      } catch (err) {
        if (err instanceof GitLabHttpFailure && err.status === 404) return null;
        throw err;
      }
    });
  return { api, call, orNull };
}

/** One page is plenty for "recent pipelines of a branch" (reconciliation). */
const RECENT_PIPELINES = 20;
const MR_STATES = new Set<MergeRequestInfo['state']>(['opened', 'closed', 'merged', 'locked']);

export function createGitLabVcs(options: GitLabVcsOptions): VcsPort {
  const { api, call, orNull } = openGitLabApi(options);
  const pid = options.project;

  // The bot's own user never changes while it runs: asked once (again after a failure).
  let self: Promise<VcsPerson & { commitEmail: string | null }> | null = null;
  const defaultBranch = () => call('reading the project', async () => (await api.Projects.show(pid)).default_branch as string);

  return {
    botUser: () => {
      self ??= call('reading the bot\'s own GitLab user', async () => {
        const u = (await api.Users.showCurrentUser()) as unknown as RawUser & { commit_email?: string | null };
        return { ...toPerson(u, u.email ?? null), commitEmail: u.commit_email ?? null };
      });
      self.catch(() => (self = null));
      return self;
    },

    pipelineUser: (pipelineId) =>
      call(`reading who started pipeline ${pipelineId}`, async () => {
        const p = (await api.Pipelines.show(pid, pipelineId)) as unknown as { user?: RawUser | null };
        if (!p.user || typeof p.user.id !== 'number') return null;
        // The pipeline names its user without an email; the user's profile gives the public
        // one (an administrator's token sees the primary email as `email`).
        const profile = (await api.Users.show(p.user.id)) as unknown as RawUser & { public_email?: string | null };
        const email = nonEmpty(profile.email) ?? nonEmpty(profile.public_email);
        return toPerson(p.user, email);
      }),

    commitsNotOnDefault: (sha) =>
      call(`listing the commits of ${sha.slice(0, 8)} not on the default branch`, async () => {
        // GET /repository/compare?from=<default>&to=<sha>: the commits `to` has since the merge base.
        const compare = (await api.Repositories.compare(pid, (await api.Projects.show(pid)).default_branch as string, sha)) as unknown as { commits?: RawCommit[] };
        return (compare.commits ?? []).map(toCommit);
      }),

    defaultBranch,

    createBranch: (branch, ref) =>
      call(`creating branch ${branch}`, async () => {
        await api.Branches.create(pid, branch, ref);
      }),

    commitFiles: (branch, message, actions) =>
      call(`committing to ${branch}`, async () => {
        const commit = await api.Commits.create(
          pid,
          branch,
          message,
          actions.map((a) => ({ action: a.action, filePath: a.path, ...(a.content === undefined ? {} : { content: a.content, encoding: 'text' as const }) })),
        );
        return { sha: commit.id as string };
      }),

    createMergeRequest: (mr) =>
      call(`opening a merge request from ${mr.sourceBranch}`, async () =>
        toMergeRequest(await api.MergeRequests.create(pid, mr.sourceBranch, mr.targetBranch, mr.title, { description: mr.description, removeSourceBranch: true })),
      ),

    createPipeline: (ref) => call(`starting a pipeline on ${ref}`, async () => toPipeline(await api.Pipelines.create(pid, ref))),

    listFiles: (ref, dir) =>
      call(`listing ${dir} at ${ref}`, async () => {
        try {
          const entries = await api.Repositories.allRepositoryTrees(pid, { ref, path: dir, perPage: 100 });
          return entries.filter((e) => e.type === 'blob').map((e) => e.path as string);
        } catch (err) {
          if (err instanceof GitLabHttpFailure && err.status === 404) return [];
          throw err;
        }
      }),

    terraformState: (name) =>
      // GitLab serves the state file as it was stored, as application/octet-stream: a Blob
      // here. A state that exists without a file answers 204 (null).
      orNull(`reading Terraform state ${name}`, async () => bodyText(await api.ProjectTerraformState.show(pid, name))),

    getPipeline: (pipelineId) => call(`reading pipeline ${pipelineId}`, async () => toPipeline(await api.Pipelines.show(pid, pipelineId))),

    listPipelineJobs: (pipelineId) =>
      call(`listing the jobs of pipeline ${pipelineId}`, async () => {
        // Without include_retried GitLab lists the latest attempt of each job; gitbeaker
        // follows the Link header through every page.
        const jobs = await api.Jobs.all(pid, { pipelineId, perPage: 100 });
        return jobs.map(toJob);
      }),

    branchHead: (branch) => orNull(`reading branch ${branch}`, async () => (await api.Branches.show(pid, branch)).commit.id as string),

    readFile: (ref, path) =>
      orNull(`reading ${path} at ${ref}`, async () => {
        const file = await api.RepositoryFiles.show(pid, path, ref);
        return Buffer.from(file.content, file.encoding === 'base64' ? 'base64' : 'utf8').toString('utf8');
      }),

    readArtifact: (jobId, path) =>
      orNull(`reading artifact ${path} of job ${jobId}`, async () => {
        const artifactPath = path.split('/').map(encodeURIComponent).join('/');
        // As a stream: the file's own bytes, whatever content type GitLab names (the JSON
        // parse gitbeaker does for application/json fails on a UTF-16 plan.json).
        const options = { jobId, artifactPath, asStream: true };
        return (await bodyText(await api.JobArtifacts.downloadArchive(pid, options))) ?? '';
      }),

    jobLogTail: (jobId, lines) =>
      call(`reading the log of job ${jobId}`, async () => {
        const log = String(await api.Jobs.showLog(pid, jobId));
        return lastLines(log, lines);
      }),

    playJob: (jobId) => call(`playing job ${jobId}`, async () => toJob(await api.Jobs.play(pid, jobId))),

    cancelPipeline: (pipelineId) =>
      call(`cancelling pipeline ${pipelineId}`, async () => {
        await api.Pipelines.cancel(pid, pipelineId);
      }),

    findMergeRequest: (branch) =>
      call(`finding the merge request of branch ${branch}`, async () => {
        const [newest] = await api.MergeRequests.all({ projectId: pid, sourceBranch: branch, orderBy: 'created_at', sort: 'desc', perPage: 1, maxPages: 1 });
        return newest ? toMergeRequest(newest) : null;
      }),

    closeMergeRequest: (iid) =>
      call(`closing merge request !${iid}`, async () => {
        await api.MergeRequests.edit(pid, iid, { stateEvent: 'close' });
      }),

    mergeMergeRequest: (iid, sha) =>
      call(`merging merge request !${iid}`, async () => {
        // With a sha GitLab refuses (409) when the branch moved since the approval.
        await api.MergeRequests.merge(pid, iid, sha === null ? {} : { sha });
      }),

    listBranchPipelines: (branch) =>
      call(`listing the pipelines of branch ${branch}`, async () => {
        const pipelines = await api.Pipelines.all(pid, { ref: branch, orderBy: 'id', sort: 'desc', perPage: RECENT_PIPELINES, maxPages: 1 });
        return pipelines.map(toPipeline);
      }),
  };
}

interface RawPipeline {
  id: number;
  ref: string;
  sha: string;
  status: string;
  source?: string;
  web_url: string;
}

interface RawJob {
  id: number;
  name: string;
  stage: string;
  status: string;
  web_url: string;
  failure_reason?: string | null;
  user?: { username?: string; name?: string } | null;
}

interface RawUser {
  id: number;
  username: string;
  name?: string;
  email?: string | null;
}

interface RawCommit {
  id: string;
  author_name?: string;
  author_email?: string;
  committer_name?: string;
  committer_email?: string;
}

const nonEmpty = (s: string | null | undefined) => (typeof s === 'string' && s.trim() !== '' ? s.trim() : null);

function toPerson(u: RawUser, email: string | null): VcsPerson {
  return { id: u.id, username: u.username, name: u.name ?? u.username, email: nonEmpty(email) };
}

function toCommit(c: RawCommit): CommitInfo {
  return { sha: c.id, authorName: c.author_name ?? '', authorEmail: c.author_email ?? '', committerName: c.committer_name ?? '', committerEmail: c.committer_email ?? '' };
}

interface RawMergeRequest {
  iid: number;
  state: string;
  web_url: string;
  sha?: string | null;
}

function toPipeline(p: RawPipeline): PipelineInfo {
  return { id: p.id, ref: p.ref, sha: p.sha, status: knownStatus(p.status), source: p.source ?? 'unknown', webUrl: p.web_url };
}

function toJob(j: RawJob): JobInfo {
  const user = j.user?.username ? { username: j.user.username, name: j.user.name ?? j.user.username } : null;
  return { id: j.id, name: j.name, stage: j.stage, status: knownStatus(j.status), webUrl: j.web_url, failureReason: j.failure_reason ?? null, user };
}

function toMergeRequest(m: RawMergeRequest): MergeRequestInfo {
  const state = MR_STATES.has(m.state as MergeRequestInfo['state']) ? (m.state as MergeRequestInfo['state']) : 'unknown';
  return { iid: m.iid, state, webUrl: m.web_url, sha: m.sha ?? null };
}

/**
 * A raw download as text. gitbeaker (and our requester, which mirrors it) hands a body
 * over by its content type: parsed JSON for application/json, a string for text/*, a
 * Blob for anything else (application/octet-stream, as GitLab serves a Terraform state),
 * null for a 204; asked as a stream, the response body itself. Bytes are decoded by
 * byte-order mark the way the CLI reads a plan file (decodeText): plan.json from
 * `terraform show -json` under PowerShell is UTF-16. Parsed JSON is written back out, so
 * the port always returns the file's text.
 */
async function bodyText(body: unknown): Promise<string | null> {
  if (body === null || body === undefined) return null;
  if (body instanceof ReadableStream) return decodeText(new Uint8Array(await new Response(body).arrayBuffer()));
  if (body instanceof Blob) return decodeText(new Uint8Array(await body.arrayBuffer()));
  if (typeof body === 'string') return body;
  return JSON.stringify(body);
}

/** The last `count` lines, without the newline GitLab ends a log with. */
function lastLines(log: string, count: number): string {
  if (count <= 0) return '';
  return log.replace(/\n$/, '').split('\n').slice(-count).join('\n');
}
