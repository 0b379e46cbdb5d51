/**
 * Catches up on what webhooks did not tell us: GitLab disables a hook after repeated
 * failures, deliveries get lost. Every interval each open request's pipeline is synced
 * (or found, for a request whose pipeline was never heard of), approvals that waited
 * past the TTL expire, and rules whose own expiry has passed get their revocation opened.
 */
import { isExpired } from '../domain/approval.ts';
import type { ChangeRequest } from '../domain/request.ts';
import type { BotDeps } from './deps.ts';
import { openDueRevocations } from './expiry.ts';
import { withRequest } from './lifecycle.ts';
import { failSubmission } from './queue.ts';
import { syncPipeline } from './sync.ts';

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
        const why = new Error(`no pipeline started within ${STUCK_SUBMISSION_MS / 60_000} minutes (the bot stopped part way?)`);
        await withRequest(deps, request.id, (tx) => failSubmission(deps, tx, 'opening it in GitLab', why));
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
  await withRequest(deps, request.id, async (tx) => {
    const audit = { actor: 'bot', action: 'expire', outcome: 'ok', detail: `no decision within ${deps.settings.approvalTtlMs} ms` } as const;
    if (!tx.transition('awaiting_approval', 'expired', { audit })) return;
    // Nobody may approve it now: free the pipeline rather than leave a manual job waiting.
    if (request.pipelineId !== null) await deps.vcs.cancelPipeline(request.pipelineId);
  });
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
