import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { WebClient } from '@slack/web-api';
import { Gitlab } from '@gitbeaker/rest';
import { EC2Client, DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import type { FakeEndpoints } from '../../src/fakes/all.ts';
import { CLI_ARGS } from '../helpers/cli.ts';

test('portcullis fakes prints one JSON line of loopback endpoints that the real clients can use, and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, [...CLI_ARGS, 'fakes'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    const [line] = await Promise.race([
      (async () => {
        for await (const l of createInterface({ input: child.stdout })) return [l];
        return [''];
      })(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no endpoints line within 20 s')), 20_000)),
    ]);
    const e = JSON.parse(line!) as FakeEndpoints;
    for (const url of [e.slackApiUrl, e.gitlabUrl, e.awsEndpoint]) assert.equal(new URL(url).hostname, '127.0.0.1');

    const slack = new WebClient(e.slackBotToken, { slackApiUrl: e.slackApiUrl, retryConfig: { retries: 0 } });
    assert.equal((await slack.auth.test()).ok, true);
    const gitlab = new Gitlab({ host: e.gitlabUrl, token: e.gitlabToken });
    const file = await gitlab.RepositoryFiles.show(e.gitlabProject, 'terraform/rules/REQ-1.json', 'main');
    assert.equal(JSON.parse(Buffer.from(file.content, 'base64').toString()).id, 'REQ-1', 'the repository is seeded from this checkout');
    const ec2 = new EC2Client({ endpoint: e.awsEndpoint, region: e.awsRegion, credentials: { accessKeyId: e.awsAccessKeyId, secretAccessKey: e.awsSecretAccessKey }, maxAttempts: 1 });
    assert.ok(Array.isArray((await ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups));
    ec2.destroy();
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0);
});
