/**
 * A request's Slack presence: the parent message (current status, updated in place)
 * and, in its thread, one message per topic. Rendering is a pure function of the
 * request, GitLab's facts and the store; `converge` posts or edits only what changed.
 */
import { DEPLOY_JOB, type ChangeRequest } from '../domain/request.ts';
import { summarizePlan } from '../plan/summary.ts';
import type { ComplianceReport } from '../compliance/engine.ts';
import { requestParent } from '../slack/blocks/request.ts';
import { pipelineStarted, jobFailed, deployResult } from '../slack/blocks/pipeline.ts';
import { complianceReport } from '../slack/blocks/compliance.ts';
import { planSummary } from '../slack/blocks/plan.ts';
import { approvalDecided, approvalRequest, type ApprovalContext, type ApprovalDecision } from '../slack/blocks/approval.ts';
import { converge } from './converge.ts';
import { afterDeploy } from './after-deploy.ts';
import type { BotDeps } from './deps.ts';
import type { JobInfo, SlackMessage } from './ports.ts';
import type { PipelineFacts } from './sync.ts';

const FINISHED = new Set(['success', 'failed']);
const LOG_TAIL_LINES = 40;

export async function renderThread(deps: BotDeps, request: ChangeRequest, facts: PipelineFacts): Promise<void> {
  const { pipeline, jobsByName } = facts;
  const mr = await deps.vcs.findMergeRequest(request.branch);
  const links = { pipelineUrl: pipeline.webUrl, mergeRequestUrl: mr?.webUrl ?? null };
  const parent = await converge(deps, request.id, 'parent', { channel: deps.settings.channel }, requestParent(request, links));
  const thread = { channel: deps.settings.channel, threadTs: parent.ts };
  const say = (topic: string, message: SlackMessage) => converge(deps, request.id, topic, thread, message);
  // A job's artifacts and log never change once it finished: read them for the first post only.
  const posted = (topic: string) => deps.store.messages.get(request.id, topic) !== undefined;
  const pid = pipeline.id;

  await say(`started:${pid}`, pipelineStarted({ pipelineId: pid, pipelineUrl: pipeline.webUrl, branch: pipeline.ref, sha: pipeline.sha }));

  const plan = jobsByName.get('plan');
  const compliance = jobsByName.get('compliance');
  if (compliance && FINISHED.has(compliance.status) && !posted(`compliance:${pid}`)) {
    const report = await readJson<ComplianceReport>(deps, compliance, 'compliance.json');
    if (report) await say(`compliance:${pid}`, complianceReport(report));
  }
  if (plan?.status === 'success' && !posted(`plan:${pid}`)) {
    const json = await readJson<unknown>(deps, plan, 'plan.json');
    if (json !== null) {
      const rendered = planSummary(summarizePlan(json), { pipelineUrl: pipeline.webUrl, planFileName: 'plan.txt' });
      await say(`plan:${pid}`, rendered.message);
      if (rendered.overflow && !deps.store.messages.get(request.id, `planfile:${pid}`)) {
        const text = await deps.vcs.readArtifact(plan.id, 'plan.txt');
        if (text !== null) {
          await deps.chat.uploadText(thread.channel, thread.threadTs, { filename: `plan-${pid}.txt`, title: `Terraform plan, pipeline #${pid}`, content: text });
          deps.store.messages.put(request.id, `planfile:${pid}`, { channel: thread.channel, ts: parent.ts, hash: 'uploaded' });
        }
      }
    }
  }

  const deploy = jobsByName.get(DEPLOY_JOB);
  const approvalTopic = `approval:${pid}`;
  const context: ApprovalContext = {
    pipelineUrl: pipeline.webUrl,
    mergeRequestUrl: mr?.webUrl ?? null,
    jobUrl: deploy?.webUrl ?? null,
    requiredApprovals: deps.settings.requiredApprovals,
    approvedBy: deps.store.approvals.list(request.id),
  };
  if (request.state === 'awaiting_approval') await say(approvalTopic, approvalRequest(request, context));
  else if (deps.store.messages.get(request.id, approvalTopic)) {
    const decision = decisionOf(deps, request);
    if (decision) await say(approvalTopic, approvalDecided(request, decision, context));
  }

  for (const job of facts.jobs) {
    if (job.status !== 'failed' || posted(`failed:${job.id}`)) continue;
    const tail = await deps.vcs.jobLogTail(job.id, LOG_TAIL_LINES);
    await say(`failed:${job.id}`, jobFailed({ jobName: job.name, logTail: tail, jobUrl: job.webUrl }));
  }
  if (deploy && FINISHED.has(deploy.status)) {
    const succeeded = deploy.status === 'success';
    const after = succeeded ? await afterDeploy(deps, request, pid, mr, thread) : { merged: null, checks: [] };
    await say(`deploy:${pid}`, deployResult(request, { succeeded, jobUrl: deploy.webUrl, ...after }));
  }
}

/** The decision shown on a decided approval message, from the audit trail. */
function decisionOf(deps: BotDeps, request: ChangeRequest): ApprovalDecision | null {
  const entries = deps.store.audit.list(request.id).filter((e) => e.outcome === 'ok');
  const last = entries.findLast((e) => e.action === 'approve' || e.action === 'reject' || e.action === 'expire');
  // None recorded: the job was played or the pipeline cancelled in GitLab itself. The
  // message keeps its buttons, and a click on them is refused as "not waiting".
  if (!last) return null;
  if (last.action === 'reject') return { outcome: 'rejected', by: last.actor, at: last.at, reason: last.detail };
  if (last.action === 'expire') return { outcome: 'expired', at: last.at };
  return { outcome: 'approved', by: last.actor, at: last.at };
}

async function readJson<T>(deps: BotDeps, job: JobInfo, path: string): Promise<T | null> {
  const text = await deps.vcs.readArtifact(job.id, path);
  if (text === null) return null;
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    deps.log.warn({ jobId: job.id, path, err: (err as Error).message }, 'artifact is not JSON; not shown');
    return null;
  }
}

