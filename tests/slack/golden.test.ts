/**
 * Golden files: each builder on a representative input, compared with
 * tests/slack/golden/<name>.json. After an intended change to a message, rewrite them with
 *
 *   UPDATE_GOLDEN=1 node --import tsx --test tests/slack/golden.test.ts
 *
 * and review the diff of the JSON files like any other code change.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { approvalDecided, approvalRequest, decisionValue, parseDecisionValue, refusal, rejectModal } from '../../src/slack/blocks/approval.ts';
import { complianceReport } from '../../src/slack/blocks/compliance.ts';
import { deployResult, jobFailed, pipelineStarted } from '../../src/slack/blocks/pipeline.ts';
import { planSummary } from '../../src/slack/blocks/plan.ts';
import { requestParent } from '../../src/slack/blocks/request.ts';
import * as f from './fixtures.ts';

const GOLDEN_DIR = new URL('./golden/', import.meta.url);
const UPDATE = process.env.UPDATE_GOLDEN === '1';

function golden(name: string, actual: unknown): void {
  const file = new URL(`${name}.json`, GOLDEN_DIR);
  const text = `${JSON.stringify(actual, null, 2)}\n`;
  if (UPDATE) writeFileSync(file, text);
  assert.ok(existsSync(file), `no golden file ${name}.json: run with UPDATE_GOLDEN=1 to create it`);
  assert.deepEqual(JSON.parse(text), JSON.parse(readFileSync(file, 'utf8')), `${name} differs from its golden file`);
}

const CASES: Record<string, () => unknown> = {
  'request-parent': () => requestParent(f.request(), f.LINKS),
  'request-parent-revocation-deployed': () => requestParent(f.request({ kind: 'revocation', state: 'deployed', rule: f.rule({ ticket: null, expires_at: null }) }), f.LINKS),
  'request-parent-external': () => requestParent(f.externalRequest(), { pipelineUrl: 'http://127.0.0.1:8929/infra/firewall/-/pipelines/202' }),
  'pipeline-started': () => pipelineStarted({ pipelineId: 101, pipelineUrl: f.LINKS.pipelineUrl, branch: 'sg-request/REQ-12', sha: f.request().sha }),
  'compliance-violations': () => complianceReport(f.report([f.finding()], [f.finding({ policy: 'max-port-range', severity: 'warn', message: 'Port range wider than 100', remediation: 'Open only the ports you use.' })])),
  'compliance-compliant': () => complianceReport(f.report([])),
  'plan-summary': () => planSummary(f.SAMPLE_PLAN, { pipelineUrl: f.LINKS.pipelineUrl }),
  'approval-request': () => approvalRequest(f.request(), f.approvalContext()),
  'approval-request-second-of-two': () => approvalRequest(f.request(), f.approvalContext({ requiredApprovals: 2, approvedBy: ['U0APPROVER1'] })),
  'approval-approved': () => approvalDecided(f.request({ state: 'deploying' }), { outcome: 'approved', by: 'U0APPROVER1', at: '2024-05-01T09:30:00Z' }, f.approvalContext({ approvedBy: ['U0APPROVER1'] })),
  'approval-rejected': () => approvalDecided(f.request({ state: 'rejected' }), { outcome: 'rejected', by: 'U0APPROVER1', at: '2024-05-01T09:30:00Z', reason: 'Use the partner VPN instead.\nSee OPS-40.' }, f.approvalContext()),
  'approval-expired': () => approvalDecided(f.request({ state: 'expired' }), { outcome: 'expired', at: '2024-05-02T09:05:00Z' }, f.approvalContext()),
  'deploy-result': () => deployResult(f.request({ state: 'deployed' }), {
    succeeded: true,
    jobUrl: f.JOB_URL,
    merged: true,
    checks: [
      { name: 'consistency', ok: true, detail: 'git, Terraform state and AWS agree (12 rules)' },
      { name: 'sg-front 127.0.0.2:443', ok: false, detail: 'HTTP 503 after 120 ms' },
    ],
  }),
  'job-failed': () => jobFailed({ jobName: 'plan', logTail: f.SAMPLE_LOG, jobUrl: f.JOB_URL }),
  refusal: () => refusal('you asked for this change, so someone else must approve it'),
  'reject-modal': () => rejectModal('REQ-12'),
};

for (const [name, build] of Object.entries(CASES)) {
  test(`golden: ${name}`, () => golden(name, build()));
}

test('decision buttons carry the request, its pipeline and its plan job, and only well-formed values parse', () => {
  const request = { ...f.request(), planJobId: 5001 };
  assert.deepEqual(parseDecisionValue(decisionValue(request)), { requestId: request.id, pipelineId: request.pipelineId ?? 0, planJobId: 5001 });
  // A button posted before plan jobs were named, or with no plan job, names none: never approvable.
  assert.deepEqual(parseDecisionValue('REQ-1@12'), { requestId: 'REQ-1', pipelineId: 12, planJobId: null });
  assert.deepEqual(parseDecisionValue(decisionValue({ ...request, planJobId: null })), { requestId: request.id, pipelineId: request.pipelineId ?? 0, planJobId: null });
  for (const bad of ['REQ-1', 'REQ-1@', '@12', 'REQ 1@12', 'REQ-1@12@3', 'REQ-1@1e5', 'REQ-1@12.', 'REQ-1@12.3.4', 'REQ-1@12.x']) assert.equal(parseDecisionValue(bad), null, bad);
});

test('a revocation the bot approved itself says so instead of naming a user', () => {
  const decided = approvalDecided(f.request(), { outcome: 'approved', by: 'bot', at: '2026-11-25T10:00:00Z' }, f.approvalContext());
  assert.match(JSON.stringify(decided.blocks), /Approved\* by Portcullis \(expired rule, approval skipped by setting\)/);
  assert.doesNotMatch(JSON.stringify(decided.blocks), /unknown user/);
});
