/**
 * The one door for pipeline news: a webhook, a reconciliation pass or a replayed delivery
 * all call `syncPipeline`. It reads the pipeline as GitLab reports it now, finds or
 * creates the request it belongs to, derives the request's state and converges the
 * request's Slack thread. Running it twice changes nothing.
 */
import { ruleFileOf, type Environment } from '../domain/environment.ts';
import { FINAL_STATES, newChangeRequest, requestIdOfBranch, stateFromPipeline, type ChangeRequest } from '../domain/request.ts';
import { parseRuleFile, type RuleFile } from '../domain/rule.ts';
import type { BotDeps } from './deps.ts';
import { environmentOf, environmentsOf } from './environments.ts';
import { autoApproveRevocation } from './expiry.ts';
import { withNewRequest, withRequest, type RequestTx } from './lifecycle.ts';
import { noteOutOfBandDeploy } from './out-of-band.ts';
import { envJob, readPipeline, type PipelineFacts } from './pipeline.ts';
import { renderThread } from './thread.ts';

/**
 * The request a pipeline belongs to: by pipeline; by our branch naming (a request the
 * bot does not know, e.g. after its database was lost, is rebuilt from the rule file on
 * the branch — its rule only, to match the plan against: whoever pushes writes the
 * file, so its `requester` is never believed; who changed it is read from GitLab, see
 * changers.ts); or a new external one for a Portcullis
 * pipeline someone else started — once its plan shows there is something to approve.
 * A new one is returned unsaved, as `created`.
 */
async function requestFor(deps: BotDeps, facts: PipelineFacts): Promise<{ known: ChangeRequest } | { created: ChangeRequest } | null> {
  const known = deps.store.requests.byPipeline(facts.pipeline.id);
  if (known) return { known };
  const id = requestIdOfBranch(facts.pipeline.ref);
  const byBranch = id === null ? undefined : deps.store.requests.get(id);
  if (byBranch) return { known: byBranch };
  // The environments it deploys. None: not a Portcullis pipeline, nothing to follow. Several:
  // followed as the first one's, and the gate refuses it (a change must touch one only).
  const envs = environmentsOf(deps).list.filter((e) => facts.jobsByName.has(e.jobs.deploy));
  const env = envs[0];
  if (!env) return null;
  const found = id === null ? null : await ruleOnBranch(deps, id, facts.pipeline.sha, envs);
  const rule = found?.rule ?? null;
  const environment = found?.env ?? env;
  if (!rule && !(await worthFollowing(facts.forEnvironment(environment.jobs)))) return null;
  const created = newChangeRequest({
    id: rule?.id ?? `PL-${facts.pipeline.id}`,
    kind: rule ? 'request' : 'external',
    environment: environment.name,
    state: 'planning',
    rule,
    // Only a request the bot opened itself has a requester: the one it recorded.
    requester: null,
    branch: facts.pipeline.ref,
    pipelineId: facts.pipeline.id,
    sha: facts.pipeline.sha,
    at: deps.now().toISOString(),
  });
  return { created };
}

/**
 * Whether a pipeline the bot did not start deserves a thread: not before its plan is
 * known, and not when the plan changes nothing (the default branch after every merged
 * request plans exactly that, and would otherwise ask for an approval of nothing). A
 * pipeline that failed is always shown.
 */
async function worthFollowing(facts: PipelineFacts): Promise<boolean> {
  if (facts.pipeline.status === 'failed') return true;
  const plan = await facts.plan();
  if (plan.status === 'not-ready') return false;
  // A plan we cannot read is worth a person's look.
  if (plan.status !== 'read') return true;
  const { counts } = plan.analysis;
  return counts.add + counts.change + counts.destroy + counts.replace > 0;
}

/** The request's rule file on its branch, in the folder of the first environment the pipeline deploys that has it. */
async function ruleOnBranch(deps: BotDeps, id: string, sha: string, envs: readonly Environment[]): Promise<{ rule: RuleFile; env: Environment } | null> {
  for (const env of envs) {
    const path = ruleFileOf(env, id);
    const text = await deps.vcs.readFile(sha, path);
    if (text === null) continue;
    try {
      return { rule: parseRuleFile(text, path), env };
    } catch (err) {
      deps.log.warn({ requestId: id, err: (err as Error).message }, 'rule file on the branch does not parse; following the pipeline as external');
      return null;
    }
  }
  return null;
}

export async function syncPipeline(deps: BotDeps, pipelineId: number): Promise<ChangeRequest | null> {
  const read = await readPipeline(deps, pipelineId);
  if (read.pipeline.source === 'parent_pipeline') return null; // a child pipeline is never a request's: its parent is
  const found = await requestFor(deps, read);
  if (!found) return null;
  const id = 'known' in found ? found.known.id : found.created.id;
  // From here on the pipeline is seen through the request's environment's jobs only.
  const facts = read.forEnvironment(environmentOf(deps, 'known' in found ? found.known : found.created).jobs);
  // Every log line about this request carries its id (the worker's logger adds the delivery).
  deps = { ...deps, log: deps.log.child({ requestId: id, pipelineId }) };
  const work = (tx: RequestTx) => converge(deps, tx, facts);
  // Recorded by a concurrent sync meanwhile: join it rather than record it twice.
  const create = 'created' in found && !deps.store.requests.get(id);
  const after = create ? await withNewRequest(deps, found.created, null, work) : await withRequest(deps, id, work);
  if (!after.changed) deps.log.debug({ state: after.request.state }, 'pipeline synced, nothing changed');
  return after.request;
}

/** Applies GitLab's view to the request, renders its thread, and lets the bot approve a revocation it may approve itself. */
async function converge(deps: BotDeps, tx: RequestTx, facts: PipelineFacts): Promise<{ request: ChangeRequest; changed: boolean }> {
  const stored = tx.current();
  if (stored.pipelineId !== null && facts.pipeline.id < stored.pipelineId) return { request: stored, changed: false }; // an older pipeline of the branch
  const request = adopt(deps, tx, facts);
  noteOutOfBandDeploy(deps, request.id, facts);
  await renderThread(deps, request, facts);
  // An expired rule's revocation may be approved by the bot itself: show it decided at once.
  if (await autoApproveRevocation(deps, tx, facts)) await renderThread(deps, tx.current(), facts);
  const now = tx.current();
  return { request: now, changed: now.state !== stored.state };
}

/** Applies GitLab's view to the stored request and saves it; returns the new record. */
function adopt(deps: BotDeps, tx: RequestTx, facts: PipelineFacts): ChangeRequest {
  const request = tx.current();
  const deploy = envJob(facts, 'deploy');
  const newPipeline = request.pipelineId !== facts.pipeline.id;
  // Once decided (deploying, or final), a request keeps the plan job it was decided on.
  const deciding = request.state === 'planning' || request.state === 'awaiting_approval';
  const latestPlanJob = envJob(facts, 'plan')?.id ?? null;
  const planJobId = newPipeline || deciding || request.planJobId === null ? latestPlanJob : request.planJobId;
  // The plan job ran again in this pipeline: a new plan, which may differ from the one approved so far.
  const replanned = !newPipeline && request.planJobId !== null && planJobId !== request.planJobId;
  // A newer pipeline on the branch (a new commit), or a new plan, starts the decision over.
  if ((newPipeline && request.pipelineId !== null) || replanned) {
    deps.store.approvals.clear(request.id);
    if (replanned) tx.audit({ actor: 'bot', action: 'replan', outcome: 'ok', detail: `plan job ${request.planJobId} ran again as job ${planJobId}: approvals start over` });
  }
  const restart = (newPipeline || replanned) && !FINAL_STATES.has(request.state);
  const base = restart ? { ...request, state: newPipeline ? ('planning' as const) : request.state, awaitingSince: null } : request;
  const state = stateFromPipeline(base.state, { status: facts.pipeline.status, jobs: facts.jobsByName }, facts.envJobs.deploy);
  const next: ChangeRequest = {
    ...base,
    state,
    pipelineId: facts.pipeline.id,
    sha: facts.pipeline.sha,
    deployJobId: deploy?.id ?? null,
    planJobId,
    awaitingSince: state === 'awaiting_approval' ? (base.awaitingSince ?? deps.now().toISOString()) : base.awaitingSince,
    updatedAt: deps.now().toISOString(),
  };
  if (JSON.stringify({ ...next, updatedAt: '' }) !== JSON.stringify({ ...request, updatedAt: '' })) tx.save(next);
  return next;
}
