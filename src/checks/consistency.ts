/**
 * The consistency check after a deploy: do the rules in git, the Terraform state and the
 * live rules in AWS say the same thing? This module is the pure comparison over three
 * lists already normalised (protocol names, network CIDRs, null for "no ports"); reading
 * them from files, GitLab and EC2 is consistency-gather.ts's job.
 *
 * Rules are matched by id: git and the state by rule id (file name = index_key), the
 * state and AWS by the security-group rule id Terraform recorded, and AWS rules for ids the
 * state does not hold by their portcullis:request tag. A live rule no git rule accounts for was
 * added by hand.
 */
import { describePorts } from '../domain/protocol.ts';

/** One rule's comparable content, the same shape from each of the three sources. */
export interface RuleShape {
  /** Group key from terraform/groups.json (e.g. "sg-front"), or the group id when unknown. */
  group: string;
  direction: 'ingress' | 'egress';
  protocol: string;
  /** null when the rule has no ports (all protocols, or -1 = all ICMP types). */
  fromPort: number | null;
  toPort: number | null;
  /**
   * The other end as a person reads it: a normalised CIDR, "group <key>" (the group's
   * groups.json key when it has one, else its id) or "prefix list pl-…".
   */
  peer: string;
  description: string;
}

export interface GitRule extends RuleShape {
  id: string;
}

export interface StateRule extends RuleShape {
  /** The instance's index_key: the rule id. */
  id: string;
  /** security_group_rule_id: how the state finds its rule in AWS. */
  ruleId: string;
}

export interface LiveRule extends RuleShape {
  ruleId: string;
  /** The portcullis:request tag; null on a rule nobody tagged (added by hand). */
  request: string | null;
}

/** A rule file in git that does not parse: it cannot be compared, and it blocks every plan. */
export interface InvalidRuleFile {
  /** The file name without .json. */
  id: string;
  path: string;
  message: string;
}

export interface ConsistencyInput {
  git: readonly GitRule[];
  invalidFiles?: readonly InvalidRuleFile[];
  state: readonly StateRule[];
  live: readonly LiveRule[];
}

export const FINDING_KINDS = ['invalid_rule_file', 'not_applied', 'stale_in_state', 'state_drift', 'missing_in_aws', 'unmanaged_in_aws'] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export type Field = 'group' | 'direction' | 'protocol' | 'ports' | 'peer' | 'description';

export interface Difference {
  field: Field;
  /** What the earlier source says (git, or the state when compared with AWS). */
  expected: string;
  actual: string;
}

export interface ConsistencyFinding {
  kind: FindingKind;
  /** The rule/request id; null for an untagged rule added by hand. */
  ruleId: string | null;
  group: string;
  /** The live rule (sgr-…) concerned, when there is one. */
  awsRuleId: string | null;
  /** For state_drift: which pair disagrees. */
  between?: 'git-state' | 'state-aws';
  differences: Difference[];
  /** One line a person reads, e.g. "REQ-2 in sg-front: git and the state differ: ports tcp/443 ≠ tcp/8443". */
  message: string;
}

export interface InSyncRule {
  ruleId: string;
  group: string;
  awsRuleId: string;
}

export type ConsistencyCounts = Record<FindingKind | 'in_sync', number>;

export interface ConsistencyResult {
  ok: boolean;
  counts: ConsistencyCounts;
  findings: ConsistencyFinding[];
  /** The rules found the same in git, the state and AWS. */
  inSync: InSyncRule[];
}

const SOURCE_NAMES = { 'git-state': ['git', 'the state'], 'state-aws': ['the state', 'AWS'] } as const;

/** Differences field by field; ports are compared as a person reads them ("tcp/443"). */
export function differences(expected: RuleShape, actual: RuleShape): Difference[] {
  const ports = (r: RuleShape) => describePorts(r.protocol, r.fromPort, r.toPort);
  const pairs: Array<[Field, string, string]> = [
    ['group', expected.group, actual.group],
    ['direction', expected.direction, actual.direction],
    ['protocol', expected.protocol, actual.protocol],
    ['ports', ports(expected), ports(actual)],
    ['peer', expected.peer, actual.peer],
    ['description', expected.description, actual.description],
  ];
  return pairs
    // A protocol difference already shows in the ports text ("tcp/443" vs "udp/443").
    .filter(([field, a, b]) => a !== b && !(field === 'ports' && expected.protocol !== actual.protocol))
    .map(([field, a, b]) => ({ field, expected: a, actual: b }));
}

function describeDifferences(diffs: readonly Difference[]): string {
  return diffs.map((d) => `${d.field} ${JSON.stringify(d.expected)} ≠ ${JSON.stringify(d.actual)}`).join('; ');
}

/** "ingress tcp/443 from 203.0.113.0/24", "egress tcp/5432 to group sg-db". */
const sentence = (r: RuleShape) => `${r.direction} ${describePorts(r.protocol, r.fromPort, r.toPort)} ${r.direction === 'egress' ? 'to' : 'from'} ${r.peer}`;

/** Finds the live rule for a rule id and remembers it: the live rules nobody claims were added by hand. */
class LiveMatcher {
  private readonly byRuleId: Map<string, LiveRule>;
  private readonly byRequest = new Map<string, LiveRule>();
  private readonly claimed = new Set<string>();

  constructor(private readonly live: readonly LiveRule[]) {
    this.byRuleId = new Map(live.map((r) => [r.ruleId, r]));
    for (const r of live) if (r.request !== null && !this.byRequest.has(r.request)) this.byRequest.set(r.request, r);
  }

  /** The state names its AWS rule; only a rule the state does not hold is found by its tag. */
  claim(id: string, state: StateRule | undefined): LiveRule | undefined {
    const live = state ? this.byRuleId.get(state.ruleId) : this.byRequest.get(id);
    if (live) this.claimed.add(live.ruleId);
    return live;
  }

  unclaimed(): LiveRule[] {
    return this.live.filter((r) => !this.claimed.has(r.ruleId));
  }
}

type NewFinding = Omit<ConsistencyFinding, 'differences'> & { differences?: Difference[] };

/** What is wrong with one rule id across the three sources; empty when it is in sync. */
function compareRule(id: string, git: GitRule | undefined, state: StateRule | undefined, live: LiveRule | undefined): NewFinding[] {
  if (git && !state) {
    return [{ kind: 'not_applied', ruleId: id, group: git.group, awsRuleId: live?.ruleId ?? null, message: `${id} in ${git.group}: in git but not in the Terraform state (merged, never deployed): ${sentence(git)}` }];
  }
  if (state && !git) {
    const stillLive = live ? `; still live as ${live.ruleId}` : '';
    return [{ kind: 'stale_in_state', ruleId: id, group: state.group, awsRuleId: live?.ruleId ?? null, message: `${id} in ${state.group}: in the Terraform state but no longer in git (removed, never deployed)${stillLive}` }];
  }
  if (!git || !state) return [];
  const found: NewFinding[] = [];
  const drift = (between: 'git-state' | 'state-aws', diffs: Difference[], awsRuleId: string) => {
    if (diffs.length > 0) found.push({ kind: 'state_drift', ruleId: id, group: git.group, awsRuleId, between, differences: diffs, message: driftMessage(id, git.group, between, diffs) });
  };
  drift('git-state', differences(git, state), state.ruleId);
  if (live) drift('state-aws', differences(state, live), live.ruleId);
  else {
    found.push({ kind: 'missing_in_aws', ruleId: id, group: state.group, awsRuleId: state.ruleId, message: `${id} in ${state.group}: in git and the state (${state.ruleId}) but not live in AWS: ${sentence(state)}` });
  }
  return found;
}

function unmanagedFinding(live: LiveRule, gitIds: ReadonlySet<string>): NewFinding {
  const why =
    live.request === null
      ? 'no portcullis:request tag'
      : gitIds.has(live.request)
        ? `tagged portcullis:request=${live.request}, but not the rule the state records for it`
        : `tagged portcullis:request=${live.request}, which git does not have`;
  return { kind: 'unmanaged_in_aws', ruleId: live.request, group: live.group, awsRuleId: live.ruleId, message: `${live.ruleId} in ${live.group}: live in AWS but not in git (added by hand: ${why}): ${sentence(live)}` };
}

export function compareConsistency(input: ConsistencyInput): ConsistencyResult {
  const found: NewFinding[] = [];
  const inSync: InSyncRule[] = [];
  const gitById = new Map(input.git.map((r) => [r.id, r]));
  const stateById = new Map(input.state.map((r) => [r.id, r]));
  const live = new LiveMatcher(input.live);

  // A file that does not parse cannot be compared; its state entry and live rule are not reported again.
  const invalidIds = new Set<string>();
  for (const file of input.invalidFiles ?? []) {
    invalidIds.add(file.id);
    const state = stateById.get(file.id);
    const rule = live.claim(file.id, state);
    found.push({ kind: 'invalid_rule_file', ruleId: file.id, group: state?.group ?? rule?.group ?? '', awsRuleId: rule?.ruleId ?? null, message: `${file.path} cannot be read: ${file.message}` });
  }

  const ids = [...new Set([...gitById.keys(), ...stateById.keys()])].filter((id) => !invalidIds.has(id)).sort();
  for (const id of ids) {
    const git = gitById.get(id);
    const state = stateById.get(id);
    const rule = live.claim(id, state);
    const problems = compareRule(id, git, state, rule);
    if (problems.length === 0 && git && rule) inSync.push({ ruleId: id, group: git.group, awsRuleId: rule.ruleId });
    found.push(...problems);
  }
  const gitIds = new Set(gitById.keys());
  for (const rule of live.unclaimed()) found.push(unmanagedFinding(rule, gitIds));

  const findings = found.map((f) => ({ differences: [], ...f }));
  const counts = Object.fromEntries([...FINDING_KINDS, 'in_sync'].map((k) => [k, 0])) as ConsistencyCounts;
  for (const f of findings) counts[f.kind] += 1;
  counts.in_sync = inSync.length;
  return { ok: findings.length === 0, counts, findings, inSync };
}

function driftMessage(id: string, group: string, between: 'git-state' | 'state-aws', diffs: readonly Difference[]): string {
  const [a, b] = SOURCE_NAMES[between];
  return `${id} in ${group}: ${a} and ${b} differ: ${describeDifferences(diffs)}`;
}
