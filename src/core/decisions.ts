/**
 * What happens when Approve or Reject is clicked, top to bottom. The listener has
 * already acknowledged the click; everything here may take its time. Every outcome is
 * audited; a refused click is told why, privately.
 */
import { judgeApproval } from '../domain/approval.ts';
import type { ChangeRequest, RequestState } from '../domain/request.ts';
import { refusal } from '../slack/blocks/approval.ts';
import type { BotDeps } from './deps.ts';
import type { AuditEntry } from './ports.ts';
import { syncPipeline } from './sync.ts';
import { startNextQueued } from './submit.ts';
import { refreshHomes } from './home.ts';

export interface Click {
  requestId: string;
  /** Pipeline whose plan the clicked message showed. */
  pipelineId: number;
  user: string;
  channel: string;
}

/** Approver ids from configuration and the approver user group, read fresh for each click. */
export async function approvers(deps: BotDeps): Promise<Set<string>> {
  const ids = new Set(deps.settings.approverIds);
  if (deps.settings.approverGroup) for (const id of await deps.chat.usergroupMembers(deps.settings.approverGroup)) ids.add(id);
  return ids;
}

function audit(deps: BotDeps, entry: Omit<AuditEntry, 'at'>): void {
  deps.store.audit.record({ at: deps.now().toISOString(), ...entry });
}

async function tell(deps: BotDeps, click: Click, reason: string): Promise<void> {
  await deps.chat.postEphemeral(click.channel, click.user, refusal(reason));
}

export async function approve(deps: BotDeps, click: Click): Promise<void> {
  await deps.locks.run(click.requestId, async () => {
    const request = deps.store.requests.get(click.requestId);
    if (!request) return refuse(deps, click, 'unknown_request', 'this request is not known to the bot');
    const branchHead = await deps.vcs.branchHead(request.branch);
    const verdict =
      click.pipelineId !== request.pipelineId
        ? ({ ok: false, code: 'stale_commit', reason: 'this message shows an older pipeline; approve the newest plan in the thread' } as const)
        : judgeApproval(
            { approvers: await approvers(deps), required: deps.settings.requiredApprovals, ttlMs: deps.settings.approvalTtlMs },
            { request, clicker: click.user, now: deps.now(), branchHead, approvedBy: deps.store.approvals.list(request.id) },
          );
    if (!verdict.ok) return refuse(deps, click, verdict.code, verdict.reason);

    deps.store.approvals.add(request.id, click.user, deps.now().toISOString());
    audit(deps, { requestId: request.id, actor: click.user, action: 'approve', outcome: 'ok', detail: `pipeline ${request.pipelineId}` });
    if (!verdict.complete) return;
    await playDeploy(deps, request, click);
  });
  const after = await syncPipeline(deps, click.pipelineId);
  // An approval changes what the other approvers see even when the state stays.
  if (after) await refreshHomes(deps, after);
}

async function playDeploy(deps: BotDeps, request: ChangeRequest, click: Click): Promise<void> {
  // The compare-and-set is what makes a double click, or two approvers at once, play once.
  if (!deps.store.requests.transition(request.id, 'awaiting_approval', 'deploying')) return;
  try {
    if (request.deployJobId === null) throw new Error('the pipeline has no deploy job');
    await deps.vcs.playJob(request.deployJobId);
    audit(deps, { requestId: request.id, actor: click.user, action: 'play', outcome: 'ok', detail: `job ${request.deployJobId}` });
  } catch (err) {
    const message = (err as Error).message;
    // GitLab refused or failed: the request waits for a decision again and the buttons stay.
    deps.store.requests.transition(request.id, 'deploying', 'awaiting_approval');
    deps.store.approvals.clear(request.id);
    audit(deps, { requestId: request.id, actor: click.user, action: 'play', outcome: 'error', detail: message });
    await tell(deps, click, `GitLab did not start the deploy (${message}); the request is still waiting, try again`);
  }
}

async function refuse(deps: BotDeps, click: Click, code: string, reason: string): Promise<void> {
  audit(deps, { requestId: click.requestId, actor: click.user, action: 'refuse', outcome: 'refused', detail: `${code}: ${reason}` });
  deps.log.info({ requestId: click.requestId, user: click.user, code }, 'decision refused');
  await tell(deps, click, reason);
}

const REJECTABLE: readonly RequestState[] = ['queued', 'planning', 'awaiting_approval'];

/** Who may reject: an approver, or the requester withdrawing their own request. */
export async function mayReject(deps: BotDeps, request: ChangeRequest, user: string): Promise<string | null> {
  if (request.requester !== user && !(await approvers(deps)).has(user)) return 'only an approver or the requester can reject a request';
  if (!REJECTABLE.includes(request.state)) return `the request is ${request.state.replace('_', ' ')}, it can no longer be rejected`;
  return null;
}

export async function reject(deps: BotDeps, click: Click & { reason: string }): Promise<void> {
  const outcome = await deps.locks.run(click.requestId, async () => {
    const request = deps.store.requests.get(click.requestId);
    if (!request) return refuse(deps, click, 'unknown_request', 'this request is not known to the bot');
    const refused = await mayReject(deps, request, click.user);
    if (refused) return refuse(deps, click, 'not_rejectable', refused);
    if (!deps.store.requests.transition(request.id, request.state, 'rejected')) return refuse(deps, click, 'not_rejectable', 'the request changed meanwhile; look at the thread');
    audit(deps, { requestId: request.id, actor: click.user, action: 'reject', outcome: 'ok', detail: click.reason });
    return request;
  });
  if (!outcome) return;
  const request = outcome;
  const steps: Array<[string, () => Promise<void>]> = [];
  if (request.pipelineId !== null) steps.push(['cancel', () => deps.vcs.cancelPipeline(request.pipelineId!)]);
  const mr = request.mergeRequestIid ?? (await deps.vcs.findMergeRequest(request.branch))?.iid ?? null;
  if (mr !== null) steps.push(['close', () => deps.vcs.closeMergeRequest(mr)]);
  for (const [action, step] of steps) {
    try {
      await step();
      audit(deps, { requestId: request.id, actor: 'bot', action, outcome: 'ok', detail: '' });
    } catch (err) {
      audit(deps, { requestId: request.id, actor: 'bot', action, outcome: 'error', detail: (err as Error).message });
      await tell(deps, click, `rejected, but GitLab did not ${action === 'cancel' ? 'cancel the pipeline' : 'close the merge request'}: ${(err as Error).message}`);
    }
  }
  if (request.pipelineId !== null) await syncPipeline(deps, request.pipelineId);
  await refreshHomes(deps, deps.store.requests.get(request.id)!);
  // The state is free again (a rejected request never reaches it through a pipeline sync).
  await startNextQueued(deps);
}
