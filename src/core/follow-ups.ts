/**
 * What follows any change of a request, whoever made it (a webhook, a click, the
 * reconciler, a new request). lifecycle.ts calls it once a unit of work on a request has
 * released the request's lock; nothing else refreshes Home tabs or starts queued requests.
 */
import { FINAL_STATES } from '../domain/request.ts';
import type { BotDeps, FollowUps, RequestChange } from './deps.ts';
import { refreshHomes } from './home.ts';
import { resumeOpening, startNextQueued } from './queue.ts';
import { retireApproval } from './thread.ts';

export const followUps: FollowUps = {
  async afterChange(deps: BotDeps, { before, after, approvalsChanged }: RequestChange): Promise<void> {
    // Each step on its own: one that fails (Slack down) must not keep the queue from moving.
    const step = (what: string, run: () => Promise<unknown>) =>
      run().catch((err: unknown) => deps.log.error({ err, requestId: after.id }, `${what} after a change of the request failed`));
    // A newer pipeline on the branch, or the plan job run again: the older plan's approval message must not be clicked.
    if (before?.pipelineId != null && (before.pipelineId !== after.pipelineId || before.planJobId !== after.planJobId)) {
      const older = { pipelineId: before.pipelineId, planJobId: before.planJobId };
      await step('retiring the older approval message', () => retireApproval(deps, after, older));
    }
    if (before?.state !== after.state || approvalsChanged) await refreshHomes(deps, after);
    const freed = (before === null || !FINAL_STATES.has(before.state)) && FINAL_STATES.has(after.state);
    if (freed) await step('starting the next queued request', () => startNext(deps));
  },
  async resume(deps) {
    await resumeOpening(deps);
    await startNext(deps);
  },
};

/** The Terraform state may be free: start the oldest queued request, if any. */
async function startNext(deps: BotDeps): Promise<void> {
  await startNextQueued(deps);
}
