/**
 * Catches up on what webhooks did not tell us: GitLab disables a hook after repeated
 * failures, deliveries get lost. Every interval each open request's pipeline is synced
 * (or found, for a request whose pipeline was never heard of), approvals that waited
 * past the TTL expire, and rules whose own expiry has passed get their revocation opened.
 */
import { isExpired } from '../domain/approval.ts';
import type { ChangeRequest } from '../domain/request.ts';
import type { BotDeps } from './deps.ts';
import { syncPipeline } from './sync.ts';
import { reportFailure, startNextQueued } from './submit.ts';
import { refreshHomes } from './home.ts';
import { openDueRevocations } from './expiry.ts';

/**
 * A request still 'submitted' this long after it was stored, with no pipeline on its
 * branch, was being opened in GitLab when the bot stopped: it failed, and frees the queue.
 */
export const STUCK_SUBMISSION_MS = 10 * 60_000;

/**
 * How long processed webhook deliveries are remembered, so a redelivery (GitLab retrying
 * a timed-out hook, or someone pressing "Resend request") is still known as a duplicate.
 */
export const INBOX_MEMORY_MS = 30 * 24 * 3600_000;

export async function reconcileOnce(deps: BotDeps): Promise<void> {
  for (const request of deps.store.requests.open()) {
    try {
      if (request.state === 'awaiting_approval' && isExpired(request, deps.settings.approvalTtlMs, deps.now())) await expire(deps, request);
      const pipelineId = request.pipelineId ?? (await deps.vcs.listBranchPipelines(request.branch)).find((p) => p.source !== 'parent_pipeline')?.id;
      if (pipelineId !== undefined) await syncPipeline(deps, pipelineId);
      else if (request.state === 'submitted' && deps.now().getTime() - Date.parse(request.createdAt) > STUCK_SUBMISSION_MS) {
        await reportFailure(deps, request.id, 'opening it in GitLab', new Error(`no pipeline started within ${STUCK_SUBMISSION_MS / 60_000} minutes (the bot stopped part way?)`));
        await startNextQueued(deps);
      }
    } catch (err) {
      deps.log.warn({ err, requestId: request.id }, 'reconciling a request failed; next pass tries again');
    }
  }
  deps.store.inbox.prune(new Date(deps.now().getTime() - INBOX_MEMORY_MS));
  try {
    await openDueRevocations(deps);
  } catch (err) {
    deps.log.warn({ err }, 'checking rule expiries failed; next pass tries again');
  }
}

async function expire(deps: BotDeps, request: ChangeRequest): Promise<void> {
  if (!deps.store.requests.transition(request.id, 'awaiting_approval', 'expired')) return;
  deps.store.audit.record({ at: deps.now().toISOString(), requestId: request.id, actor: 'bot', action: 'expire', outcome: 'ok', detail: `no decision within ${deps.settings.approvalTtlMs} ms` });
  // Nobody may approve it now: free the pipeline rather than leave a manual job waiting.
  if (request.pipelineId !== null) await deps.vcs.cancelPipeline(request.pipelineId);
  await refreshHomes(deps, deps.store.requests.get(request.id)!);
  await startNextQueued(deps);
}

export function startReconciler(deps: BotDeps, intervalMs: number): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(() => reconcileOnce(deps));
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
