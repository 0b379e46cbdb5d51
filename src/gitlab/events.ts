/**
 * GitLab webhook bodies checked at the edge (Pipeline and Job Hook, as GitLab's webhook events docs give them):
 * only the fields the bot uses are required, anything else GitLab adds passes through
 * unread, and a status this code does not know becomes 'unknown' instead of an error.
 */
import { z } from 'zod';

export const PIPELINE_HOOK = 'Pipeline Hook';
export const JOB_HOOK = 'Job Hook';

/** The X-Gitlab-Event values the bot acts on, with the `object_kind` each body carries. */
const KINDS = { [PIPELINE_HOOK]: 'pipeline', [JOB_HOOK]: 'build' } as const;
export type HookName = keyof typeof KINDS;

const STATUSES = [
  'created', 'waiting_for_resource', 'preparing', 'pending', 'running', 'success',
  'failed', 'canceling', 'canceled', 'skipped', 'manual', 'scheduled',
] as const;
export type GitLabStatus = (typeof STATUSES)[number] | 'unknown';

export interface PipelineEvent {
  kind: 'pipeline';
  pipelineId: number;
  ref: string;
  sha: string;
  status: GitLabStatus;
  /** push, web, api, trigger, schedule, merge_request_event, ... as GitLab says. */
  source: string;
  projectId: number;
}

export interface JobEvent {
  kind: 'job';
  jobId: number;
  pipelineId: number;
  name: string;
  stage: string;
  status: GitLabStatus;
  ref: string;
  sha: string;
  projectId: number;
}

export type GitLabEvent = PipelineEvent | JobEvent;

const id = z.number().int().positive();
const status = z.enum([...STATUSES, 'unknown']).catch('unknown');

const pipelineHook = z.looseObject({
  object_kind: z.literal('pipeline'),
  object_attributes: z.looseObject({ id, ref: z.string(), sha: z.string(), status, source: z.string().catch('unknown') }),
  project: z.looseObject({ id }),
});

const jobHook = z.looseObject({
  object_kind: z.literal('build'),
  build_id: id,
  build_name: z.string(),
  build_stage: z.string(),
  build_status: status,
  ref: z.string(),
  sha: z.string(),
  project_id: id,
  // GitLab sends pipeline_id; older payloads only carry it as commit.id.
  pipeline_id: id.optional(),
  commit: z.looseObject({ id: id.optional() }).optional(),
});

/** The hook a delivery is: its X-Gitlab-Event header, else what its `object_kind` says; null for hooks the bot does not use. */
export function hookName(eventHeader: string | undefined, objectKind: unknown): HookName | null {
  if (eventHeader !== undefined) return eventHeader in KINDS ? (eventHeader as HookName) : null;
  const found = Object.entries(KINDS).find(([, kind]) => kind === objectKind);
  return found ? (found[0] as HookName) : null;
}

/** A stored delivery as a domain event, or null when it is not a well-formed Pipeline or Job Hook. */
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
    return { kind: 'pipeline', pipelineId: p.id, ref: p.ref, sha: p.sha, status: p.status, source: p.source, projectId: parsed.data.project.id };
  }
  if (event === JOB_HOOK) {
    const parsed = jobHook.safeParse(json);
    if (!parsed.success) return null;
    const j = parsed.data;
    const pipelineId = j.pipeline_id ?? j.commit?.id;
    if (pipelineId === undefined) return null;
    return {
      kind: 'job', jobId: j.build_id, pipelineId, name: j.build_name, stage: j.build_stage,
      status: j.build_status, ref: j.ref, sha: j.sha, projectId: j.project_id,
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
