// The real AWS SDK v3 clients against the fake EC2/STS: reads, rule changes, EC2's errors.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  paginateDescribeInstances,
  paginateDescribeSecurityGroupRules,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { startAwsFake, type AwsFake } from '../../src/fakes/aws/index.ts';

/** Config for EC2Client and STSClient alike; the fake's own credentials unless others are given. */
function clientConfig(fake: AwsFake, credentials = { accessKeyId: fake.accessKeyId, secretAccessKey: fake.secretAccessKey }) {
  return { endpoint: fake.url, region: 'us-east-1', credentials, maxAttempts: 1 };
}

/** The SDK's error, for asserting its name and metadata. */
async function sdkError(promise: Promise<unknown>): Promise<Error & { $metadata: { requestId?: string; httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { $metadata: { requestId?: string; httpStatusCode?: number } };
  }
  assert.fail('expected the SDK call to fail');
}

describe('AWS SDK against the fake EC2/STS', () => {
  let fake: AwsFake;
  let ec2: EC2Client;
  let front: string;
  let backend: string;

  before(async () => {
    fake = await startAwsFake({ callerArn: 'arn:aws:iam::123456789012:role/portcullis-ci' });
    ec2 = new EC2Client(clientConfig(fake));
    front = fake.driver.addSecurityGroup({ groupName: 'sg-front', description: 'Public web front end', tags: { 'portcullis:group': 'sg-front' } });
    backend = fake.driver.addSecurityGroup({ groupName: 'sg-backend', vpcId: 'vpc-0b0000000000000bb' });
  });

  after(async () => {
    ec2.destroy();
    await fake.close();
  });

  test('lists groups by id, by name and by tag and vpc filters', async () => {
    const byId = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [front] }));
    assert.deepEqual(
      byId.SecurityGroups?.map((g) => [g.GroupId, g.GroupName, g.Description, g.OwnerId]),
      [[front, 'sg-front', 'Public web front end', '123456789012']],
    );
    const byName = await ec2.send(new DescribeSecurityGroupsCommand({ GroupNames: ['sg-backend'] }));
    assert.deepEqual(byName.SecurityGroups?.map((g) => g.GroupId), [backend]);
    const byTag = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag:portcullis:group', Values: ['sg-*'] }] }));
    assert.deepEqual(byTag.SecurityGroups?.map((g) => g.GroupId), [front]);
    const byVpc = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: ['vpc-0b0000000000000bb'] }] }));
    assert.deepEqual(byVpc.SecurityGroups?.map((g) => g.GroupName), ['sg-backend']);
    assert.match(front, /^sg-[0-9a-f]{17}$/);
  });

  test('authorizes v4 and v6 ranges with descriptions and tags, reads them back, then revokes them', async () => {
    const created = await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: front,
        IpPermissions: [
          {
            IpProtocol: 'tcp',
            FromPort: 443,
            ToPort: 443,
            IpRanges: [{ CidrIp: '203.0.113.5/32', Description: 'office & vpn' }],
            Ipv6Ranges: [{ CidrIpv6: '2001:db8::/64', Description: 'office v6' }],
          },
        ],
        TagSpecifications: [{ ResourceType: 'security-group-rule', Tags: [{ Key: 'portcullis:request', Value: 'req-1' }] }],
      }),
    );
    assert.equal(created.Return, true);
    const rules = created.SecurityGroupRules ?? [];
    assert.deepEqual(
      rules.map((r) => [r.CidrIpv4 ?? r.CidrIpv6, r.Description, r.IsEgress, r.Tags]),
      [
        ['203.0.113.5/32', 'office & vpn', false, [{ Key: 'portcullis:request', Value: 'req-1' }]],
        ['2001:db8::/64', 'office v6', false, [{ Key: 'portcullis:request', Value: 'req-1' }]],
      ],
    );
    for (const r of rules) assert.match(r.SecurityGroupRuleId ?? '', /^sgr-[0-9a-f]{17}$/);

    const group = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [front] }));
    const [permission] = group.SecurityGroups?.[0]?.IpPermissions ?? [];
    assert.deepEqual(
      [permission?.IpProtocol, permission?.FromPort, permission?.ToPort, permission?.IpRanges, permission?.Ipv6Ranges],
      ['tcp', 443, 443, [{ CidrIp: '203.0.113.5/32', Description: 'office & vpn' }], [{ CidrIpv6: '2001:db8::/64', Description: 'office v6' }]],
    );

    const [v4, v6] = rules.map((r) => r.SecurityGroupRuleId as string);
    const revokedById = await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: front, SecurityGroupRuleIds: [v4 as string] }));
    assert.deepEqual(revokedById.RevokedSecurityGroupRules?.map((r) => r.SecurityGroupRuleId), [v4]);
    const revokedByPermission = await ec2.send(
      new RevokeSecurityGroupIngressCommand({ GroupId: front, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Ipv6Ranges: [{ CidrIpv6: '2001:db8::/64' }] }] }),
    );
    assert.deepEqual(revokedByPermission.RevokedSecurityGroupRules?.map((r) => r.SecurityGroupRuleId), [v6]);
    assert.deepEqual(fake.driver.listIngress(front), []);
  });

  test('a duplicate permission is refused with InvalidPermission.Duplicate and nothing is added', async () => {
    const permission = { IpProtocol: 'udp', FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: '198.51.100.0/24' }] };
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: backend, IpPermissions: [permission] }));
    const error = await sdkError(ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: backend, IpPermissions: [permission] })));
    assert.equal(error.name, 'InvalidPermission.Duplicate');
    assert.match(error.message, /198\.51\.100\.0\/24.*already exists/);
    assert.equal(fake.driver.listIngress(backend).length, 1);
  });

  test('an unknown group gives InvalidGroup.NotFound with a request id', async () => {
    const error = await sdkError(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-0000000000000dead'] })));
    assert.equal(error.name, 'InvalidGroup.NotFound');
    assert.equal(error.$metadata.httpStatusCode, 400);
    assert.match(error.$metadata.requestId ?? '', /^[0-9a-f-]{36}$/);
    const onAuthorize = await sdkError(
      ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: 'sg-0000000000000dead', IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '192.0.2.0/24' }] }] })),
    );
    assert.equal(onAuthorize.name, 'InvalidGroup.NotFound');
  });

  test('revoking what does not exist is refused and removes nothing', async () => {
    const kept = fake.driver.authorizeIngress(backend, { protocol: 'tcp', fromPort: 5432, toPort: 5432, cidr: '192.0.2.0/24' });
    const byId = await sdkError(ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: backend, SecurityGroupRuleIds: [kept, 'sgr-00000000000000000'] })));
    assert.equal(byId.name, 'InvalidSecurityGroupRuleId.NotFound');
    const byPermission = await sdkError(
      ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: backend, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5433, ToPort: 5433, IpRanges: [{ CidrIp: '192.0.2.0/24' }] }] })),
    );
    assert.equal(byPermission.name, 'InvalidPermission.NotFound');
    assert.ok(fake.driver.listIngress(backend).some((r) => r.ruleId === kept));
    fake.driver.revokeIngress(backend, kept);
  });

  test('the driver stores rules as EC2 does: all-protocol rules without ports, protocol numbers as names', async () => {
    const group = fake.driver.addSecurityGroup({ groupName: 'sg-driver' });
    const all = fake.driver.authorizeIngress(group, { protocol: '-1', fromPort: null, toPort: null, cidr: '2001:db8::/48', description: 'all v6', tags: { Name: 'r-all' } });
    const tcp = fake.driver.authorizeIngress(group, { protocol: '6', fromPort: 80, toPort: 80, cidr: '203.0.113.0/24' });
    assert.deepEqual(
      fake.driver.listIngress(group).map((r) => [r.ruleId, r.protocol, r.fromPort, r.toPort, r.cidr, r.description, r.tags]),
      [
        [all, '-1', null, null, '2001:db8::/48', 'all v6', { Name: 'r-all' }],
        [tcp, 'tcp', 80, 80, '203.0.113.0/24', undefined, {}],
      ],
    );
    assert.throws(() => fake.driver.authorizeIngress(group, { protocol: 'tcp', fromPort: 80, toPort: 80, cidr: '203.0.113.0/24' }), { code: 'InvalidPermission.Duplicate' });
    assert.throws(() => fake.driver.authorizeIngress(group, { protocol: 'tcp', fromPort: 80, toPort: 80, cidr: '203.0.113.0' }), { code: 'InvalidParameterValue' });
    assert.throws(() => fake.driver.authorizeIngress(group, { protocol: 'tcp', fromPort: 90, toPort: 80, cidr: '203.0.113.0/24' }), { code: 'InvalidParameterValue' });
    assert.throws(() => fake.driver.revokeIngress(backend, tcp), { code: 'InvalidSecurityGroupRuleId.NotFound' });

    const rules = await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [group] }] }));
    assert.deepEqual(rules.SecurityGroupRules?.map((r) => [r.IpProtocol, r.FromPort, r.ToPort, r.CidrIpv6 ?? r.CidrIpv4]), [
      ['-1', -1, -1, '2001:db8::/48'],
      ['tcp', 80, 80, '203.0.113.0/24'],
    ]);
    const described = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [group] }));
    const allTraffic = described.SecurityGroups?.[0]?.IpPermissions?.find((p) => p.IpProtocol === '-1');
    assert.deepEqual([allTraffic?.FromPort, allTraffic?.ToPort, allTraffic?.Ipv6Ranges], [undefined, undefined, [{ CidrIpv6: '2001:db8::/48', Description: 'all v6' }]]);
    assert.deepEqual(fake.driver.findGroupByName('sg-driver'), { groupId: group, groupName: 'sg-driver' });
  });

  test('lists rules by group with the SDK paginator', async () => {
    const group = fake.driver.addSecurityGroup({ groupName: 'sg-many-rules' });
    const ids = Array.from({ length: 7 }, (_, i) =>
      fake.driver.authorizeIngress(group, { protocol: 'tcp', fromPort: 8000 + i, toPort: 8000 + i, cidr: '203.0.113.0/24', tags: { n: String(i) } }),
    );
    const pages = [];
    for await (const page of paginateDescribeSecurityGroupRules({ client: ec2, pageSize: 5 }, { Filters: [{ Name: 'group-id', Values: [group] }] })) {
      pages.push(page.SecurityGroupRules?.map((r) => r.SecurityGroupRuleId));
    }
    assert.deepEqual(pages, [ids.slice(0, 5), ids.slice(5)]);
    const one = await ec2.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: [ids[3] as string] }));
    assert.deepEqual(one.SecurityGroupRules?.map((r) => [r.FromPort, r.GroupId, r.Tags]), [[8003, group, [{ Key: 'n', Value: '3' }]]]);
  });

  test('lists only the running instances of a group, with loopback public addresses, page by page', async () => {
    const group = fake.driver.addSecurityGroup({ groupName: 'sg-fleet' });
    const running = Array.from({ length: 8 }, (_, i) => fake.driver.addInstance({ groupIds: [group], publicIp: `127.0.20.${i + 1}`, tags: { Name: `web-${i}` } }));
    fake.driver.addInstance({ groupIds: [group], publicIp: '127.0.20.100', state: 'stopped' });
    fake.driver.addInstance({ groupIds: [front], publicIp: '127.0.20.101' });
    const privateOnly = fake.driver.addInstance({ groupIds: [group] });

    const filters = [
      { Name: 'instance.group-id', Values: [group] },
      { Name: 'instance-state-name', Values: ['running'] },
    ];
    const pages = [];
    for await (const page of paginateDescribeInstances({ client: ec2, pageSize: 5 }, { Filters: filters })) {
      pages.push(page.Reservations?.flatMap((r) => r.Instances ?? []) ?? []);
    }
    assert.deepEqual(pages.map((p) => p.length), [5, 4]);
    const instances = pages.flat();
    assert.deepEqual(instances.map((i) => i.InstanceId), [...running, privateOnly]);
    assert.deepEqual(instances.map((i) => i.PublicIpAddress).slice(0, 8), running.map((_, i) => `127.0.20.${i + 1}`));
    assert.equal(instances[8]?.PublicIpAddress, undefined);
    assert.deepEqual(instances[0]?.State, { Code: 16, Name: 'running' });
    assert.deepEqual(instances[0]?.SecurityGroups, [{ GroupId: group, GroupName: 'sg-fleet' }]);
    assert.deepEqual(instances[0]?.Tags, [{ Key: 'Name', Value: 'web-0' }]);
    assert.match(instances[0]?.InstanceId ?? '', /^i-[0-9a-f]{17}$/);

    const byId = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [running[2] as string] }));
    assert.deepEqual(byId.Reservations?.flatMap((r) => r.Instances?.map((i) => i.PublicIpAddress)), ['127.0.20.3']);
    const unknown = await sdkError(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-00000000000000000'] })));
    assert.equal(unknown.name, 'InvalidInstanceID.NotFound');
  });

  test('an instance is refused a non-loopback public address', () => {
    assert.throws(() => fake.driver.addInstance({ groupIds: [front], publicIp: '203.0.113.10' }), /not a loopback/);
  });

  test('STS reads the configured caller identity', async () => {
    const sts = new STSClient(clientConfig(fake));
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    sts.destroy();
    assert.deepEqual([identity.Account, identity.Arn], ['123456789012', 'arn:aws:iam::123456789012:role/portcullis-ci']);
    assert.match(identity.$metadata.requestId ?? '', /^[0-9a-f-]{36}$/);
  });

  test('unknown credentials are refused: AuthFailure from EC2, InvalidClientTokenId from STS', async () => {
    const credentials = { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'whatever' };
    const stranger = new EC2Client(clientConfig(fake, credentials));
    const ec2Error = await sdkError(stranger.send(new DescribeSecurityGroupsCommand({})));
    stranger.destroy();
    assert.equal(ec2Error.name, 'AuthFailure');
    assert.equal(ec2Error.$metadata.httpStatusCode, 401);
    const sts = new STSClient(clientConfig(fake, credentials));
    const stsError = await sdkError(sts.send(new GetCallerIdentityCommand({})));
    sts.destroy();
    assert.equal(stsError.name, 'InvalidClientTokenId');
  });
});
