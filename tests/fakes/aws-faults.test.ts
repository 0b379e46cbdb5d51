// Scripted faults of the fake EC2 and the real SDK's reaction to them (retries, errors, delays).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DescribeInstancesCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { startAwsFake, type AwsFake } from '../../src/fakes/aws/index.ts';

describe('fake EC2 faults', () => {
  let fake: AwsFake;
  const clients: EC2Client[] = [];

  function client(maxAttempts: number): EC2Client {
    const c = new EC2Client({
      endpoint: fake.url,
      region: 'us-east-1',
      credentials: { accessKeyId: fake.accessKeyId, secretAccessKey: fake.secretAccessKey },
      maxAttempts,
    });
    clients.push(c);
    return c;
  }

  before(async () => {
    fake = await startAwsFake();
    const group = fake.driver.addSecurityGroup({ groupName: 'sg-front' });
    fake.driver.addInstance({ groupIds: [group], publicIp: '127.0.30.1' });
  });

  after(async () => {
    for (const c of clients) c.destroy();
    await fake.close();
  });

  test('throttling is retried by the SDK until it passes', async () => {
    const before = fake.driver.calls('DescribeInstances');
    fake.driver.failNext('DescribeInstances', 'RequestLimitExceeded', 2);
    const result = await client(3).send(new DescribeInstancesCommand({}));
    assert.equal(result.Reservations?.length, 1);
    assert.equal(result.$metadata.attempts, 3);
    assert.equal(fake.driver.calls('DescribeInstances') - before, 3);
  });

  test('throttling surfaces as RequestLimitExceeded when the SDK may not retry', async () => {
    fake.driver.failNext('DescribeInstances', 'RequestLimitExceeded', 1);
    await assert.rejects(client(1).send(new DescribeInstancesCommand({})), (error: Error & { $metadata: { httpStatusCode?: number } }) => {
      assert.equal(error.name, 'RequestLimitExceeded');
      assert.equal(error.$metadata.httpStatusCode, 503);
      return true;
    });
    // The fault is used up: the next call passes.
    assert.equal((await client(1).send(new DescribeInstancesCommand({}))).Reservations?.length, 1);
  });

  test('an InternalError is retried as a transient fault', async () => {
    fake.driver.failNext('DescribeSecurityGroups', 'InternalError', 1);
    const result = await client(2).send(new DescribeSecurityGroupsCommand({}));
    assert.equal(result.$metadata.attempts, 2);
    assert.equal(result.SecurityGroups?.length, 1);
  });

  test('an injected AuthFailure is not retried', async () => {
    const before = fake.driver.calls('DescribeSecurityGroups');
    fake.driver.failNext('DescribeSecurityGroups', 'AuthFailure', 1);
    await assert.rejects(client(3).send(new DescribeSecurityGroupsCommand({})), { name: 'AuthFailure' });
    assert.equal(fake.driver.calls('DescribeSecurityGroups') - before, 1);
  });

  test('faults apply to the named action only', async () => {
    fake.driver.failNext('DescribeSecurityGroups', 'RequestLimitExceeded', 1);
    assert.equal((await client(1).send(new DescribeInstancesCommand({}))).Reservations?.length, 1);
    await assert.rejects(client(1).send(new DescribeSecurityGroupsCommand({})), { name: 'RequestLimitExceeded' });
  });

  test('a delayed answer arrives after the delay', async () => {
    fake.driver.delayNext('DescribeInstances', 150);
    const started = performance.now();
    await client(1).send(new DescribeInstancesCommand({}));
    assert.ok(performance.now() - started >= 145, 'the answer came before the scripted delay');
    const again = performance.now();
    await client(1).send(new DescribeInstancesCommand({}));
    assert.ok(performance.now() - again < 145, 'the delay applies to one call only');
  });
});
