/**
 * The consistency result as the pipeline shows it: a text report for the job log and
 * JUnit test cases for GitLab's test report (one per rule id, one per rule added by hand).
 */
import type { ConsistencyFinding, ConsistencyResult, FindingKind } from './consistency.ts';
import { FINDING_KINDS } from './consistency.ts';
import type { JUnitCase } from './junit.ts';

export const JUNIT_SUITE = 'consistency';

/** What a person reads for each kind. */
export const KIND_LABELS: Record<FindingKind, string> = {
  invalid_rule_file: 'invalid rule file',
  not_applied: 'not applied',
  stale_in_state: 'stale in state',
  state_drift: 'state drift',
  missing_in_aws: 'missing in AWS',
  unmanaged_in_aws: 'unmanaged in AWS',
};

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** "2 differences (1 missing in AWS, 1 unmanaged in AWS), 3 rules in sync" */
export function consistencySummary(result: ConsistencyResult): string {
  const inSync = `${plural(result.counts.in_sync, 'rule')} in sync`;
  if (result.ok) return `In sync: ${inSync}; git, the Terraform state and AWS agree`;
  const kinds = FINDING_KINDS.filter((k) => result.counts[k] > 0).map((k) => `${result.counts[k]} ${KIND_LABELS[k]}`);
  return `Not in sync: ${plural(result.findings.length, 'difference')} (${kinds.join(', ')}), ${inSync}`;
}

export function formatConsistencyText(result: ConsistencyResult): string {
  const lines = [consistencySummary(result), ...result.findings.map((f) => `  [${KIND_LABELS[f.kind]}] ${f.message}`)];
  return `${lines.join('\n')}\n`;
}

const caseName = (f: ConsistencyFinding): string => (f.kind === 'unmanaged_in_aws' ? `unmanaged ${f.awsRuleId ?? '?'}` : (f.ruleId ?? '?'));
const classname = (group: string): string => `${JUNIT_SUITE}.${group === '' ? 'unknown-group' : group}`;

/** One case per rule id (passed when in sync, else failed with every finding about it), one per unmanaged live rule. */
export function consistencyJUnitCases(result: ConsistencyResult): JUnitCase[] {
  const failed = new Map<string, ConsistencyFinding[]>();
  for (const f of result.findings) {
    const name = caseName(f);
    failed.set(name, [...(failed.get(name) ?? []), f]);
  }
  const passed: JUnitCase[] = result.inSync.map((r) => ({ name: r.ruleId, classname: classname(r.group), timeSeconds: 0, failure: null }));
  const failures: JUnitCase[] = [...failed].map(([name, findings]) => ({
    name,
    classname: classname(findings[0]!.group),
    timeSeconds: 0,
    failure: {
      message: [...new Set(findings.map((f) => KIND_LABELS[f.kind]))].join(', '),
      detail: findings.map((f) => f.message).join('\n'),
    },
  }));
  return [...passed, ...failures].sort((a, b) => a.name.localeCompare(b.name));
}
