/**
 * The consistency check against the real fakes, through the real adapters (gitbeaker on
 * the GitLab fake, the AWS SDK on the EC2 fake): main deployed is in sync, and each kind
 * of difference is made to happen the way it happens for real.
 */
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAwsCloud } from '../../src/aws/cloud.ts';
import { checkConsistencyFromGitLab } from '../../src/checks/consistency-gather.ts';
import type { ConsistencyResult } from '../../src/checks/consistency.ts';
import type { CloudPort, VcsPort } from '../../src/core/ports.ts';
import { parseRuleFile, serializeRuleFile } from '../../src/domain/rule.ts';
import { startFakes, type Fakes } from '../../src/fakes/all.ts';
import { createGitLabVcs } from '../../src/gitlab/client.ts';

let fakes: Fakes;
let vcs: VcsPort;
let cloud: CloudPort;

beforeEach(async () => {
  fakes = await startFakes();
  const e = fakes.endpoints;
  vcs = createGitLabVcs({ url: e.gitlabUrl, token: e.gitlabToken, project: e.gitlabProject, policy: { baseDelayMs: 5, maxDelayMs: 20 } });
  cloud = createAwsCloud({
    region: e.awsRegion,
    endpointEc2: e.awsEndpoint,
    endpointSts: e.awsEndpoint,
    credentials: { accessKeyId: e.awsAccessKeyId, secretAccessKey: e.awsSecretAccessKey },
  });
});

afterEach(() => fakes.close());

const check = () => checkConsistencyFromGitLab(vcs, cloud);
const summary = (r: ConsistencyResult) => r.findings.map((f) => `${f.kind} ${f.ruleId}`);

function frontGroupId(): string {
  const group = fakes.aws.driver.findGroupByName('sg-front');
  assert.ok(group, 'deploying main creates sg-front');
  return group.groupId;
}

function ruleText(id: string, fromPort: number): string {
  return serializeRuleFile(
    parseRuleFile(JSON.stringify({ id, group: 'sg-front', protocol: 'tcp', from_port: fromPort, to_port: fromPort, cidr: '203.0.113.0/24', description: 'Partner API', requester: 'U0123' })),
  );
}

test('main never deployed: its rule is merged but not applied', async () => {
  const result = await check();
  assert.deepEqual(summary(result), ['not_applied REQ-1']);
  assert.equal(result.ok, false);
});

test('main deployed: git, the state and AWS are in sync', async () => {
  fakes.gitlab.driver.deployBranch();
  const result = await check();
  assert.deepEqual(result.findings, []);
  assert.deepEqual(result.inSync.map((r) => `${r.ruleId} ${r.group}`), ['REQ-1 sg-front']);
  assert.equal(result.ok, true);
});

test('a rule authorized by hand in EC2 is unmanaged', async () => {
  fakes.gitlab.driver.deployBranch();
  const byHand = fakes.aws.driver.authorizeIngress(frontGroupId(), { protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '198.51.100.0/24', description: 'ssh for debugging' });
  const result = await check();
  assert.deepEqual(summary(result), ['unmanaged_in_aws null']);
  assert.equal(result.findings[0]!.awsRuleId, byHand);
  assert.equal(result.findings[0]!.group, 'sg-front');
  assert.match(result.findings[0]!.message, /tcp\/22 from 198\.51\.100\.0\/24/);
  assert.deepEqual(result.inSync.map((r) => `${r.ruleId} ${r.group}`), ['REQ-1 sg-front']);
});

test('a managed rule revoked in EC2 is missing in AWS', async () => {
  fakes.gitlab.driver.deployBranch();
  const groupId = frontGroupId();
  const managed = fakes.aws.driver.listIngress(groupId).find((r) => r.tags['portcullis:request'] === 'REQ-1');
  assert.ok(managed);
  fakes.aws.driver.revokeIngress(groupId, managed.ruleId);
  const result = await check();
  assert.deepEqual(summary(result), ['missing_in_aws REQ-1']);
  assert.equal(result.findings[0]!.awsRuleId, managed.ruleId);
});

test('a rule pushed to main without a deploy is not applied; the deployed one stays in sync', async () => {
  fakes.gitlab.driver.deployBranch();
  fakes.gitlab.driver.push('main', { 'terraform/rules/REQ-2.json': ruleText('REQ-2', 8443) });
  const result = await check();
  assert.deepEqual(summary(result), ['not_applied REQ-2']);
  assert.deepEqual(result.inSync.map((r) => `${r.ruleId} ${r.group}`), ['REQ-1 sg-front']);
});

test('a rule file removed from main without a deploy is stale in the state', async () => {
  fakes.gitlab.driver.deployBranch();
  fakes.gitlab.driver.push('main', { 'terraform/rules/REQ-1.json': null });
  const result = await check();
  assert.deepEqual(summary(result), ['stale_in_state REQ-1']);
  assert.match(result.findings[0]!.message, /still live as sgr-/);
});

test('a state edited to other ports drifts from both git and AWS', async () => {
  fakes.gitlab.driver.deployBranch();
  const state = fakes.gitlab.driver.terraformState()!;
  const rules = state.resources.find((r) => r.type === 'aws_vpc_security_group_ingress_rule')!;
  rules.instances[0]!.attributes = { ...rules.instances[0]!.attributes, from_port: 8443, to_port: 8443 };
  fakes.gitlab.driver.setTerraformState('portcullis', state);
  const result = await check();
  assert.deepEqual(
    result.findings.map((f) => [f.kind, f.between, f.differences]),
    [
      ['state_drift', 'git-state', [{ field: 'ports', expected: 'tcp/443', actual: 'tcp/8443' }]],
      ['state_drift', 'state-aws', [{ field: 'ports', expected: 'tcp/8443', actual: 'tcp/443' }]],
    ],
  );
});

test('a rule file pushed broken to main is reported by path', async () => {
  fakes.gitlab.driver.deployBranch();
  fakes.gitlab.driver.push('main', { 'terraform/rules/REQ-1.json': '{"id": "REQ-1",' });
  const result = await check();
  assert.deepEqual(summary(result), ['invalid_rule_file REQ-1']);
  assert.match(result.findings[0]!.message, /^terraform\/rules\/REQ-1\.json cannot be read: not JSON/);
});
