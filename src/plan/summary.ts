/**
 * `portcullis plan-summary`: what a plan will do, counted the way Terraform counts it,
 * and one readable line per security-group rule it adds, changes or removes.
 */
import { readPlan, resourceAction, type ResourceAction, type TerraformPlan } from './plan-json.ts';
import { ruleChangesOf, type RuleChange } from './rule-views.ts';
import { describeChange } from './describe.ts';

export interface PlanCounts {
  add: number;
  change: number;
  destroy: number;
  replace: number;
}

export interface RuleLine {
  action: ResourceAction;
  resource: string;
  direction: string;
  protocol: string | null;
  from_port: number | null;
  to_port: number | null;
  source: string | null;
  description: string;
  security_group: string | null;
  request: string | null;
  text: string;
}

export interface PlanSummary {
  format_version: string;
  terraform_version: string | null;
  counts: PlanCounts;
  /** Resources changed that are not security-group rules (instances, groups' other attributes...). */
  other_resources: number;
  rules: RuleLine[];
}

export interface PlanAnalysis {
  plan: TerraformPlan;
  counts: PlanCounts;
  changes: RuleChange[];
  otherResources: number;
}

/** Reads a plan once into its rule changes and resource counts; shared by summary and compliance. */
export function analysePlan(json: unknown): PlanAnalysis {
  const plan = readPlan(json);
  const counts: PlanCounts = { add: 0, change: 0, destroy: 0, replace: 0 };
  const changes: RuleChange[] = [];
  let otherResources = 0;
  for (const rc of plan.resourceChanges) {
    if (rc.mode === 'data') continue;
    const action = resourceAction(rc.change.actions);
    if (action === null) continue;
    counts[COUNT_OF[action]] += 1;
    const ruleChanges = ruleChangesOf(rc, action, plan.configuration);
    if (ruleChanges.length === 0) otherResources += 1;
    for (const c of ruleChanges) changes.push(c);
  }
  return { plan, counts, changes, otherResources };
}

const COUNT_OF: Record<ResourceAction, keyof PlanCounts> = {
  create: 'add',
  update: 'change',
  delete: 'destroy',
  replace: 'replace',
};

export function summarizePlan(json: unknown): PlanSummary {
  return summarizeAnalysis(analysePlan(json));
}

export function summarizeAnalysis({ plan, counts, changes, otherResources }: PlanAnalysis): PlanSummary {
  return {
    format_version: plan.formatVersion,
    terraform_version: plan.terraformVersion,
    counts,
    other_resources: otherResources,
    rules: changes.map((c) => ({
      action: c.action,
      resource: c.resource,
      direction: c.rule.direction,
      protocol: c.rule.protocol,
      from_port: c.rule.fromPort,
      to_port: c.rule.toPort,
      source: c.rule.source.kind === 'unknown' ? null : c.rule.source.value,
      description: c.rule.description,
      security_group: c.rule.securityGroup,
      request: c.rule.requestId,
      text: describeChange(c),
    })),
  };
}

export function formatCounts(counts: PlanCounts): string {
  return `${counts.add} to add, ${counts.change} to change, ${counts.destroy} to destroy, ${counts.replace} to replace`;
}

export function formatSummaryText(summary: PlanSummary): string {
  const lines = [`Plan: ${formatCounts(summary.counts)}.`];
  if (summary.rules.length === 0) lines.push('No security-group rule changes.');
  else {
    lines.push(`Security-group rule changes (${summary.rules.length}):`);
    for (const r of summary.rules) lines.push(`  ${r.text}`);
  }
  if (summary.other_resources > 0) lines.push(`Other resources changed: ${summary.other_resources}.`);
  return `${lines.join('\n')}\n`;
}
