/**
 * The AWS fake's other accounts through the real SDK: STS AssumeRole hands out session
 * credentials for a known role only, checked as STS checks its input; those credentials
 * (with their session token) reach that account's EC2 in the region they are signed
 * for, and nothing of the fake's own account or another one.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { FAKE_ACCOUNT_ID, startAwsFake, type AwsFake } from '../../src/fakes/aws/index.ts';

const PROD_ROLE = 'arn:aws:iam::222222222222:role/portcullis-read';
let fake: AwsFake;
let sts: STSClient;

before(async () => {
  fake = await startAwsFake({ roles: [PROD_ROLE] });
  sts = new STSClient({ endpoint: fake.url, region: 'eu-west-1', credentials: { accessKeyId: fake.accessKeyId, secretAccessKey: fake.secretAccessKey }, maxAttempts: 1 });
});
after(() => fake.close());

const ec2With = (credentials: NonNullable<ConstructorParameters<typeof EC2Client>[0]>['credentials'], region = 'eu-west-1') =>
  new EC2Client({ endpoint: fake.url, region, credentials, maxAttempts: 1 });
const groupNames = async (client: EC2Client) => ((await client.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups ?? []).map((g) => g.GroupName).sort();

test('an assumed role sees its own account in its region, and only that', async () => {
  fake.driver.addSecurityGroup({ groupName: 'own-account-group' });
  fake.driver.account('222222222222', 'eu-west-1').addSecurityGroup({ groupName: 'prod-front' });
  fake.driver.account('222222222222', 'us-east-1').addSecurityGroup({ groupName: 'prod-other-region' });
  const credentials = fromTemporaryCredentials({ params: { RoleArn: PROD_ROLE, RoleSessionName: 'portcullis-bot' }, clientConfig: { endpoint: fake.url, region: 'eu-west-1' }, masterCredentials: { accessKeyId: fake.accessKeyId, secretAccessKey: fake.secretAccessKey } });
  assert.deepEqual(await groupNames(ec2With(credentials)), ['prod-front']);
  assert.deepEqual(await groupNames(ec2With(credentials, 'us-east-1')), ['prod-other-region']);
  const me = await new STSClient({ endpoint: fake.url, region: 'eu-west-1', credentials, maxAttempts: 1 }).send(new GetCallerIdentityCommand({}));
  assert.equal(me.Account, '222222222222');
  assert.equal(me.Arn, 'arn:aws:sts::222222222222:assumed-role/portcullis-read/portcullis-bot');
  assert.ok((await groupNames(ec2With({ accessKeyId: fake.accessKeyId, secretAccessKey: fake.secretAccessKey }))).includes('own-account-group'));
  assert.notEqual(FAKE_ACCOUNT_ID, '222222222222');
});

test('AssumeRole refuses an unknown role, a bad session name, a too-long session; session keys need their token', async () => {
  await assert.rejects(sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::222222222222:role/admin', RoleSessionName: 'x1' })), (e: Error) => e.name === 'AccessDenied' && /not authorized to perform: sts:AssumeRole/.test(e.message));
  await assert.rejects(sts.send(new AssumeRoleCommand({ RoleArn: PROD_ROLE, RoleSessionName: 'has space' })), (e: Error) => e.name === 'ValidationError');
  await assert.rejects(sts.send(new AssumeRoleCommand({ RoleArn: PROD_ROLE, RoleSessionName: 'ok', DurationSeconds: 7200 })), /MaxSessionDuration/);
  const { Credentials: c } = await sts.send(new AssumeRoleCommand({ RoleArn: PROD_ROLE, RoleSessionName: 'ok' }));
  assert.match(c!.AccessKeyId!, /^ASIA/);
  assert.ok(c!.Expiration! > new Date());
  await assert.rejects(groupNames(ec2With({ accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey! })), (e: Error) => e.name === 'AuthFailure');
  assert.deepEqual(await groupNames(ec2With({ accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken! })), ['prod-front']);
});
