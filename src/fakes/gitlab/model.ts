/**
 * The fake GitLab's records. They hold what GitLab itself stores; the REST entities and
 * webhook payloads are rendered from them (entities.ts, webhooks/payloads.ts), never kept.
 */

export interface User {
  id: number;
  username: string;
  name: string;
  email: string;
  /** Whether the profile shows the email as `public_email` (default true). */
  publicEmail?: boolean;
}

export interface Project {
  id: number;
  /** `group/app` */
  pathWithNamespace: string;
  defaultBranch: string;
  ciConfigPath: string;
  webUrl: string;
  /** GitLab's "Pipelines must succeed" merge check. */
  onlyAllowMergeIfPipelineSucceeds: boolean;
  /** Premium tier: protected environments exist (on Free their API answers 403). */
  premium: boolean;
  /** Settings → CI/CD → Protected environments, one exact environment name each. */
  protectedEnvironments: ProtectedEnvironment[];
}

/** Who may deploy to a protected environment: a role (`accessLevel`), a user or a group. */
export interface DeployAccessLevel {
  accessLevel?: number;
  userId?: number;
  groupId?: number;
}

export interface ProtectedEnvironment {
  name: string;
  deployAccessLevels: DeployAccessLevel[];
}

/** An access token's own record, as `/personal_access_tokens/self` shows it. */
export interface TokenRecord {
  id: number;
  name: string;
  /** `api`, `read_api`, `read_user`, ... */
  scopes: string[];
  /** `YYYY-MM-DD`, or null for a token that never expires. */
  expiresAt: string | null;
}

export type MergeRequestState = 'opened' | 'closed' | 'merged';

export interface Note {
  id: number;
  body: string;
  author: User;
  createdAt: Date;
  updatedAt: Date;
}

export interface MergeRequest {
  id: number;
  iid: number;
  title: string;
  description: string;
  sourceBranch: string;
  targetBranch: string;
  state: MergeRequestState;
  author: User;
  createdAt: Date;
  updatedAt: Date;
  mergedAt: Date | null;
  closedAt: Date | null;
  mergeCommitSha: string | null;
  /** The source branch head when the MR was merged or closed (afterwards the branch may be gone). */
  frozenSha: string | null;
  removeSourceBranch: boolean;
  labels: string[];
  notes: Note[];
}

export type JobStatus =
  | 'created'
  | 'pending'
  | 'running'
  | 'success'
  | 'failed'
  | 'canceled'
  | 'skipped'
  | 'manual';

export type PipelineStatus = JobStatus;

export const FINISHED_STATUSES: ReadonlySet<JobStatus> = new Set(['success', 'failed', 'canceled', 'skipped']);

export type When = 'on_success' | 'on_failure' | 'always' | 'manual' | 'delayed';

export interface Variable {
  key: string;
  value: string;
  variable_type?: 'env_var' | 'file';
}

export interface Job {
  id: number;
  pipelineId: number;
  name: string;
  stage: string;
  when: When;
  allowFailure: boolean;
  /** Names of the jobs this one waits for (`needs:`); null = the previous stages. */
  needs: string[] | null;
  /** Trigger jobs are bridges: listed separately, no Job Hook, no runner. */
  bridge: boolean;
  /** The child pipeline a bridge started (GitLab's `downstream_pipeline`). */
  downstreamPipelineId: number | null;
  /** The job's `environment:` (GitLab renders it in hooks), null without one. */
  environment: { name: string; action: string; tier: string } | null;
  image: string | null;
  status: JobStatus;
  failureReason: string | null;
  createdAt: Date;
  queuedAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Replaced by a retry: hidden from lists unless `include_retried`. */
  retried: boolean;
  retriesCount: number;
  user: User;
  playVariables: Variable[];
  trace: string[];
  artifacts: Map<string, Buffer>;
}

export type PipelineSource = 'api' | 'push' | 'web' | 'trigger' | 'merge_request_event' | 'parent_pipeline';

export interface Pipeline {
  id: number;
  iid: number;
  projectId: number;
  ref: string;
  sha: string;
  beforeSha: string;
  source: PipelineSource;
  /** For a child pipeline: the parent and its trigger job (GitLab's `source_pipeline`). */
  upstream: { pipelineId: number; jobId: number } | null;
  status: PipelineStatus;
  stages: string[];
  variables: Variable[];
  /** Variables declared at the top of the CI file. */
  yamlVariables: Record<string, string>;
  yamlErrors: string | null;
  mergeRequestIid: number | null;
  user: User;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  jobs: Job[];
}

export function latestJobs(pipeline: Pipeline): Job[] {
  return pipeline.jobs.filter((j) => !j.retried);
}

/** GitLab's `duration` fields: whole seconds between two instants, null until both exist. */
export function seconds(from: Date | null, to: Date | null): number | null {
  if (!from || !to) return null;
  return (to.getTime() - from.getTime()) / 1000;
}
