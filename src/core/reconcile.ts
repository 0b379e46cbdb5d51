/**
 * Catches up on what webhooks did not tell us, and on what a stop cut short: GitLab
 * disables a hook after repeated failures, deliveries get lost, the bot gets killed.
 * Every interval each open request's pipeline is synced (or found, for a request whose
 * pipeline was never heard of), approvals that waited past the TTL expire, openings cut
 * short are taken up, an approved deploy that never reached GitLab goes back to waiting
 * for approval, and rules whose own expiry has passed get their revocation opened.
 */
import { isExpired } from '../domain/approval.ts';
import type { ChangeRequest } from '../domain/request.ts';
import type { BotDeps } from './deps.ts';
import { openDueRevocations } from './expiry.ts';
import { withRequest } from './lifecycle.ts';
import { envJob, readPipeline } from './pipeline.ts';
import { environmentOf } from './environments.ts';
import { resumeOpening } from './queue.ts';
import { syncPipeline } from './sync.ts';

/**
 * How long a request may stay `deploying` while GitLab still shows its deploy job as
 * manual (not played) before the bot takes it that the play never reached GitLab (it
 * stopped between recording the approval and playing the job): unless BotSettings says.
 */
export const DEFAULT_DEPLOY_PLAY_TIMEOUT_MS = 5 * 60_000;

/**
 * How long processed webhook deliveries are remembered, so a redelivery (GitLab retrying
 * a timed-out hook, or someone pressing "Resend request") is still known as a duplicate.
 */
export const INBOX_MEMORY_MS = 30 * 24 * 3600_000;

export async function reconcileOnce(deps: BotDeps): Promise<void> {
  for (const request of deps.store.requests.open()) {
    try {
      if (request.state === 'awaiting_approval' && isExpired(request, environmentOf(deps, request).approvals.ttlMs, deps.now())) await expire(deps, request);
      // A request still being opened (or whose opening a stop cut short) is resumeOpening's.
      if (request.state === 'submitted') continue;
      const pipelineId = request.pipelineId ?? (await deps.vcs.listBranchPipelines(request.branch)).find((p) => p.source !== 'parent_pipeline')?.id;
      if (pipelineId !== undefined) await syncPipeline(deps, pipelineId);
      if (request.state === 'deploying' && pipelineId !== undefined) await unstickDeploy(deps, request.id);
    } catch (err) {
      deps.log.warn({ err, requestId: request.id }, 'reconciling a request failed; next pass tries again');
    }
  }
  try {
    await resumeOpening(deps);
  } catch (err) {
    deps.log.warn({ err }, 'taking up unfinished openings failed; next pass tries again');
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
    const audit = { actor: 'bot', action: 'expire', outcome: 'ok', detail: `no decision within ${environmentOf(deps, request).approvals.ttlMs} ms` } as const;
    if (!tx.transition('awaiting_approval', 'expired', { audit })) return;
    // Nobody may approve it now: free the pipeline rather than leave a manual job waiting.
    if (request.pipelineId !== null) await deps.vcs.cancelPipeline(request.pipelineId);
  });
}

/**
 * A request `deploying` whose deploy job GitLab still shows as manual, long after the
 * approval moved it there: the play never reached GitLab (the bot stopped in between).
 * It goes back to waiting for approval, audited, its approvals cleared: a person decides
 * again on the plan as it is now, rather than the bot playing on an old decision.
 */
async function unstickDeploy(deps: BotDeps, id: string): Promise<void> {
  const timeoutMs = deps.settings.deployPlayTimeoutMs ?? DEFAULT_DEPLOY_PLAY_TIMEOUT_MS;
  await withRequest(deps, id, async (tx) => {
    const request = tx.current();
    if (request.state !== 'deploying' || request.pipelineId === null) return;
    // The approval that moved it to deploying is the last one audited (syncs touch updatedAt).
    const approvedAt = deps.store.audit.list(id).findLast((e) => e.action === 'approve' && e.outcome === 'ok')?.at ?? request.updatedAt;
    if (deps.now().getTime() - Date.parse(approvedAt) < timeoutMs) return;
    const deploy = envJob(await readPipeline(deps, request.pipelineId, environmentOf(deps, request).jobs), 'deploy');
    if (deploy?.status !== 'manual') return;
    const audit = { actor: 'bot', action: 'play', outcome: 'error', detail: `the deploy job was still not played ${Math.round(timeoutMs / 1000)} s after the approval; waiting for approval again` } as const;
    if (!tx.transition('deploying', 'awaiting_approval', { audit, patch: { awaitingSince: deps.now().toISOString() } })) return;
    deps.store.approvals.clear(id);
    deps.log.warn({ requestId: id, jobId: deploy.id }, 'a deploy the bot approved never started; the request waits for approval again');
  });
}

/** `onPass` is told of each pass that completed (the reconciliation lag metric). */
export function startReconciler(deps: BotDeps, intervalMs: number, onPass?: () => void): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(() => reconcileOnce(deps)).then(() => onPass?.());
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
