/**
 * The one way a request changes. Work on a request runs in `withRequest` (or, for a
 * request being recorded, `withNewRequest`): under the request's lock, through a
 * RequestTx that records each change of state (a compare-and-set, and its audit entry).
 * Once the lock is released, what follows a change is done once, whatever the change was
 * and whoever made it (`deps.followUps`, core/follow-ups.ts): the Home tabs concerned are
 * refreshed, the next queued request starts when the Terraform state was freed, an
 * approval message of a superseded pipeline loses its buttons.
 */
import type { ChangeRequest, RequestState } from '../domain/request.ts';
import type { BotDeps } from './deps.ts';
import type { AuditEntry } from './ports.ts';

/** An audit entry about the request in hand: the time and the request id are filled in. */
export type AuditNote = Omit<AuditEntry, 'at' | 'requestId'>;

export interface RequestTx {
  readonly id: string;
  /** The request as stored now. */
  current(): ChangeRequest;
  /**
   * Moves the request from `from` to `to` (applying `patch`) only if it is still in
   * `from`, and audits it; true when this call made the move. Two concurrent clicks are
   * told apart here.
   */
  transition(from: RequestState, to: RequestState, options?: { patch?: Partial<ChangeRequest>; audit?: AuditNote }): boolean;
  /** Stores a new version of the whole record (GitLab's view applied to it). */
  save(next: ChangeRequest): void;
  audit(note: AuditNote): void;
}

/** Runs `work` on request `id` under its lock; then does what follows whatever it changed. */
export function withRequest<T>(deps: BotDeps, id: string, work: (tx: RequestTx) => Promise<T>): Promise<T> {
  return unit(deps, id, false, work);
}

/**
 * Records a new request — synchronously, so a caller that looked for it in the store just
 * before cannot be overtaken — then runs `work` on it as `withRequest` does.
 */
export function withNewRequest<T>(deps: BotDeps, request: ChangeRequest, note: AuditNote | null, work: (tx: RequestTx) => Promise<T>): Promise<T> {
  deps.store.requests.save(request);
  if (note) record(deps, request.id, note);
  return unit(deps, request.id, true, work);
}

async function unit<T>(deps: BotDeps, id: string, created: boolean, work: (tx: RequestTx) => Promise<T>): Promise<T> {
  let before: { request: ChangeRequest | null; approvals: string } | undefined;
  const tx = txFor(deps, id);
  try {
    return await deps.locks.run(id, () => {
      before = { request: created ? null : (deps.store.requests.get(id) ?? null), approvals: approvalsOf(deps, id) };
      return work(tx);
    });
  } finally {
    // Also after a failure part way: what was recorded before it stands, and is followed up.
    if (before) await followUp(deps, id, before);
  }
}

function txFor(deps: BotDeps, id: string): RequestTx {
  const current = () => {
    const request = deps.store.requests.get(id);
    if (!request) throw new Error(`request ${id} is not stored`);
    return request;
  };
  return {
    id,
    current,
    transition(from, to, options = {}) {
      if (!deps.store.requests.transition(id, from, to, options.patch)) return false;
      if (options.audit) record(deps, id, options.audit);
      return true;
    },
    save(next) {
      if (next.id !== id) throw new Error(`saving ${next.id} in a unit of work on ${id}`);
      deps.store.requests.save(next);
    },
    audit: (note) => record(deps, id, note),
  };
}

function record(deps: BotDeps, requestId: string, note: AuditNote): void {
  deps.store.audit.record({ at: deps.now().toISOString(), requestId, ...note });
}

function approvalsOf(deps: BotDeps, id: string): string {
  return deps.store.approvals.list(id).join(',');
}

async function followUp(deps: BotDeps, id: string, before: { request: ChangeRequest | null; approvals: string }): Promise<void> {
  const after = deps.store.requests.get(id);
  if (!after) return;
  const stateChanged = before.request?.state !== after.state;
  const approvalsChanged = before.approvals !== approvalsOf(deps, id);
  const pipelineChanged = before.request !== null && (before.request.pipelineId !== after.pipelineId || before.request.planJobId !== after.planJobId);
  if (!stateChanged && !approvalsChanged && !pipelineChanged) return;
  if (stateChanged && before.request) {
    const log = deps.log.bindings().requestId === id ? deps.log : deps.log.child({ requestId: id });
    log.info({ from: before.request.state, to: after.state }, 'request state changed');
  }
  try {
    await deps.followUps.afterChange(deps, { before: before.request, after, approvalsChanged });
  } catch (err) {
    // The change itself stands; the next change or reconciliation pass follows it up again.
    deps.log.error({ err, requestId: id }, 'following up a change of the request failed');
  }
}
