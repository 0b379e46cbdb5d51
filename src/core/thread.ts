/**
 * A request's Slack presence: the parent message (current status, updated in place)
 * and, in its thread, one message per topic; and the private answers to the people who
 * act on it. Rendering is a pure function of the request, GitLab's facts and the store;
 * `converge` posts or edits only what changed. With the Home tab and the after-deploy
 * report, this is the only part of the core that builds Slack messages.
 */
import type { ChangeRequest } from '../domain/request.ts';
import { summarizeAnalysis } from '../plan/summary.ts';
import { requestParent, type RequestLinks } from '../slack/blocks/request.ts';
import { pipelineStarted, jobFailed, deployResult, deployedOutsideSlack } from '../slack/blocks/pipeline.ts';
import { complianceReport } from '../slack/blocks/compliance.ts';
import { planSummary } from '../slack/blocks/plan.ts';
import { approvalBlocked, approvalDecided, approvalRequest, refusal, type ApprovalContext, type ApprovalDecision } from '../slack/blocks/approval.ts';
import { submitFailed } from '../slack/blocks/sg-request.ts';
import { requiredApprovals } from '../domain/approval.ts';
import { changersOf, type Changers } from './changers.ts';
import { converge } from './converge.ts';
import { afterDeploy } from './after-deploy.ts';
import { judgePipeline, recordVerdict } from './gate.ts';
import type { BotDeps } from './deps.ts';
import { environmentOf } from './environments.ts';
import { markDone, markedDone } from './markers.ts';
import { outOfBandDeploy, type OutOfBandDeploy } from './out-of-band.ts';
import { envJob, type PipelineFacts } from './pipeline.ts';
import type { SlackMessage } from './ports.ts';
import { topics } from './topics.ts';

const FINISHED = new Set(['success', 'failed']);
const LOG_TAIL_LINES = 40;

export async function renderThread(deps: BotDeps, request: ChangeRequest, facts: PipelineFacts): Promise<void> {
  const { pipeline } = facts;
  const env = environmentOf(deps, request);
  const mr = await deps.vcs.findMergeRequest(request.branch);
  const links = { pipelineUrl: pipeline.webUrl, mergeRequestUrl: mr?.webUrl ?? null };
  const parent = await converge(deps, request.id, topics.parent, { channel: env.channel }, requestParent(request, links));
  const thread = { channel: env.channel, threadTs: parent.ts };
  const say = (topic: string, message: SlackMessage) => converge(deps, request.id, topic, thread, message);
  // A job's artifacts and log never change once it finished: read them for the first post only.
  const posted = (topic: string) => deps.store.messages.get(request.id, topic) !== undefined;
  const pid = pipeline.id;

  await say(topics.started(pid), pipelineStarted({ pipelineId: pid, pipelineUrl: pipeline.webUrl, branch: pipeline.ref, sha: pipeline.sha }));

  // Keyed on the jobs that made them: a compliance or plan job run again is reported again.
  const complianceJob = envJob(facts, 'compliance');
  if (complianceJob && !posted(topics.compliance(pid, complianceJob.id))) {
    const report = await facts.complianceReport();
    if (report) await say(topics.compliance(pid, complianceJob.id), complianceReport(report));
  }
  const planJob = envJob(facts, 'plan');
  if (planJob && !posted(topics.plan(pid, planJob.id))) {
    const plan = await facts.plan();
    if (plan.status === 'unreadable') deps.log.warn({ pipelineId: pid, jobId: planJob.id, path: 'plan.json', err: plan.reason }, 'plan.json is not a plan; not shown');
    if (plan.status === 'read') {
      const rendered = planSummary(summarizeAnalysis(plan.analysis), { pipelineUrl: pipeline.webUrl, planFileName: 'plan.txt' });
      await say(topics.plan(pid, planJob.id), rendered.message);
      const planFile = { kind: 'plan-file', planJobId: planJob.id } as const;
      if (rendered.overflow && !markedDone(deps, request.id, planFile)) {
        const text = await deps.vcs.readArtifact(planJob.id, 'plan.txt');
        if (text !== null) {
          await deps.chat.uploadText(thread.channel, thread.threadTs, { filename: `plan-${pid}-${planJob.id}.txt`, title: `Terraform plan, pipeline #${pid}, job #${planJob.id}`, content: text });
          markDone(deps, request.id, planFile, 'ok', `plan-${pid}-${planJob.id}.txt`);
        }
      }
    }
  }

  const deploy = envJob(facts, 'deploy');
  const outside = outOfBandDeploy(deps, request.id, pid);
  const approvalTopic = topics.approval(pid, request.planJobId);
  const context: ApprovalContext = {
    pipelineUrl: pipeline.webUrl,
    mergeRequestUrl: mr?.webUrl ?? null,
    jobUrl: deploy?.webUrl ?? null,
    requiredApprovals: env.approvals.required,
    approvedBy: deps.store.approvals.list(request.id),
  };
  if (request.state === 'awaiting_approval' && !outside) {
    // Approve is offered only on a plan the bot judged itself; the click is judged again.
    const verdict = await judgePipeline(deps, request, facts);
    recordVerdict(deps, request, verdict);
    const changers = await shownChangers(deps, request);
    const asked: ApprovalContext = {
      ...context,
      requiredApprovals: requiredApprovals(env.approvals.required, changers.unmapped.length),
      changers: { users: [...changers.slackUsers].filter((u) => u !== request.requester), unmapped: changers.unmapped },
    };
    await say(approvalTopic, verdict.ok ? approvalRequest(request, asked) : approvalBlocked(request, verdict.problems, asked));
  } else if (posted(approvalTopic)) {
    const decision = decisionOf(deps, request, outside);
    if (decision) await say(approvalTopic, approvalDecided(request, decision, context));
  }

  for (const job of facts.jobs) {
    if (job.status !== 'failed' || posted(topics.failedJob(job.id))) continue;
    const tail = await deps.vcs.jobLogTail(job.id, LOG_TAIL_LINES);
    await say(topics.failedJob(job.id), jobFailed({ jobName: job.name, logTail: tail, jobUrl: job.webUrl }));
  }
  // Raised in the channel, not only in the thread: someone went around the approval.
  if (outside) await converge(deps, request.id, topics.outOfBandAlert(pid), { channel: env.channel }, deployedOutsideSlack(request, { by: outside.by, jobUrl: deploy?.webUrl ?? null }));
  if (deploy && FINISHED.has(deploy.status)) {
    const succeeded = deploy.status === 'success';
    const after = succeeded ? await afterDeploy(deps, request, pid, mr, thread) : { merged: null, checks: [] };
    await say(topics.deploy(pid), deployResult(request, { succeeded, jobUrl: deploy.webUrl, ...after, ...(outside ? { outsideBy: { by: outside.by } } : {}) }));
  }
}

/** Who made the change, as the approval message shows it; when GitLab or Slack cannot say, that is shown (a click reads it again). */
async function shownChangers(deps: BotDeps, request: ChangeRequest): Promise<Changers> {
  try {
    return await changersOf(deps, request);
  } catch (err) {
    deps.log.warn({ requestId: request.id, err: (err as Error).message }, 'who made this change could not be read');
    return { slackUsers: new Set(request.requester === null ? [] : [request.requester]), unmapped: ['(GitLab or Slack did not say who made this change)'] };
  }
}

/** The decision shown on a decided approval message, from the audit trail. */
function decisionOf(deps: BotDeps, request: ChangeRequest, outside: OutOfBandDeploy | null): ApprovalDecision | null {
  if (outside) return { outcome: 'outside', by: outside.by, at: outside.at };
  const entries = deps.store.audit.list(request.id).filter((e) => e.outcome === 'ok');
  const last = entries.findLast((e) => e.action === 'approve' || e.action === 'reject' || e.action === 'expire');
  // None recorded: the pipeline was cancelled in GitLab itself. The message keeps its
  // buttons, and a click on them is refused as "not waiting".
  if (!last) return null;
  if (last.action === 'reject') return { outcome: 'rejected', by: last.actor, at: last.at, reason: last.detail };
  if (last.action === 'expire') return { outcome: 'expired', at: last.at };
  return { outcome: 'approved', by: last.actor, at: last.at };
}

/**
 * The approval message of an older plan, if it was posted, loses its buttons: the
 * pipeline of an older commit, or the same pipeline's plan job before it ran again.
 */
export async function retireApproval(deps: BotDeps, request: ChangeRequest, older: { pipelineId: number; planJobId: number | null }): Promise<void> {
  const topic = topics.approval(older.pipelineId, older.planJobId);
  const posted = deps.store.messages.get(request.id, topic);
  if (!posted || request.pipelineId === null) return;
  const at = deps.now().toISOString();
  const decision: ApprovalDecision =
    older.pipelineId === request.pipelineId && request.planJobId !== null
      ? { outcome: 'replanned', at, byJob: request.planJobId }
      : { outcome: 'superseded', at, byPipeline: request.pipelineId };
  const context = { pipelineUrl: null, mergeRequestUrl: null, jobUrl: null, requiredApprovals: environmentOf(deps, request).approvals.required, approvedBy: [] };
  const decided = approvalDecided({ ...request, ...older }, decision, context);
  await converge(deps, request.id, topic, { channel: posted.channel }, decided);
}

/** Posts or updates the request's parent message; its ts, or null when Slack did not take it (the next sync posts it). */
export async function showParent(deps: BotDeps, request: ChangeRequest, links: RequestLinks): Promise<string | null> {
  try {
    return (await converge(deps, request.id, topics.parent, { channel: environmentOf(deps, request).channel }, requestParent(request, links))).ts;
  } catch (err) {
    deps.log.error({ err, requestId: request.id }, 'posting the request message failed');
    return null;
  }
}

/** Says in the request's thread where opening it in GitLab stopped, and why. */
export async function showSubmitFailure(deps: BotDeps, request: ChangeRequest, step: string, reason: string): Promise<void> {
  const parentTs = await showParent(deps, request, {});
  if (parentTs === null) return;
  await converge(deps, request.id, topics.submitError, { channel: environmentOf(deps, request).channel, threadTs: parentTs }, submitFailed(step, reason)).catch((e: unknown) =>
    deps.log.error({ err: e, requestId: request.id }, 'reporting the GitLab failure in Slack failed too'),
  );
}

/** Tells one person, privately, why what they did was refused. */
export async function tellRefusal(deps: BotDeps, to: { channel: string; user: string }, reason: string): Promise<void> {
  await deps.chat.postEphemeral(to.channel, to.user, refusal(reason));
}
