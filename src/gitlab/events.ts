/**
 * GitLab webhook bodies checked at the edge (Pipeline and Job Hook, as GitLab's webhook events docs give them):
 * only the fields the bot uses are required, anything else GitLab adds passes through
 * unread, a status this code does not know is read as one it does (status.ts), and
 * timestamps are accepted in both formats GitLab has used.
 *
 * Child pipelines. The `service-checks` trigger job starts a child pipeline on the same
 * ref and sha, whose hooks carry `source: "parent_pipeline"` and `source_pipeline`
 * naming the parent. A child is never a request's pipeline: its news is mapped to its
 * PARENT, the pipeline the bot follows. That is where a child's outcome lands anyway —
 * with `strategy: depend` the trigger (bridge) job takes the child's final status and
 * the parent's status follows it — and GitLab sends no Job Hook for the bridge itself,
 * so the child's hooks are the first word of it. Syncing the parent reads GitLab's
 * current view and is idempotent, so the extra syncs cost a read and change nothing
 * else. A child hook that does not name its parent is dropped.
 */
import { z } from 'zod';
import { hookTimestamp, knownStatus, type GitLabStatus } from './status.ts';

export type { GitLabStatus } from './status.ts';

export const PIPELINE_HOOK = 'Pipeline Hook';
export const JOB_HOOK = 'Job Hook';

/** The X-Gitlab-Event values the bot acts on, with the `object_kind` each body carries. */
const KINDS = { [PIPELINE_HOOK]: 'pipeline', [JOB_HOOK]: 'build' } as const;
export type HookName = keyof typeof KINDS;

/** The child pipeline a hook was about, when `pipelineId` is its parent's. */
export interface ChildOf {
  /** The child pipeline's own id. */
  pipelineId: number;
  /** The parent's trigger (bridge) job that started it, when GitLab says. */
  bridgeJobId: number | null;
}

export interface PipelineEvent {
  kind: 'pipeline';
  /** The pipeline to sync: the hook's own, or for a child pipeline its parent's. */
  pipelineId: number;
  /** Set when the hook was about a child pipeline of `pipelineId`; the fields below are then the child's. */
  child: ChildOf | null;
  ref: string;
  sha: string;
  status: GitLabStatus;
  /** push, web, api, trigger, schedule, merge_request_event, parent_pipeline, ... as GitLab says. */
  source: string;
  projectId: number;
  /** ISO 8601, null when absent or unreadable. */
  createdAt: string | null;
  finishedAt: string | null;
}

export interface JobEvent {
  kind: 'job';
  jobId: number;
  /** The pipeline to sync: the job's own, or for a job of a child pipeline the parent's. */
  pipelineId: number;
  /** Set when the job belongs to a child pipeline of `pipelineId`. */
  child: ChildOf | null;
  name: string;
  stage: string;
  status: GitLabStatus;
  /** Why it failed; null unless the job failed (GitLab fills the field in for other statuses too). */
  failureReason: string | null;
  ref: string;
  sha: string;
  projectId: number;
  startedAt: string | null;
  finishedAt: string | null;
}

export type GitLabEvent = PipelineEvent | JobEvent;

const id = z.number().int().positive();
const status = z.unknown().transform(knownStatus);
/** `source_pipeline` as GitLab sends it for a triggered pipeline; anything malformed reads as absent. */
const sourcePipeline = z
  .looseObject({ project: z.looseObject({ id }).optional(), pipeline_id: id, job_id: id.nullable().optional() })
  .optional()
  .catch(undefined);

const pipelineHook = z.looseObject({
  object_kind: z.literal('pipeline'),
  object_attributes: z.looseObject({
    id,
    ref: z.string(),
    sha: z.string(),
    status,
    source: z.string().catch('unknown'),
    created_at: z.unknown().optional(),
    finished_at: z.unknown().optional(),
  }),
  project: z.looseObject({ id }),
  source_pipeline: sourcePipeline,
});

const jobHook = z.looseObject({
  object_kind: z.literal('build'),
  build_id: id,
  build_name: z.string(),
  build_stage: z.string(),
  build_status: status,
  build_failure_reason: z.string().nullable().optional().catch(null),
  ref: z.string(),
  sha: z.string(),
  project_id: id,
  // GitLab sends pipeline_id; older payloads only carry it as commit.id.
  pipeline_id: id.optional(),
  commit: z.looseObject({ id: id.optional() }).optional(),
  source_pipeline: sourcePipeline,
  build_started_at: z.unknown().optional(),
  build_started_at_iso: z.unknown().optional(),
  build_finished_at: z.unknown().optional(),
  build_finished_at_iso: z.unknown().optional(),
});

type SourcePipeline = z.infer<typeof sourcePipeline>;

/** The parent, when `source` names a pipeline of the same project (a child, not a multi-project downstream). */
function parentIn(projectId: number, source: SourcePipeline): { pipelineId: number; bridgeJobId: number | null } | null {
  if (!source || (source.project !== undefined && source.project.id !== projectId)) return null;
  return { pipelineId: source.pipeline_id, bridgeJobId: source.job_id ?? null };
}

/** The hook a delivery is: its X-Gitlab-Event header, else what its `object_kind` says; null for hooks the bot does not use. */
export function hookName(eventHeader: string | undefined, objectKind: unknown): HookName | null {
  if (eventHeader !== undefined) return eventHeader in KINDS ? (eventHeader as HookName) : null;
  const found = Object.entries(KINDS).find(([, kind]) => kind === objectKind);
  return found ? (found[0] as HookName) : null;
}

/** A stored delivery as a domain event, or null when it is not a well-formed Pipeline or Job Hook the bot can follow. */
export function parseDelivery(event: string, body: string): GitLabEvent | null {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return null;
  }
  if (event === PIPELINE_HOOK) {
    const parsed = pipelineHook.safeParse(json);
    if (!parsed.success) return null;
    const p = parsed.data.object_attributes;
    const projectId = parsed.data.project.id;
    let pipelineId = p.id;
    let child: ChildOf | null = null;
    if (p.source === 'parent_pipeline') {
      const parent = parentIn(projectId, parsed.data.source_pipeline);
      if (parent === null) return null; // a child that does not say whose: never a request's pipeline
      pipelineId = parent.pipelineId;
      child = { pipelineId: p.id, bridgeJobId: parent.bridgeJobId };
    }
    return {
      kind: 'pipeline', pipelineId, child, ref: p.ref, sha: p.sha, status: p.status, source: p.source, projectId,
      createdAt: hookTimestamp(p.created_at), finishedAt: hookTimestamp(p.finished_at),
    };
  }
  if (event === JOB_HOOK) {
    const parsed = jobHook.safeParse(json);
    if (!parsed.success) return null;
    const j = parsed.data;
    const ownPipeline = j.pipeline_id ?? j.commit?.id;
    if (ownPipeline === undefined) return null;
    // A Job Hook has no pipeline source; a same-project source_pipeline marks a child's job.
    // (Older GitLab omits source_pipeline here: the core then sees the child's own id and
    // recognises it by the source GitLab's API reports.)
    const parent = parentIn(j.project_id, j.source_pipeline);
    return {
      kind: 'job',
      jobId: j.build_id,
      pipelineId: parent?.pipelineId ?? ownPipeline,
      child: parent ? { pipelineId: ownPipeline, bridgeJobId: parent.bridgeJobId } : null,
      name: j.build_name,
      stage: j.build_stage,
      status: j.build_status,
      failureReason: j.build_status === 'failed' ? (j.build_failure_reason ?? 'unknown_failure') : null,
      ref: j.ref,
      sha: j.sha,
      projectId: j.project_id,
      startedAt: hookTimestamp(j.build_started_at_iso) ?? hookTimestamp(j.build_started_at),
      finishedAt: hookTimestamp(j.build_finished_at_iso) ?? hookTimestamp(j.build_finished_at),
    };
  }
  return null;
}

/** The project a delivery names, as far as its body says: null where it does not. */
export interface DeliveryProject {
  id: number | null;
  path: string | null;
}

/**
 * `project.id` and `project.path_with_namespace` (both hooks carry the `project` object),
 * else a Job Hook's `project_id`. Never `project_name` ("Group / Name" is a display
 * name, not a path) nor `source_pipeline.project` (the upstream project of a child).
 */
export function deliveryProject(body: unknown): DeliveryProject {
  const b = (typeof body === 'object' && body !== null ? body : {}) as { project?: unknown; project_id?: unknown };
  const p = (typeof b.project === 'object' && b.project !== null ? b.project : {}) as { id?: unknown; path_with_namespace?: unknown };
  const positive = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : null);
  return {
    id: positive(p.id) ?? positive(b.project_id),
    path: typeof p.path_with_namespace === 'string' && p.path_with_namespace !== '' ? p.path_with_namespace : null,
  };
}

/**
 * Whether a delivery is of the configured project (GITLAB_PROJECT: a numeric id or a
 * path). Only like is compared with like: an id with an id, a path with a path (without
 * regard to case, as GitLab resolves paths). 'unknown' when the body lacks the one the
 * configuration gives — such a delivery is let in, and its pipeline is then read through
 * the configured project, where another project's pipeline does not exist.
 */
export function projectMatch(configured: number | string, delivered: DeliveryProject): 'same' | 'other' | 'unknown' {
  if (typeof configured === 'number') return delivered.id === null ? 'unknown' : delivered.id === configured ? 'same' : 'other';
  if (delivered.path === null) return 'unknown';
  return delivered.path.toLowerCase() === configured.toLowerCase() ? 'same' : 'other';
}
