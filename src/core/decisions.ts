/**
 * What happens when Approve or Reject is clicked, top to bottom. The listener has
 * already acknowledged the click; everything here may take its time. Every outcome is
 * audited; a refused click is told why, privately.
 */
import { judgeApproval } from '../domain/approval.ts';
import type { ChangeRequest, RequestState } from '../domain/request.ts';
import { approvers } from './approvers.ts';
import { changersOf, type Changers } from './changers.ts';
import type { BotDeps } from './deps.ts';
import { environmentOf } from './environments.ts';
import { judgePipeline } from './gate.ts';
import { withRequest, type RequestTx } from './lifecycle.ts';
import { envJob, readPipeline } from './pipeline.ts';
import { syncPipeline } from './sync.ts';
import { tellRefusal } from './thread.ts';

export interface Click {
  requestId: string;
  /** Pipeline whose plan the clicked message showed. */
  pipelineId: number;
  /** Plan job whose plan the clicked message showed (null on a message posted before plan jobs were named). */
  planJobId: number | null;
  user: string;
  channel: string;
}

const STALE_PLAN = {
  ok: false,
  code: 'stale_plan',
  reason: "this message shows an earlier plan: the pipeline's plan job ran again since; approve the newest plan in the thread",
} as const;

export async function approve(deps: BotDeps, click: Click): Promise<void> {
  if (!deps.store.requests.get(click.requestId)) return refuse(deps, click, 'unknown_request', 'this request is not known to the bot');
  await withRequest(deps, click.requestId, async (tx) => {
    const request = tx.current();
    // Everything below is the request's own environment's: its approvers, count and TTL, its jobs.
    const env = environmentOf(deps, request);
    const branchHead = await deps.vcs.branchHead(request.branch);
    // Who made the change is read from GitLab at every click; not knowing is a refusal.
    let changers: Changers;
    try {
      changers = await changersOf(deps, request);
    } catch (err) {
      return refuse(deps, click, 'changers_unknown', `Portcullis could not read who made this change (${(err as Error).message}); try again`);
    }
    const verdict =
      click.pipelineId !== request.pipelineId
        ? ({ ok: false, code: 'stale_commit', reason: 'this message shows an older pipeline; approve the newest plan in the thread' } as const)
        : click.planJobId === null || click.planJobId !== request.planJobId
          ? STALE_PLAN
          : judgeApproval(
            { approvers: await approvers(deps, env), required: env.approvals.required, ttlMs: env.approvals.ttlMs },
            {
              request,
              clicker: click.user,
              now: deps.now(),
              branchHead,
              approvedBy: deps.store.approvals.list(request.id),
              changers: changers.slackUsers,
              unmappedChangers: changers.unmapped.length,
            },
          );
    if (!verdict.ok) return refuse(deps, click, verdict.code, verdict.reason);
    // The bot's own verdict on the plan it would deploy, read again now: whatever the message showed.
    const facts = await readPipeline(deps, click.pipelineId, env.jobs);
    // The plan job may have run again since the last sync: that plan is not the one shown.
    if (envJob(facts, 'plan')?.id !== click.planJobId) return refuse(deps, click, STALE_PLAN.code, STALE_PLAN.reason);
    // The job the last approval plays is this environment's deploy job, as GitLab reports it now.
    if (envJob(facts, 'deploy')?.id !== request.deployJobId) return refuse(deps, click, 'stale_deploy', `the pipeline's ${env.jobs.deploy} job is not the one this request is waiting on; look at the thread`);
    const gate = await judgePipeline(deps, request, facts);
    if (!gate.ok) return refuse(deps, click, 'plan_refused', `Portcullis will not deploy this plan: ${gate.problems.join('; ')}`);

    deps.store.approvals.add(request.id, click.user, deps.now().toISOString());
    tx.audit({ actor: click.user, action: 'approve', outcome: 'ok', detail: `pipeline ${request.pipelineId}, plan job ${request.planJobId}` });
    if (verdict.complete) await playDeploy(deps, tx, click);
  });
  await syncPipeline(deps, click.pipelineId);
}

async function playDeploy(deps: BotDeps, tx: RequestTx, click: Click): Promise<void> {
  // The compare-and-set is what makes a double click, or two approvers at once, play once.
  if (!tx.transition('awaiting_approval', 'deploying')) {
    return tellRefusal(deps, click, `your approval is recorded, but the request is ${tx.current().state.replace('_', ' ')} now, so it did not start the deploy`);
  }
  const { deployJobId } = tx.current();
  try {
    if (deployJobId === null) throw new Error('the pipeline has no deploy job');
    await deps.vcs.playJob(deployJobId);
    tx.audit({ actor: click.user, action: 'play', outcome: 'ok', detail: `job ${deployJobId}` });
  } catch (err) {
    const message = (err as Error).message;
    // GitLab refused or failed: the request waits for a decision again and the buttons stay.
    tx.transition('deploying', 'awaiting_approval');
    deps.store.approvals.clear(tx.id);
    tx.audit({ actor: click.user, action: 'play', outcome: 'error', detail: message });
    await tellRefusal(deps, click, `GitLab did not start the deploy (${message}); the request is still waiting, try again`);
  }
}

async function refuse(deps: BotDeps, click: Click, code: string, reason: string): Promise<void> {
  deps.store.audit.record({ at: deps.now().toISOString(), requestId: click.requestId, actor: click.user, action: 'refuse', outcome: 'refused', detail: `${code}: ${reason}` });
  deps.log.info({ requestId: click.requestId, user: click.user, code }, 'decision refused');
  await tellRefusal(deps, click, reason);
}

const REJECTABLE: readonly RequestState[] = ['submitted', 'queued', 'planning', 'awaiting_approval'];

/** Who may reject: an approver, or the requester withdrawing their own request. */
export async function mayReject(deps: BotDeps, request: ChangeRequest, user: string): Promise<string | null> {
  if (request.requester !== user && !(await approvers(deps, environmentOf(deps, request))).has(user)) return 'only an approver or the requester can reject a request';
  if (!REJECTABLE.includes(request.state)) return `the request is ${request.state.replace('_', ' ')}, it can no longer be rejected`;
  return null;
}

export async function reject(deps: BotDeps, click: Click & { reason: string }): Promise<void> {
  if (!deps.store.requests.get(click.requestId)) return refuse(deps, click, 'unknown_request', 'this request is not known to the bot');
  const rejected = await withRequest(deps, click.requestId, async (tx) => {
    const request = tx.current();
    const refused = await mayReject(deps, request, click.user);
    if (refused) return void (await refuse(deps, click, 'not_rejectable', refused));
    const audit = { actor: click.user, action: 'reject', outcome: 'ok', detail: click.reason } as const;
    if (!tx.transition(request.state, 'rejected', { audit })) return void (await refuse(deps, click, 'not_rejectable', 'the request changed meanwhile; look at the thread'));
    // Its pipeline and merge request are closed before anything that follows the rejection (the next queued request starts).
    await closeInGitLab(deps, tx, click);
    return tx.current();
  });
  if (rejected?.pipelineId != null) await syncPipeline(deps, rejected.pipelineId);
}

async function closeInGitLab(deps: BotDeps, tx: RequestTx, click: Click): Promise<void> {
  const request = tx.current();
  const steps: Array<[string, () => Promise<void>]> = [];
  if (request.pipelineId !== null) steps.push(['cancel', () => deps.vcs.cancelPipeline(request.pipelineId!)]);
  const mr = request.mergeRequestIid ?? (await deps.vcs.findMergeRequest(request.branch))?.iid ?? null;
  if (mr !== null) steps.push(['close', () => deps.vcs.closeMergeRequest(mr)]);
  for (const [action, step] of steps) {
    try {
      await step();
      tx.audit({ actor: 'bot', action, outcome: 'ok', detail: '' });
    } catch (err) {
      tx.audit({ actor: 'bot', action, outcome: 'error', detail: (err as Error).message });
      await tellRefusal(deps, click, `rejected, but GitLab did not ${action === 'cancel' ? 'cancel the pipeline' : 'close the merge request'}: ${(err as Error).message}`);
    }
  }
}
