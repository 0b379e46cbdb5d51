/**
 * One engine, two inputs: a proposed rule (what /sg-request checks before any pipeline
 * starts) and a Terraform plan (what the pipeline checks). Both become RuleViews and are
 * judged by the same policies. Removing a rule is never a violation: only rules that
 * will exist after the change are judged.
 */
import { analysePlan } from '../plan/summary.ts';
import type { RuleChange, RuleView } from '../plan/rule-views.ts';
import { describeRule } from '../plan/describe.ts';
import { ruleFacts } from './facts.ts';
import type { PolicySet, Severity } from './policy.ts';

export interface Finding {
  policy: string;
  severity: Severity;
  resource: string;
  /** The rule judged, as a person reads it. */
  rule: string;
  message: string;
  remediation: string;
}

export interface ComplianceReport {
  compliant: boolean;
  violations: Finding[];
  warnings: Finding[];
  /** Rules judged (created, changed or replaced). */
  checked: number;
  /** Rules the change removes: listed, never judged. */
  removed: number;
  policies: string[];
}

export function judgePlan(planJson: unknown, policies: PolicySet): ComplianceReport {
  return judgeChanges(analysePlan(planJson).changes, policies);
}

export function judgeChanges(changes: readonly RuleChange[], policies: PolicySet): ComplianceReport {
  const report: ComplianceReport = {
    compliant: true,
    violations: [],
    warnings: [],
    checked: 0,
    removed: 0,
    policies: policies.policies.map((p) => p.id),
  };
  for (const change of changes) {
    if (change.action === 'delete') {
      report.removed += 1;
      continue;
    }
    report.checked += 1;
    for (const finding of judgeRule(change.rule, change.action, change.resource, policies)) {
      (finding.severity === 'deny' ? report.violations : report.warnings).push(finding);
    }
  }
  report.compliant = report.violations.length === 0;
  return report;
}

function judgeRule(rule: RuleView, action: string, resource: string, set: PolicySet): Finding[] {
  const facts = ruleFacts(rule, action, resource, set.privatePrefixLists);
  const hasUnknown = rule.unknown.length > 0;
  const findings: Finding[] = [];
  for (const policy of set.policies) {
    if (hasUnknown && !policy.appliesToUnknown) continue;
    let violated: boolean;
    let message = policy.description;
    try {
      violated = policy.when(facts) && !policy.require(facts);
    } catch (err) {
      // A policy that cannot be evaluated fails closed: the rule is not shown to be safe.
      violated = true;
      message = `${policy.description} (could not be evaluated: ${(err as Error).message.split('\n')[0]})`;
    }
    if (violated) {
      findings.push({ policy: policy.id, severity: policy.severity, resource, rule: describeRule(rule), message, remediation: policy.remediation });
    }
  }
  return findings;
}
