/**
 * Whether Portcullis will deploy this pipeline's plan, judged by the bot itself rather
 * than by what the pipeline's own jobs say (a branch can change its CI file): the
 * pipeline's compliance job passed, the plan job's plan.json reads as a plan, the bot's
 * own policies (loaded at start, as the image has them) find no violation in it, and for
 * a request the bot opened, the plan does exactly what was asked and nothing else. The
 * approval message offers Approve only on a plan that passes; a click is judged again.
 */
import { judgeChanges } from '../compliance/engine.ts';
import type { ChangeRequest } from '../domain/request.ts';
import { GROUP_ID_PATTERN, rulePeer, type Peer, type RuleFile } from '../domain/rule.ts';
import { groupIdsOf } from '../plan/group-ids.ts';
import { describeChange } from '../plan/describe.ts';
import type { RuleChange } from '../plan/rule-views.ts';
import { formatCounts, type PlanAnalysis } from '../plan/summary.ts';
import type { BotDeps } from './deps.ts';
import { envJob, type PipelineFacts } from './pipeline.ts';

export type GateVerdict = { ok: true } | { ok: false; problems: string[] };

/** At most this many problems are listed; the rest are counted. */
const MAX_PROBLEMS = 10;

export async function judgePipeline(deps: Pick<BotDeps, 'policies'>, request: ChangeRequest, facts: PipelineFacts): Promise<GateVerdict> {
  const problems: string[] = [];
  const compliance = envJob(facts, 'compliance');
  const planJob = envJob(facts, 'plan');
  problems.push(...otherEnvironments(facts));
  if (!compliance) problems.push('the pipeline has no compliance job');
  else if (compliance.status !== 'success') problems.push(`the pipeline's compliance job did not pass (it is ${compliance.status})`);
  // GitLab numbers jobs in the order it creates them: a compliance job older than the plan
  // job judged an earlier run of it (the plan job was run again; its dependents were not).
  else if (planJob && compliance.id < planJob.id) problems.push(`the compliance job (#${compliance.id}) judged an earlier plan: the plan job ran again as #${planJob.id}; run the compliance job again`);

  const plan = await facts.plan();
  if (plan.status !== 'read') {
    problems.push(plan.status === 'unreadable' ? `plan.json cannot be read as a plan: ${plan.reason}` : plan.status === 'missing' ? 'the plan job left no plan.json' : 'the plan job has not succeeded');
    return refuse(problems);
  }
  const { analysis } = plan;
  const report = judgeChanges(analysis.changes, deps.policies);
  for (const v of report.violations) problems.push(`policy ${v.policy}: ${v.message} (${v.rule})`);
  if (request.rule !== null && request.kind !== 'external') problems.push(...notTheRequest(analysis, request.kind, request.rule));
  return problems.length === 0 ? { ok: true } : refuse(problems);
}

/**
 * A pipeline that plans any environment but the request's: its change touches several
 * environments, and each must be approved by its own approvers, in a pipeline of its own.
 * So nothing of it is deployed on this approval, not even the request's part.
 */
function otherEnvironments(facts: Pick<PipelineFacts, 'jobs' | 'envJobs'>): string[] {
  const others = [...new Set(facts.jobs.map((j) => j.name).filter((name) => /^plan(:|$)/.test(name) && name !== facts.envJobs.plan))];
  if (others.length === 0) return [];
  return [`the pipeline also plans another environment (${others.join(', ')}): a change must touch one environment only, so that each is approved by its own approvers; split it`];
}

/** The audit action recording the bot's verdict on a request's plan, each time it changes. */
const GATE_ACTION = 'gate';
const planLabel = (request: Pick<ChangeRequest, 'planJobId'>) => `plan job ${request.planJobId ?? 0}:`;

/**
 * Records the verdict on the request's current plan in its audit trail when it differs
 * from the last one recorded for that plan: who reads the trail sees when and why the
 * bot would or would not deploy it, and the Home tab offers Approve only on a plan the
 * bot did not refuse.
 */
export function recordVerdict(deps: Pick<BotDeps, 'store' | 'now'>, request: ChangeRequest, verdict: GateVerdict): void {
  const label = planLabel(request);
  const outcome = verdict.ok ? 'ok' : 'refused';
  const last = deps.store.audit.list(request.id).findLast((e) => e.action === GATE_ACTION && e.detail.startsWith(label));
  const detail = verdict.ok ? `${label} Portcullis would deploy it` : `${label} ${verdict.problems.join('; ')}`;
  if (last?.outcome === outcome && last.detail === detail) return;
  deps.store.audit.record({ at: deps.now().toISOString(), requestId: request.id, actor: 'bot', action: GATE_ACTION, outcome, detail });
}

/** Whether the last verdict recorded on the request's current plan refused it (none recorded: not known, so not refused). */
export function planRefused(deps: Pick<BotDeps, 'store'>, request: ChangeRequest): boolean {
  const label = planLabel(request);
  return deps.store.audit.list(request.id).findLast((e) => e.action === GATE_ACTION && e.detail.startsWith(label))?.outcome === 'refused';
}

function refuse(problems: string[]): GateVerdict {
  if (problems.length <= MAX_PROBLEMS) return { ok: false, problems };
  return { ok: false, problems: [...problems.slice(0, MAX_PROBLEMS), `and ${problems.length - MAX_PROBLEMS} more`] };
}

/**
 * What the plan does beyond, or instead of, the request: a request creates exactly its
 * rule (tagged with its id, with the asked-for group, protocol, ports, source and
 * description); a revocation deletes exactly the rule's resources. Empty when it is so.
 */
export function notTheRequest(analysis: PlanAnalysis, kind: 'request' | 'revocation', rule: RuleFile): string[] {
  const { counts, changes, otherResources } = analysis;
  const groupIds = groupIdsOf(analysis.plan);
  const expected = kind === 'request' ? (c: RuleChange) => c.action === 'create' && isRule(c, rule, groupIds) : (c: RuleChange) => c.action === 'delete' && c.rule.requestId === rule.id;
  const problems = changes.filter((c) => !expected(c)).map((c) => `the plan also does: ${describeChange(c)}`);
  if (otherResources > 0) problems.push(`the plan also changes ${otherResources} resource${otherResources === 1 ? '' : 's'} that ${otherResources === 1 ? 'is' : 'are'} not a rule (${formatCounts(counts)} in all)`);
  const matching = changes.filter(expected).length;
  if (kind === 'request' && matching !== 1) problems.push(matching === 0 ? `the plan does not create rule ${rule.id} as it was asked for` : `the plan creates rule ${rule.id} ${matching} times`);
  if (kind === 'revocation' && matching === 0) problems.push(`the plan does not remove rule ${rule.id}`);
  return problems;
}

const port = (p: number | null) => p ?? -1;

/**
 * The plan's source/destination is the one asked for: the same CIDR or prefix list, or
 * for a group, the id the plan itself gives that groups.json key (or the sg- id asked for).
 */
function samePeer(source: RuleChange['rule']['source'], peer: Peer, groupIds: ReadonlyMap<string, string>): boolean {
  if (source.kind !== peer.kind) return false;
  if (peer.kind !== 'security_group' || GROUP_ID_PATTERN.test(peer.value)) return source.value === peer.value;
  return groupIds.get(peer.value) === source.value;
}

function isRule(c: RuleChange, rule: RuleFile, groupIds: ReadonlyMap<string, string>): boolean {
  const v = c.rule;
  return (
    v.unknown.length === 0 &&
    v.requestId === rule.id &&
    v.direction === rule.direction &&
    v.securityGroup === rule.group &&
    v.protocol === rule.protocol &&
    port(v.fromPort) === port(rule.from_port) &&
    port(v.toPort) === port(rule.to_port) &&
    samePeer(v.source, rulePeer(rule), groupIds) &&
    v.description === rule.description
  );
}
