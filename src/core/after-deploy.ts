/**
 * What follows a successful deploy: the merge request is merged, then the consistency
 * check (git ↔ Terraform state ↔ AWS) and the service checks of the group run, and both
 * are posted in the thread with the deploy result. Each step runs once per pipeline: it
 * is marked done when done (markers.ts), so later syncs of the same pipeline only
 * re-render.
 */
import type { ChangeRequest } from '../domain/request.ts';
import { checkConsistencyFromGitLab } from '../checks/consistency-gather.ts';
import { consistencySummary } from '../checks/consistency-report.ts';
import { checkGroupServices, unprovableReason } from '../checks/services.ts';
import { consistencyReport } from '../slack/blocks/consistency.ts';
import { serviceCheckResults } from '../slack/blocks/services.ts';
import { checkFailed, type CheckOutcome } from '../slack/blocks/pipeline.ts';
import { converge, type Place } from './converge.ts';
import type { BotDeps } from './deps.ts';
import { markDone, markedDone } from './markers.ts';
import { outOfBandDeploy } from './out-of-band.ts';
import type { MergeRequestInfo, SlackMessage } from './ports.ts';
import { topics, type CheckName } from './topics.ts';
import { cloudOf, environmentOf, environmentsOf } from './environments.ts';
import { groupsFileOf, rulesDirOf } from '../domain/environment.ts';

export interface AfterDeploy {
  merged: boolean | null;
  checks: CheckOutcome[];
}

export async function afterDeploy(deps: BotDeps, request: ChangeRequest, pipelineId: number, mr: MergeRequestInfo | null, thread: Place): Promise<AfterDeploy> {
  // A deploy played around the approval is not merged: the default branch keeps only approved rules.
  const merged = outOfBandDeploy(deps, request.id, pipelineId) ? false : await mergeOnce(deps, request, mr);
  const checks: CheckOutcome[] = [];
  // The request's environment: its state, files and AWS account; named when there are several.
  const env = environmentOf(deps, request);
  const cloud = cloudOf(deps, env);
  const named = environmentsOf(deps).several ? env.name : undefined;
  const consistency = await checkOnce(deps, request, 'consistency', pipelineId, thread, async () => {
    const result = await checkConsistencyFromGitLab(deps.vcs, cloud, env.stateName, { groupsFile: groupsFileOf(env), rulesDir: rulesDirOf(env) });
    return { message: consistencyReport(result), outcome: { name: 'consistency', ok: result.ok, detail: consistencySummary(result) } };
  });
  if (consistency) checks.push(consistency);
  const group = request.rule?.group;
  if (group && deps.checks) {
    const servicePorts = await deps.checks.servicePorts(group, env);
    if (servicePorts.length > 0) {
      const services = await checkOnce(deps, request, 'services', pipelineId, thread, async () => {
        const service = await deps.checks!.service?.(group, env);
        const existing = await deps.checks!.existing?.(group, env);
        const check = await checkGroupServices(cloud, { group, servicePorts, service, allowTarget: deps.checks!.allowTarget, ...(existing ? { existing } : {}) }, deps.checks!.probe);
        const why = unprovableReason(check);
        const ok = why === null && check.report.summary.failed === 0;
        return { message: serviceCheckResults(check, `after the deploy of ${request.id}`, named), outcome: { name: 'services', ok, detail: why ?? `${check.report.summary.ok} of ${check.report.summary.total} answered` } };
      });
      if (services) checks.push(services);
    }
  }
  return { merged, checks };
}

async function mergeOnce(deps: BotDeps, request: ChangeRequest, mr: MergeRequestInfo | null): Promise<boolean | null> {
  if (mr === null) return null;
  if (mr.state === 'merged') return true;
  const marker = { kind: 'merge' } as const;
  if (markedDone(deps, request.id, marker) || mr.state !== 'opened') return false;
  try {
    await deps.vcs.mergeMergeRequest(mr.iid, request.sha);
    markDone(deps, request.id, marker, 'ok', `!${mr.iid}`);
    return true;
  } catch (err) {
    markDone(deps, request.id, marker, 'error', (err as Error).message);
    deps.log.warn({ err, requestId: request.id }, 'merging after deploy failed');
    return false;
  }
}

/**
 * Runs a check once per pipeline: its outcome is marked done, so a later sync re-renders
 * the deploy result without probing again. A check that cannot run posts why.
 */
async function checkOnce(
  deps: BotDeps,
  request: ChangeRequest,
  name: CheckName,
  pipelineId: number,
  thread: Place,
  run: () => Promise<{ message: SlackMessage; outcome: CheckOutcome }>,
): Promise<CheckOutcome | null> {
  const marker = { kind: 'check', check: name, pipelineId } as const;
  const done = markedDone(deps, request.id, marker);
  if (done) return { name, ok: done.outcome === 'ok', detail: done.detail };
  const topic = topics.check(name, pipelineId);
  let outcome: CheckOutcome;
  try {
    const result = await run();
    await converge(deps, request.id, topic, thread, result.message);
    outcome = result.outcome;
  } catch (err) {
    const reason = (err as Error).message;
    await converge(deps, request.id, topic, thread, checkFailed(name, reason));
    outcome = { name, ok: false, detail: reason };
  }
  markDone(deps, request.id, marker, outcome.ok ? 'ok' : 'error', outcome.detail);
  return outcome;
}
