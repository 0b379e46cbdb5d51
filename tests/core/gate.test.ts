/**
 * The bot's own verdict on a pipeline's plan, whatever the pipeline's jobs say: a passed
 * compliance job, a plan.json that reads as a plan, no violation of the bot's policies,
 * and for a request the bot opened, exactly the asked-for change and nothing else.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judgePipeline, notTheRequest } from '../../src/core/gate.ts';
import type { PipelineFacts, PlanArtifact } from '../../src/core/pipeline.ts';
import { environmentJobs } from '../../src/domain/environment.ts';
import type { JobInfo } from '../../src/core/ports.ts';
import { analysePlan } from '../../src/plan/summary.ts';
import { changeRequest, POLICIES, ruleFile } from '../helpers/deps.ts';
import { instance, plan, vpcRule } from '../helpers/plans.ts';

const rule = ruleFile({ id: 'REQ-5', cidr: '203.0.113.0/24', description: 'partner API' });
const analysis = (...changes: Parameters<typeof plan>[0]) => analysePlan(plan(changes));

test('a request: exactly its rule created, tagged with its id, as asked', () => {
  assert.deepEqual(notTheRequest(analysis(vpcRule({ request: 'REQ-5' })), 'request', rule), []);
});

test('a request: a rule riding along, another resource, or a rule that differs from the ask are each named', () => {
  const extra = notTheRequest(analysis(vpcRule({ request: 'REQ-5' }), vpcRule({ request: 'REQ-5b', from: 1, to: 65535, address: 'aws_vpc_security_group_ingress_rule.rule["REQ-5b"]' })), 'request', rule);
  assert.equal(extra.length, 1);
  assert.match(extra[0]!, /the plan also does: \+ ingress tcp\/1-65535 from 203\.0\.113\.0\/24/);

  assert.match(notTheRequest(analysis(vpcRule({ request: 'REQ-5' }), instance('create')), 'request', rule).join('\n'), /1 resource that is not a rule/);
  const wider = notTheRequest(analysis(vpcRule({ request: 'REQ-5', cidr: '0.0.0.0/0' })), 'request', rule);
  assert.match(wider.join('\n'), /also does: \+ ingress tcp\/443 from 0\.0\.0\.0\/0/);
  assert.match(wider.join('\n'), /does not create rule REQ-5 as it was asked for/);
  assert.match(notTheRequest(analysis(), 'request', rule).join('\n'), /does not create rule REQ-5/);
});

test('a revocation: only deletions of that rule', () => {
  assert.deepEqual(notTheRequest(analysis(vpcRule({ action: 'delete', request: 'REQ-5' })), 'revocation', rule), []);
  assert.match(notTheRequest(analysis(vpcRule({ action: 'delete', request: 'REQ-5' }), vpcRule({ action: 'create', request: 'REQ-6', address: 'x.y["REQ-6"]' })), 'revocation', rule).join('\n'), /also does: \+ ingress/);
  assert.match(notTheRequest(analysis(vpcRule({ action: 'delete', request: 'REQ-6' })), 'revocation', rule).join('\n'), /does not remove rule REQ-5/);
  assert.match(notTheRequest(analysis(vpcRule({ action: 'delete', request: 'REQ-5' }), instance('delete')), 'revocation', rule).join('\n'), /not a rule/);
  assert.match(notTheRequest(analysis(vpcRule({ action: 'update', request: 'REQ-5', before: { cidr: '198.51.100.0/24' } })), 'revocation', rule).join('\n'), /also does: ~/);
});

const job = (id: number, name: string, status: string): JobInfo => ({ id, name, stage: name, status, webUrl: `http://127.0.0.1/-/jobs/${id}`, failureReason: null });

function facts(compliance: string | null, planArtifact: PlanArtifact, ids = { plan: 1, compliance: 2 }): PipelineFacts {
  const jobs = [job(ids.plan, 'plan', 'success'), ...(compliance ? [job(ids.compliance, 'compliance', compliance)] : []), job(3, 'deploy', 'manual')];
  return {
    pipeline: { id: 9, ref: 'sg-request/REQ-5', sha: 'a'.repeat(40), status: 'manual', source: 'api', webUrl: 'http://127.0.0.1/-/pipelines/9' },
    jobs,
    jobsByName: new Map(jobs.map((j) => [j.name, j])),
    envJobs: environmentJobs('default'),
    forEnvironment: () => assert.fail('not used'),
    plan: async () => planArtifact,
    complianceReport: async () => null,
  };
}

const request = changeRequest({ id: 'REQ-5', rule });
const deps = { policies: POLICIES };
const read = (...changes: Parameters<typeof plan>[0]): PlanArtifact => ({ status: 'read', analysis: analysePlan(plan(changes)) });

test('the pipeline passes the gate only with a passed compliance job and a plan the bot judges compliant and equal to the request', async () => {
  assert.deepEqual(await judgePipeline(deps, request, facts('success', read(vpcRule({ request: 'REQ-5' })))), { ok: true });
});

test('a compliance job that failed (allowed to fail by the branch) or was removed closes the gate', async () => {
  const failed = await judgePipeline(deps, request, facts('failed', read(vpcRule({ request: 'REQ-5' }))));
  assert.deepEqual(failed, { ok: false, problems: ["the pipeline's compliance job did not pass (it is failed)"] });
  const missing = await judgePipeline(deps, request, facts(null, read(vpcRule({ request: 'REQ-5' }))));
  assert.deepEqual(missing, { ok: false, problems: ['the pipeline has no compliance job'] });
});

test('a compliance job that ran before the plan job was run again judged an earlier plan: the gate stays closed until it runs again', async () => {
  const good = read(vpcRule({ request: 'REQ-5' }));
  const stale = await judgePipeline(deps, request, facts('success', good, { plan: 7, compliance: 2 }));
  assert.deepEqual(stale, { ok: false, problems: ['the compliance job (#2) judged an earlier plan: the plan job ran again as #7; run the compliance job again'] });
  assert.deepEqual(await judgePipeline(deps, request, facts('success', good, { plan: 7, compliance: 8 })), { ok: true });
});

test("the bot's own policies judge the plan, whatever the pipeline's compliance job said", async () => {
  const ssh = changeRequest({ id: 'PL-9', kind: 'external', rule: null });
  const verdict = await judgePipeline(deps, ssh, facts('success', read(vpcRule({ request: 'PL-9', protocol: 'tcp', from: 22, to: 22, cidr: '0.0.0.0/0' }))));
  assert.equal(verdict.ok, false);
  assert.match(!verdict.ok ? verdict.problems.join('\n') : '', /policy [a-z-]+: .*SSH/i);
});

test('a plan the bot cannot read closes the gate', async () => {
  for (const artifact of [{ status: 'missing' }, { status: 'not-ready' }, { status: 'unreadable', reason: 'this looks like a state' }] as PlanArtifact[]) {
    const verdict = await judgePipeline(deps, request, facts('success', artifact));
    assert.equal(verdict.ok, false, artifact.status);
  }
});
