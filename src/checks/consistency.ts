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
  protocol: string;
  /** null when the rule has no ports (all protocols, or -1 = all ICMP types). */
  fromPort: number | null;
  toPort: number | null;
  cidr: string;
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

export type Field = 'group' | 'protocol' | 'ports' | 'cidr' | 'description';

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
    ['protocol', expected.protocol, actual.protocol],
    ['ports', ports(expected), ports(actual)],
    ['cidr', expected.cidr, actual.cidr],
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

/** "tcp/443 from 203.0.113.0/24"; AWS rules sourced from a group or prefix list have no CIDR. */
const sentence = (r: RuleShape) => `${describePorts(r.protocol, r.fromPort, r.toPort)} from ${r.cidr === '' ? 'a group or prefix list' : r.cidr}`;

export function compareConsistency(input: ConsistencyInput): ConsistencyResult {
  const findings: ConsistencyFinding[] = [];
  const inSync: InSyncRule[] = [];
  const add = (f: Omit<ConsistencyFinding, 'differences'> & { differences?: Difference[] }) => findings.push({ differences: [], ...f });

  const gitById = new Map(input.git.map((r) => [r.id, r]));
  const stateById = new Map(input.state.map((r) => [r.id, r]));
  const invalidIds = new Set((input.invalidFiles ?? []).map((f) => f.id));
  const liveByRuleId = new Map(input.live.map((r) => [r.ruleId, r]));
  const liveByRequest = new Map<string, LiveRule>();
  for (const r of input.live) if (r.request !== null && !liveByRequest.has(r.request)) liveByRequest.set(r.request, r);
  // Live rules some git or state rule accounts for; the rest were added by hand.
  const claimed = new Set<string>();
  const liveFor = (id: string, state: StateRule | undefined): LiveRule | undefined => {
    // The state names its AWS rule; only a rule the state does not hold is found by its tag.
    const live = state ? liveByRuleId.get(state.ruleId) : liveByRequest.get(id);
    if (live) claimed.add(live.ruleId);
    return live;
  };

  for (const file of input.invalidFiles ?? []) {
    const state = stateById.get(file.id);
    const live = liveFor(file.id, state);
    add({ kind: 'invalid_rule_file', ruleId: file.id, group: state?.group ?? live?.group ?? '', awsRuleId: live?.ruleId ?? null, message: `${file.path} cannot be read: ${file.message}` });
  }

  const ids = [...new Set([...gitById.keys(), ...stateById.keys()])].filter((id) => !invalidIds.has(id)).sort();
  for (const id of ids) {
    const git = gitById.get(id);
    const state = stateById.get(id);
    const live = liveFor(id, state);
    const before = findings.length;
    if (git && !state) {
      add({
        kind: 'not_applied',
        ruleId: id,
        group: git.group,
        awsRuleId: live?.ruleId ?? null,
        message: `${id} in ${git.group}: in git but not in the Terraform state (merged, never deployed): ${sentence(git)}`,
      });
    } else if (state && !git) {
      add({
        kind: 'stale_in_state',
        ruleId: id,
        group: state.group,
        awsRuleId: live?.ruleId ?? null,
        message: `${id} in ${state.group}: in the Terraform state but no longer in git (removed, never deployed)${live ? `; still live as ${live.ruleId}` : ''}`,
      });
    } else if (git && state) {
      const gitDiffs = differences(git, state);
      if (gitDiffs.length > 0) {
        add({ kind: 'state_drift', ruleId: id, group: git.group, awsRuleId: state.ruleId, between: 'git-state', differences: gitDiffs, message: driftMessage(id, git.group, 'git-state', gitDiffs) });
      }
      if (!live) {
        add({
          kind: 'missing_in_aws',
          ruleId: id,
          group: state.group,
          awsRuleId: state.ruleId,
          message: `${id} in ${state.group}: in git and the state (${state.ruleId}) but not live in AWS: ${sentence(state)}`,
        });
      } else {
        const liveDiffs = differences(state, live);
        if (liveDiffs.length > 0) {
          add({ kind: 'state_drift', ruleId: id, group: state.group, awsRuleId: live.ruleId, between: 'state-aws', differences: liveDiffs, message: driftMessage(id, state.group, 'state-aws', liveDiffs) });
        }
      }
    }
    if (findings.length === before && git && live) inSync.push({ ruleId: id, group: git.group, awsRuleId: live.ruleId });
  }

  for (const live of input.live) {
    if (claimed.has(live.ruleId)) continue;
    const why =
      live.request === null
        ? 'no portcullis:request tag'
        : gitById.has(live.request)
          ? `tagged portcullis:request=${live.request}, but not the rule the state records for it`
          : `tagged portcullis:request=${live.request}, which git does not have`;
    add({
      kind: 'unmanaged_in_aws',
      ruleId: live.request,
      group: live.group,
      awsRuleId: live.ruleId,
      message: `${live.ruleId} in ${live.group}: live in AWS but not in git (added by hand: ${why}): ${sentence(live)}`,
    });
  }

  const counts = Object.fromEntries([...FINDING_KINDS, 'in_sync'].map((k) => [k, 0])) as ConsistencyCounts;
  for (const f of findings) counts[f.kind] += 1;
  counts.in_sync = inSync.length;
  return { ok: findings.length === 0, counts, findings, inSync };
}

function driftMessage(id: string, group: string, between: 'git-state' | 'state-aws', diffs: readonly Difference[]): string {
  const [a, b] = SOURCE_NAMES[between];
  return `${id} in ${group}: ${a} and ${b} differ: ${describeDifferences(diffs)}`;
}
