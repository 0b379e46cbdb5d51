// The CloudPort over the real AWS SDK clients, against the EC2/STS fake on loopback.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CloudError, createAwsCloud } from '../../src/aws/cloud.ts';
import type { CloudPort } from '../../src/core/ports.ts';
import { FAKE_ACCOUNT_ID, startAwsFake, type AwsFake } from '../../src/fakes/aws/index.ts';

describe('createAwsCloud against the AWS fake', () => {
  let fake: AwsFake;
  let cloud: CloudPort;
  let front: string;
  let other: string;

  const cloudFor = (overrides: Partial<Parameters<typeof createAwsCloud>[0]> = {}) =>
    createAwsCloud({
      region: 'us-east-1',
      endpointEc2: fake.url,
      endpointSts: fake.url,
      credentials: { accessKeyId: fake.accessKeyId, secretAccessKey: fake.secretAccessKey },
      ...overrides,
    });

  before(async () => {
    fake = await startAwsFake();
    const { driver } = fake;
    front = driver.addSecurityGroup({ groupName: 'sg-front' });
    other = driver.addSecurityGroup({ groupName: 'sg-other' });
    driver.authorizeIngress(front, { protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '0.0.0.0/0', description: 'web' });
    driver.authorizeIngress(front, { protocol: '17', fromPort: 53, toPort: 53, cidr: '2001:DB8:0:0::/32' });
    driver.authorizeIngress(front, { protocol: '-1', fromPort: null, toPort: null, cidr: '10.0.0.0/8' });
    driver.authorizeIngress(other, { protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '198.51.100.0/24' });
    // Enough rules to need several pages of DescribeSecurityGroupRules (the fake pages at MaxResults).
    for (let i = 0; i < 30; i++) driver.authorizeIngress(other, { protocol: 'tcp', fromPort: 8000 + i, toPort: 8000 + i, cidr: '203.0.113.0/24' });
    driver.addInstance({ groupIds: [front], publicIp: '127.40.0.10', state: 'running', tags: { Name: 'web-1' }, instanceId: 'i-0web1' });
    driver.addInstance({ groupIds: [front, other], publicIp: '127.40.0.11', state: 'running', instanceId: 'i-0web2' });
    driver.addInstance({ groupIds: [front], publicIp: '127.40.0.12', state: 'stopped', instanceId: 'i-0stopped' });
    driver.addInstance({ groupIds: [front], state: 'running', instanceId: 'i-0private' });
    driver.addInstance({ groupIds: [other], publicIp: '127.40.0.13', state: 'running', instanceId: 'i-0other' });
    cloud = cloudFor();
  });

  after(() => fake.close());

  it('says who it is through STS', async () => {
    const me = await cloud.callerIdentity();
    assert.equal(me.account, FAKE_ACCOUNT_ID);
    assert.match(me.arn, /:user\/portcullis-bot$/);
  });

  it('finds a group by name and by id, and answers null for an unknown one', async () => {
    assert.deepEqual(await cloud.findGroup('sg-front'), { groupId: front, groupName: 'sg-front', vpcId: 'vpc-0fa4e0000000000aa', ownerId: '123456789012' });
    assert.deepEqual(await cloud.findGroup(other), { groupId: other, groupName: 'sg-other', vpcId: 'vpc-0fa4e0000000000aa', ownerId: '123456789012' });
    assert.equal(await cloud.findGroup('sg-nope-by-name'), null);
    assert.equal(await cloud.findGroup('no-such-group'), null);
  });

  it('lists a group’s ingress rules normalised like rule files, none of another group', async () => {
    const rules = (await cloud.groupRules(front)).filter((r) => r.direction === 'ingress');
    const view = rules.map(({ protocol, fromPort, toPort, cidr }) => ({ protocol, fromPort, toPort, cidr })).sort((a, b) => a.cidr.localeCompare(b.cidr));
    assert.deepEqual(view, [
      { protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '0.0.0.0/0' },
      { protocol: '-1', fromPort: null, toPort: null, cidr: '10.0.0.0/8' },
      { protocol: 'udp', fromPort: 53, toPort: 53, cidr: '2001:db8::/32' },
    ]);
    assert.ok(rules.every((r) => r.groupId === front && r.ruleId.startsWith('sgr-')));
    assert.equal(rules.find((r) => r.fromPort === 443)?.description, 'web');
  });

  it('follows pagination to the last rule', async () => {
    const rules = await cloud.groupRules(other);
    assert.equal(rules.length, 31);
    assert.equal(new Set(rules.map((r) => r.ruleId)).size, 31);
  });

  it('lists only running members that have a public address', async () => {
    const members = await cloud.publicMembers(front);
    assert.deepEqual(
      members.sort((a, b) => a.instanceId.localeCompare(b.instanceId)),
      [
        { instanceId: 'i-0web1', publicIp: '127.40.0.10', name: 'web-1' },
        { instanceId: 'i-0web2', publicIp: '127.40.0.11', name: null },
      ],
    );
  });

  it('retries throttling and succeeds within its attempts', async () => {
    const before = fake.driver.calls('DescribeInstances');
    fake.driver.failNext('DescribeInstances', 'RequestLimitExceeded', 2);
    const members = await cloud.publicMembers(other);
    assert.deepEqual(members.map((m) => m.instanceId).sort(), ['i-0other', 'i-0web2']);
    assert.equal(fake.driver.calls('DescribeInstances') - before, 3);
  });

  it('gives up after three attempts with an error naming the action', async () => {
    fake.driver.failNext('DescribeSecurityGroupRules', 'RequestLimitExceeded', 5);
    await assert.rejects(cloud.groupRules(front), (err: unknown) => {
      assert.ok(err instanceof CloudError);
      assert.match(err.message, /DescribeSecurityGroupRules \(sg-[0-9a-f]+\): RequestLimitExceeded/);
      return true;
    });
  });

  it('surfaces bad credentials as an error naming the action, without retrying', async () => {
    const stranger = cloudFor({ credentials: { accessKeyId: 'AKIAFAKEWRONGKEY0001', secretAccessKey: 'nope' } });
    const before = fake.driver.calls('DescribeSecurityGroups');
    await assert.rejects(stranger.findGroup('sg-front'), /AWS DescribeSecurityGroups \(sg-front\): AuthFailure: AWS was not able to validate/);
    assert.equal(fake.driver.calls('DescribeSecurityGroups') - before, 1);
    await assert.rejects(stranger.callerIdentity(), /AWS GetCallerIdentity: InvalidClientTokenId/);
  });

  it('stops waiting for a hanging AWS after its request timeout', async () => {
    const impatient = cloudFor({ requestTimeoutMs: 200, maxAttempts: 1 });
    fake.driver.delayNext('GetCallerIdentity', 5000);
    const started = performance.now();
    await assert.rejects(impatient.callerIdentity(), (err: unknown) => err instanceof CloudError && /GetCallerIdentity/.test(err.message));
    assert.ok(performance.now() - started < 3000, 'the call was cut off by its timeout');
  });
});
