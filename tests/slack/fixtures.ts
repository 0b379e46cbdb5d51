/** Representative inputs for the Slack builders, and ways to make them huge or hostile. */
import type { ComplianceReport, Finding } from '../../src/compliance/engine.ts';
import type { ChangeRequest } from '../../src/domain/request.ts';
import { changeRequest as request } from '../helpers/deps.ts';
import type { PlanSummary, RuleLine } from '../../src/plan/summary.ts';
import type { ApprovalContext } from '../../src/slack/blocks/approval.ts';

/** Everything a person or pipeline could smuggle into mrkdwn, in one string. */
export const HOSTILE = '<!channel> <@U123> <http://evil.example|click> &amp; <!subteam^S1>';

/** The shared request and rule builders (tests/helpers/deps.ts), under the names these tests use. */
export { changeRequest as request, ruleFile as rule } from '../helpers/deps.ts';
export function externalRequest(branch = 'feature/open-ssh'): ChangeRequest {
  return request({ id: 'PIPE-202', kind: 'external', rule: null, requester: null, branch, mergeRequestIid: null, pipelineId: 202 });
}

export const LINKS = {
  mergeRequestUrl: 'http://127.0.0.1:8929/infra/firewall/-/merge_requests/7',
  pipelineUrl: 'http://127.0.0.1:8929/infra/firewall/-/pipelines/101',
};

export const JOB_URL = 'http://127.0.0.1:8929/infra/firewall/-/jobs/555';

export function approvalContext(overrides: Partial<ApprovalContext> = {}): ApprovalContext {
  return { ...LINKS, jobUrl: JOB_URL, requiredApprovals: 1, approvedBy: [], ...overrides };
}

export function finding(overrides: Partial<Finding> = {}): Finding {
  return {
    policy: 'no-world-ssh',
    severity: 'deny',
    resource: 'aws_vpc_security_group_ingress_rule.rule["REQ-13"]',
    rule: 'ingress tcp/22 from 0.0.0.0/0 → sg-front "ssh"',
    message: 'SSH must not be open to the whole internet',
    remediation: 'Restrict the source to your office range or use the bastion.',
    ...overrides,
  };
}

export function report(violations: Finding[], warnings: Finding[] = []): ComplianceReport {
  return {
    compliant: violations.length === 0,
    violations,
    warnings,
    checked: 3,
    removed: 1,
    policies: ['no-world-ssh', 'max-port-range'],
  };
}

export function ruleLine(text: string, overrides: Partial<RuleLine> = {}): RuleLine {
  return {
    action: 'create',
    resource: 'aws_vpc_security_group_ingress_rule.rule["REQ-12"]',
    direction: 'ingress',
    protocol: 'tcp',
    from_port: 443,
    to_port: 443,
    source: '203.0.113.0/24',
    description: 'partner API',
    security_group: 'sg-front',
    request: 'REQ-12',
    text,
    ...overrides,
  };
}

export function plan(rules: RuleLine[], otherResources = 0): PlanSummary {
  return {
    format_version: '1.2',
    terraform_version: '1.9.8',
    counts: { add: rules.filter((r) => r.action === 'create').length, change: 0, destroy: rules.filter((r) => r.action === 'delete').length, replace: 0 },
    other_resources: otherResources,
    rules,
  };
}

export const SAMPLE_PLAN = plan([
  ruleLine('+ ingress tcp/443 from 203.0.113.0/24 → sg-front "partner API" (REQ-12)'),
  ruleLine('- ingress tcp/22 from 198.51.100.7/32 → sg-admin "old bastion" (REQ-3)', { action: 'delete', request: 'REQ-3' }),
]);

/** A GitLab job log: ANSI colours, section markers, carriage-return progress lines. */
export const SAMPLE_LOG = [
  '\u001b[0KRunning with gitlab-runner 17.0.0',
  'section_start:1714554000:step_script\r\u001b[0K\u001b[0K\u001b[36;1mExecuting "step_script" stage\u001b[0;m',
  '$ terraform plan -out=plan.cache',
  'Downloading 10%\rDownloading 100%',
  '\u001b[31mError: Invalid CIDR block "203.0.113.0/33"\u001b[0m',
  'section_end:1714554010:step_script\r\u001b[0K',
  '\u001b[31;1mERROR: Job failed: exit code 1\u001b[0;m',
  '',
].join('\n');
