/**
 * The one door for pipeline news (STYLE habit 2): a webhook, a reconciliation pass or a
 * replayed delivery all call `syncPipeline`. It reads the pipeline as GitLab reports it
 * now, finds or creates the request it belongs to, derives the request's state and
 * converges the request's Slack thread. Running it twice changes nothing.
 */
import { DEPLOY_JOB, FINAL_STATES, requestIdOfBranch, stateFromPipeline, type ChangeRequest } from '../domain/request.ts';
import { parseRuleFile, ruleFilePath, type RuleFile } from '../domain/rule.ts';
import { analysePlan } from '../plan/summary.ts';
import type { BotDeps } from './deps.ts';
import type { JobInfo, PipelineInfo } from './ports.ts';
import { renderThread } from './thread.ts';
import { converge } from './converge.ts';
import { approvalDecided } from '../slack/blocks/approval.ts';
import { startNextQueued } from './submit.ts';
import { refreshHomes } from './home.ts';
import { autoApproveRevocation } from './expiry.ts';

export interface PipelineFacts {
  pipeline: PipelineInfo;
  jobs: JobInfo[];
  jobsByName: ReadonlyMap<string, JobInfo>;
}

export async function readPipeline(deps: BotDeps, pipelineId: number): Promise<PipelineFacts> {
  const [pipeline, jobs] = await Promise.all([deps.vcs.getPipeline(pipelineId), deps.vcs.listPipelineJobs(pipelineId)]);
  return { pipeline, jobs, jobsByName: new Map(jobs.map((j) => [j.name, j])) };
}

/**
 * The request a pipeline belongs to: by pipeline; by our branch naming (a request the
 * bot does not know, e.g. after its database was lost, is rebuilt from the rule file on
 * the branch, which names its requester); or a new external one for a Portcullis
 * pipeline someone else started — once its plan shows there is something to approve.
 */
async function requestFor(deps: BotDeps, facts: PipelineFacts): Promise<ChangeRequest | null> {
  const known = deps.store.requests.byPipeline(facts.pipeline.id);
  if (known) return known;
  const id = requestIdOfBranch(facts.pipeline.ref);
  const byBranch = id === null ? undefined : deps.store.requests.get(id);
  if (byBranch) return byBranch;
  // Not a Portcullis pipeline (no deploy job): nothing to follow.
  if (!facts.jobsByName.has(DEPLOY_JOB)) return null;
  const rule = id === null ? null : await ruleOnBranch(deps, id, facts.pipeline.sha);
  if (!rule && !(await worthFollowing(deps, facts))) return null;
  const at = deps.now().toISOString();
  const request: ChangeRequest = {
    id: rule?.id ?? `PL-${facts.pipeline.id}`,
    kind: rule ? 'request' : 'external',
    state: 'planning',
    rule,
    requester: rule?.requester ?? null,
    branch: facts.pipeline.ref,
    mergeRequestIid: null,
    pipelineId: facts.pipeline.id,
    sha: facts.pipeline.sha,
    deployJobId: null,
    awaitingSince: null,
    createdAt: at,
    updatedAt: at,
  };
  deps.store.requests.save(request);
  return request;
}

/**
 * Whether a pipeline the bot did not start deserves a thread: not before its plan is
 * known, and not when the plan changes nothing (the default branch after every merged
 * request plans exactly that, and would otherwise ask for an approval of nothing). A
 * pipeline that failed is always shown.
 */
async function worthFollowing(deps: BotDeps, facts: PipelineFacts): Promise<boolean> {
  if (facts.pipeline.status === 'failed') return true;
  const plan = facts.jobsByName.get('plan');
  if (plan?.status !== 'success') return false;
  const text = await deps.vcs.readArtifact(plan.id, 'plan.json');
  if (text === null) return true;
  try {
    const { counts } = analysePlan(JSON.parse(text));
    return counts.add + counts.change + counts.destroy + counts.replace > 0;
  } catch {
    return true; // a plan we cannot read is worth a person's look
  }
}

async function ruleOnBranch(deps: BotDeps, id: string, sha: string): Promise<RuleFile | null> {
  const text = await deps.vcs.readFile(sha, ruleFilePath(id));
  if (text === null) return null;
  try {
    return parseRuleFile(text, ruleFilePath(id));
  } catch (err) {
    deps.log.warn({ requestId: id, err: (err as Error).message }, 'rule file on the branch does not parse; following the pipeline as external');
    return null;
  }
}

export async function syncPipeline(deps: BotDeps, pipelineId: number): Promise<ChangeRequest | null> {
  const facts = await readPipeline(deps, pipelineId);
  if (facts.pipeline.source === 'parent_pipeline') return null; // a child pipeline is never a request's: its parent is
  const first = await requestFor(deps, facts);
  if (!first) return null;
  const before = deps.store.requests.get(first.id)!.state;
  // Every log line about this request carries its id (the worker's logger adds delivery and pipeline).
  deps = { ...deps, log: deps.log.child({ requestId: first.id, pipelineId }) };
  const after = await deps.locks.run(first.id, async () => {
    let request = deps.store.requests.get(first.id)!;
    if (request.pipelineId !== null && facts.pipeline.id < request.pipelineId) return request; // an older pipeline of the branch
    const previousPipeline = request.pipelineId;
    request = adopt(deps, request, facts);
    await renderThread(deps, request, facts);
    if (previousPipeline !== null && previousPipeline !== facts.pipeline.id) await retireApproval(deps, request, previousPipeline, facts.pipeline.id);
    // An expired rule's revocation may be approved by the bot itself: show it decided at once.
    if (await autoApproveRevocation(deps, request, facts)) await renderThread(deps, deps.store.requests.get(request.id)!, facts);
    return deps.store.requests.get(request.id)!;
  });
  if (before !== after.state) deps.log.info({ from: before, to: after.state }, 'request state changed');
  else deps.log.debug({ state: after.state }, 'pipeline synced, nothing changed');
  if (before !== after.state) await refreshHomes(deps, after);
  if (!FINAL_STATES.has(before) && FINAL_STATES.has(after.state)) await startNextQueued(deps);
  return after;
}

/** The older pipeline's approval request, if it was posted, loses its buttons. */
async function retireApproval(deps: BotDeps, request: ChangeRequest, oldPipeline: number, newPipeline: number): Promise<void> {
  const topic = `approval:${oldPipeline}`;
  const posted = deps.store.messages.get(request.id, topic);
  if (!posted) return;
  const context = { pipelineUrl: null, mergeRequestUrl: null, jobUrl: null, requiredApprovals: deps.settings.requiredApprovals, approvedBy: [] };
  const decided = approvalDecided({ ...request, pipelineId: oldPipeline }, { outcome: 'superseded', at: deps.now().toISOString(), byPipeline: newPipeline }, context);
  await converge(deps, request.id, topic, { channel: posted.channel }, decided);
}

/** Applies GitLab's view to the stored request and saves it; returns the new record. */
function adopt(deps: BotDeps, request: ChangeRequest, facts: PipelineFacts): ChangeRequest {
  const deploy = facts.jobsByName.get(DEPLOY_JOB);
  const newPipeline = request.pipelineId !== facts.pipeline.id;
  // A newer pipeline on the branch (a new commit) starts the decision over.
  if (newPipeline && request.pipelineId !== null) deps.store.approvals.clear(request.id);
  const base = newPipeline && !FINAL_STATES.has(request.state) ? { ...request, state: 'planning' as const, awaitingSince: null } : request;
  const state = stateFromPipeline(base.state, { status: facts.pipeline.status, jobs: facts.jobsByName });
  const next: ChangeRequest = {
    ...base,
    state,
    pipelineId: facts.pipeline.id,
    sha: facts.pipeline.sha,
    deployJobId: deploy?.id ?? null,
    awaitingSince: state === 'awaiting_approval' ? (base.awaitingSince ?? deps.now().toISOString()) : base.awaitingSince,
    updatedAt: deps.now().toISOString(),
  };
  if (JSON.stringify({ ...next, updatedAt: '' }) !== JSON.stringify({ ...request, updatedAt: '' })) deps.store.requests.save(next);
  return next;
}
