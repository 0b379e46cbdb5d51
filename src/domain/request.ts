/**
 * A change request and the states it moves through. Pure data and rules: no Slack, no
 * GitLab, no SQLite. The bot derives the state from what GitLab reports (see
 * `stateFromPipeline`) rather than from the order webhooks arrive in, so duplicated,
 * reordered or missed deliveries converge on the same answer.
 */
import { DEFAULT_ENVIRONMENT } from './environment.ts';
import { describePorts } from './protocol.ts';
import { describePeer, rulePeer, type Direction, type Peer, type RuleFile } from './rule.ts';

export type RequestState =
  /** Stored; branch, merge request and pipeline not created yet. */
  | 'submitted'
  /** Waiting for an earlier request on the same Terraform state to finish. */
  | 'queued'
  /** Pipeline running up to the plan. */
  | 'planning'
  /** Deploy job waiting for a decision. */
  | 'awaiting_approval'
  /** Approved; deploy job played or running. */
  | 'deploying'
  | 'deployed'
  | 'rejected'
  /** A job failed before or during deploy. */
  | 'failed'
  /** Pipeline cancelled outside a rejection. */
  | 'cancelled'
  /** Waited for approval longer than the approval TTL. */
  | 'expired';

export const FINAL_STATES: ReadonlySet<RequestState> = new Set(['deployed', 'rejected', 'failed', 'cancelled', 'expired']);

/** Where the request came from: /sg-request, a bot-opened revocation, or a pipeline someone else started. */
export type RequestKind = 'request' | 'revocation' | 'external';

export interface ChangeRequest {
  id: string;
  kind: RequestKind;
  /**
   * The environment it changes (environment.ts): its account, Terraform state, rules
   * folder, pipeline jobs and approvers. Fixed when the request is recorded.
   */
  environment: string;
  state: RequestState;
  /** The rule asked for (null for external pipelines). */
  rule: RuleFile | null;
  /** Slack user id of the person who asked (null for external pipelines). */
  requester: string | null;
  branch: string;
  mergeRequestIid: number | null;
  pipelineId: number | null;
  /** Commit the current pipeline runs on. */
  sha: string | null;
  deployJobId: number | null;
  /**
   * The plan job whose plan the thread shows and the approvals are for: the latest attempt
   * of the pipeline's plan job. A plan job run again in the same pipeline replaces it, and
   * the approvals given so far no longer count.
   */
  planJobId: number | null;
  /** When the deploy job started waiting for a decision (ISO). */
  awaitingSince: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A validated /sg-request, as the Slack surfaces hand it over. Ports are -1 for protocols without ports. */
export interface RequestInput {
  /** A configured environment's name. */
  environment: string;
  group: string;
  direction: Direction;
  protocol: string;
  fromPort: number;
  toPort: number;
  /** Source of ingress, destination of egress: a normalised CIDR, a group key or sg- id, a pl- id. */
  peer: Peer;
  justification: string;
  ticket: string | null;
  expiresAt: string | null;
}

/** What tells one request apart when it is first recorded (`at`: when, ISO); everything else starts empty. The branch defaults to `sg-request/<id>`. */
export type NewRequestFields = Pick<ChangeRequest, 'id' | 'kind' | 'environment' | 'state' | 'rule' | 'requester'> &
  Partial<Pick<ChangeRequest, 'branch' | 'pipelineId' | 'sha'>> & { at: string };

/** The one way a ChangeRequest record is made. */
export function newChangeRequest(f: NewRequestFields): ChangeRequest {
  return {
    id: f.id,
    kind: f.kind,
    environment: f.environment,
    state: f.state,
    rule: f.rule,
    requester: f.requester,
    branch: f.branch ?? branchFor(f.id),
    mergeRequestIid: null,
    pipelineId: f.pipelineId ?? null,
    sha: f.sha ?? null,
    deployJobId: null,
    planJobId: null,
    awaitingSince: null,
    createdAt: f.at,
    updatedAt: f.at,
  };
}

/** `REQ-12: open tcp/443 from 203.0.113.0/24 to sg-front` (`REQ-12 [production]: …` in a named environment), as PLAIN text (commit messages, titles; escape it for Slack). */
export function requestTitle(request: ChangeRequest): string {
  const { rule } = request;
  const id = request.environment === DEFAULT_ENVIRONMENT ? request.id : `${request.id} [${request.environment}]`;
  if (request.kind === 'external' || rule === null) return `${id}: pipeline on ${request.branch}`;
  const verb = request.kind === 'revocation' ? 'close' : 'open';
  const ports = describePorts(rule.protocol, rule.from_port, rule.to_port);
  const peer = describePeer(rulePeer(rule));
  return rule.direction === 'egress'
    ? `${id}: ${verb} egress ${ports} from ${rule.group} to ${peer}`
    : `${id}: ${verb} ${ports} from ${peer} to ${rule.group}`;
}

export function branchFor(id: string): string {
  return `sg-request/${id}`;
}

/** The request id a branch belongs to, when it is one of ours. */
export function requestIdOfBranch(branch: string): string | null {
  const m = /^sg-request\/([A-Za-z0-9][A-Za-z0-9_-]{0,63})$/.exec(branch);
  return m ? m[1]! : null;
}

/** GitLab's view of a pipeline, reduced to what decides a request's state. */
export interface PipelineView {
  status: string;
  /** Jobs by name: the latest attempt of each. */
  jobs: ReadonlyMap<string, { id: number; status: string }>;
}

/**
 * The state a pipeline puts a request in, read from GitLab's current view of it (not
 * from webhook order). Decisions the bot made itself (rejected, expired) and a finished
 * deploy are kept; otherwise GitLab's word wins, so a retried pipeline revives a failed
 * request. Only the request's environment's deploy job succeeding makes it deployed.
 */
/** `deployJob`: the name of the request's environment's deploy job (environment.ts, `environmentJobs`). */
export function stateFromPipeline(current: RequestState, pipeline: PipelineView, deployJob: string): RequestState {
  if (current === 'rejected' || current === 'expired' || current === 'deployed') return current;
  // Only the request's own environment's deploy job: another environment's is never this request's.
  const deploy = pipeline.jobs.get(deployJob);
  if (deploy?.status === 'success') return 'deployed';
  if (pipeline.status === 'failed' || deploy?.status === 'failed') return 'failed';
  if (pipeline.status === 'canceled' || pipeline.status === 'canceling') return 'cancelled';
  if (deploy && ['pending', 'running', 'preparing', 'waiting_for_resource'].includes(deploy.status)) return 'deploying';
  // Just after the bot plays the job, GitLab may still report it as manual for a moment.
  if (deploy?.status === 'manual') return current === 'deploying' ? 'deploying' : 'awaiting_approval';
  // A pipeline that finished without this environment's deploy job succeeding (none for
  // it at all, say a branch that changed another environment's folder) deployed nothing
  // of this request: it can never be approved, so it reads as failed, never as deployed.
  if (pipeline.status === 'success') return 'failed';
  return 'planning';
}
