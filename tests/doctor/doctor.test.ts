/**
 * `portcullis doctor` against the fakes, the real clients talking to them: a project set
 * up as the README says passes every check; each way of getting it wrong is a ✗ naming
 * the problem and its fix.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { startFakes, type Fakes } from '../../src/fakes/all.ts';
import { fakeAwsEnv } from '../../src/fakes/aws/index.ts';
import { startSlackFake, type SlackFake } from '../../src/fakes/slack/index.ts';
import { createDoctorCommand } from '../../src/cli/doctor.ts';
import { runDoctorJson } from '../helpers/doctor.ts';
import { createGitLabVcs } from '../../src/gitlab/client.ts';
import { openStore } from '../../src/store/index.ts';

const SECRET = 'doctor-webhook-secret-0123456789';

let fakes: Fakes;
let brokenSlack: SlackFake;
let bot: Server;
let botUrl: string;
/** The secret the stand-in bot accepts (a wrong one is answered 401, as the bot does). */
let accepted = SECRET;
let env: Record<string, string>;
const dir = mkdtempSync(path.join(tmpdir(), 'doctor-'));

async function doctor(overrides: Record<string, string | undefined> = {}, ...args: string[]) {
  return runDoctorJson({ ...env, ...overrides }, ...args);
}

/** Delivers a pipeline's hooks to the stand-in bot and waits until each was answered. */
async function deliverSomething() {
  const vcs = createGitLabVcs({ url: fakes.gitlab.url, token: fakes.gitlab.token, project: fakes.gitlab.projectPath });
  const before = fakes.gitlab.driver.deliveries().length;
  await vcs.createPipeline('main');
  for (let i = 0; i < 200 && fakes.gitlab.driver.deliveries().filter((d) => d.status !== null).length <= before; i++) await new Promise((r) => setTimeout(r, 10));
}

before(async () => {
  fakes = await startFakes();
  brokenSlack = await startSlackFake({
    botScopes: ['chat:write', 'commands', 'users:read'],
    appScopes: [],
    channels: [{ id: 'C0SECOPS', name: 'sec-ops', members: ['U0ALICE'] }],
  });
  bot = createServer((req, res) => {
    req.resume();
    res.writeHead(req.headers['x-gitlab-token'] === accepted ? 200 : 401).end();
  });
  await new Promise<void>((resolve) => bot.listen(0, '127.0.0.1', resolve));
  botUrl = `http://127.0.0.1:${(bot.address() as AddressInfo).port}/webhooks/gitlab`;

  const g = fakes.gitlab.driver;
  g.deployBranch('main');
  g.protectEnvironment('firewall/portcullis', [{ userId: g.botUserId }]);
  g.addHook({ url: botUrl, token: SECRET, pipelineEvents: true, jobEvents: true, pushEvents: false });
  const e = fakes.endpoints;
  const database = path.join(dir, 'bot.sqlite');
  openStore(database).close();
  env = {
    SLACK_BOT_TOKEN: e.slackBotToken,
    SLACK_APP_TOKEN: e.slackAppToken,
    SLACK_API_URL: e.slackApiUrl,
    SLACK_CHANNEL_ID: 'C0SECOPS',
    APPROVER_GROUP: 'S0APPROVERS',
    APPROVER_IDS: 'U0BOB',
    GITLAB_URL: e.gitlabUrl,
    GITLAB_TOKEN: e.gitlabToken,
    GITLAB_PROJECT: e.gitlabProject,
    GITLAB_WEBHOOK_SECRET: SECRET,
    DATABASE_PATH: database,
    ...fakeAwsEnv(fakes.aws, e.awsRegion),
  };
  await deliverSomething();
});

after(async () => {
  await new Promise<void>((resolve) => bot.close(() => resolve()));
  await Promise.all([fakes.close(), brokenSlack.close()]);
});

describe('portcullis doctor', () => {
  test('a setup done as the README says passes every check, and no secret reaches the output', async () => {
    const { code, report, stdout } = await doctor();
    const bad = report.checks.filter((c) => c.status !== 'ok');
    assert.deepEqual(bad, [], stdout);
    assert.equal(code, 0);
    assert.equal(report.ok, true);
    const checks = report.checks.map((c) => `${c.area}/${c.check}`);
    for (const expected of ['Slack/bot token', 'Slack/bot scopes', 'Slack/app token / Socket Mode', 'Slack/channel', 'Slack/approver group', 'GitLab/token', 'GitLab/role', 'GitLab/Terraform state', 'GitLab/CI/CD configuration', 'GitLab/webhook', 'GitLab/webhook secret', 'GitLab/deploy environment', 'AWS/identity', 'AWS/security groups', 'Database/database']) {
      assert.ok(checks.includes(expected), `${expected} is checked`);
    }
    for (const secret of [env.SLACK_BOT_TOKEN!, env.SLACK_APP_TOKEN!, env.GITLAB_TOKEN!, SECRET, env.AWS_SECRET_ACCESS_KEY!]) assert.ok(!stdout.includes(secret));
  });

  test('the text table marks each check and puts the fix under each ✗', async () => {
    let stdout = '';
    const code = await createDoctorCommand(() => ({ ...env, SLACK_CHANNEL_ID: 'C0NOWHERE' })).run([], { stdout: (t) => void (stdout += t), stderr: () => undefined });
    assert.equal(code, 1);
    assert.match(stdout, /^✓ Slack\s+bot token\s+bot portcullis/m);
    assert.match(stdout, /^✗ Slack\s+channel\s+C0NOWHERE: Slack answered channel_not_found\n\s+fix: Check SLACK_CHANNEL_ID/m);
    assert.match(stdout, /\d+ passed, 1 failed, 0 not checked\.\n$/);
  });

  test('Slack: wrong tokens, missing scopes, an app token without connections:write, a channel without the bot, an unknown group', async () => {
    const wrong = await doctor({ SLACK_BOT_TOKEN: 'xoxb-not-the-token', SLACK_APP_TOKEN: 'xapp-not-the-token', APPROVER_GROUP: 'S0NOSUCH' });
    assert.equal(wrong.code, 1);
    assert.equal(wrong.row('Slack', 'bot token').status, 'fail');
    assert.match(wrong.row('Slack', 'bot token').detail, /invalid_auth/);
    assert.equal(wrong.row('Slack', 'bot scopes').status, 'skip');
    assert.match(wrong.row('Slack', 'app token / Socket Mode').detail, /invalid_auth/);

    const broken = await doctor({ SLACK_API_URL: brokenSlack.url, SLACK_BOT_TOKEN: brokenSlack.botToken, SLACK_APP_TOKEN: brokenSlack.appToken });
    assert.equal(broken.row('Slack', 'bot token').status, 'ok');
    const scopes = broken.row('Slack', 'bot scopes');
    assert.equal(scopes.status, 'fail');
    assert.match(scopes.detail, /missing channels:read, files:write, groups:read, usergroups:read, users:read\.email/);
    assert.match(scopes.fix ?? '', /reinstall/);
    assert.match(broken.row('Slack', 'app token / Socket Mode').fix ?? '', /connections:write/);
    // Without channels:read Slack refuses conversations.info, as it would.
    assert.match(broken.row('Slack', 'channel').detail, /missing_scope \(needs channels:read\)/);
    assert.match(broken.row('Slack', 'approver group').detail, /missing_scope/);
  });

  test('Slack: the bot not in the channel; the bot token given as the app token', async () => {
    const notMember = await startSlackFake({ channels: [{ id: 'C0SECOPS', name: 'sec-ops', members: ['U0ALICE'] }] });
    try {
      const r = await doctor({ SLACK_API_URL: notMember.url, SLACK_BOT_TOKEN: notMember.botToken, SLACK_APP_TOKEN: notMember.appToken });
      assert.equal(r.row('Slack', 'channel').status, 'fail');
      assert.match(r.row('Slack', 'channel').fix ?? '', /\/invite @portcullis in #sec-ops/);
    } finally {
      await notMember.close();
    }
    const swapped = await startSlackFake({ appToken: 'xapp-fake-bot', botToken: 'xoxb-fake-bot' });
    try {
      // A token Slack knows as the bot's, used for apps.connections.open, is the wrong kind.
      const r = await doctor({ SLACK_API_URL: swapped.url, SLACK_BOT_TOKEN: swapped.botToken, SLACK_APP_TOKEN: swapped.appToken, APPROVER_IDS: 'U0NOBODY' });
      assert.equal(r.row('Slack', 'app token / Socket Mode').status, 'ok');
      assert.equal(r.row('Slack', 'approver ids').status, 'fail');
      assert.match(r.row('Slack', 'approver ids').detail, /U0NOBODY \(Slack answered user_not_found\)/);
    } finally {
      await swapped.close();
    }
  });

  test('GitLab: a read_api token, a Developer, another CI file, no protection, a wildcard-free name', async () => {
    const g = fakes.gitlab.driver;
    try {
      g.setTokenScopes(['read_api'], '2027-01-31');
      g.setBotAccessLevel(30);
      g.setCiConfigPath('.gitlab-ci.yml');
      g.protectEnvironment('firewall/portcullis', []);
      g.protectEnvironment('firewall/*', [{ userId: g.botUserId }]);
      const r = await doctor();
      assert.equal(r.code, 1);
      assert.match(r.row('GitLab', 'token').detail, /scopes read_api: no api scope/);
      assert.match(r.row('GitLab', 'role').detail, /access level 30, below Maintainer/);
      assert.match(r.row('GitLab', 'CI/CD configuration').detail, /points at \.gitlab-ci\.yml/);
      const env = r.row('GitLab', 'deploy environment');
      assert.equal(env.status, 'fail');
      assert.match(env.detail, /firewall\/portcullis is not protected/);
      assert.match(env.fix ?? '', /does not protect by wildcard/);
      // Reads still work with read_api: the state is readable.
      assert.equal(r.row('GitLab', 'Terraform state').status, 'ok');
    } finally {
      g.setTokenScopes(['api']);
      g.setBotAccessLevel(40);
      g.setCiConfigPath('terraform/.gitlab-ci.yml');
      g.protectEnvironment('firewall/*', []);
      g.protectEnvironment('firewall/portcullis', [{ userId: g.botUserId }]);
    }
  });

  test('GitLab: an environment Maintainers may deploy, a non-member bot, a changed CI file, an unknown token', async () => {
    const g = fakes.gitlab.driver;
    const shipped = g.readFile('main', 'terraform/.gitlab-ci.yml')!;
    try {
      g.protectEnvironment('firewall/portcullis', [{ userId: g.botUserId }, { accessLevel: 40 }]);
      g.setBotAccessLevel(null);
      g.push('main', { 'terraform/.gitlab-ci.yml': 'stages: [deploy]\n' });
      const r = await doctor();
      assert.match(r.row('GitLab', 'deploy environment').detail, /may also be deployed by role 40/);
      assert.match(r.row('GitLab', 'role').detail, /is no member/);
      assert.match(r.row('GitLab', 'CI/CD configuration').detail, /differs from the one this Portcullis ships/);
      const unknown = await doctor({ GITLAB_TOKEN: 'glpat-not-a-real-token' });
      assert.equal(unknown.row('GitLab', 'token').status, 'fail');
      assert.match(unknown.row('GitLab', 'token').detail, /401/);
      assert.ok(!unknown.stdout.includes('glpat-not-a-real-token'));
    } finally {
      g.protectEnvironment('firewall/portcullis', [{ userId: g.botUserId }]);
      g.setBotAccessLevel(40);
      g.push('main', { 'terraform/.gitlab-ci.yml': shipped });
    }
  });

  test('GitLab: no webhook, one without Job events, a wrong secret proved by the last delivery', async () => {
    const other = await doctor({}, '--webhook-url', 'https://elsewhere.example/webhooks/gitlab');
    assert.match(other.row('GitLab', 'webhook').detail, /no webhook delivers to https:\/\/elsewhere\.example/);
    assert.match(other.row('GitLab', 'webhook').fix ?? '', /portcullis setup gitlab-webhook/);

    const hook = fakes.gitlab.driver.hooks()[0]!;
    try {
      hook.jobEvents = false;
      accepted = 'the-bot-has-another-secret-now';
      await deliverSomething();
      const r = await doctor({}, '--webhook-url', botUrl);
      assert.match(r.row('GitLab', 'webhook').detail, /Job events off/);
      const secret = r.row('GitLab', 'webhook secret');
      assert.equal(secret.status, 'fail');
      assert.match(secret.detail, /refused the last delivery \(401\)/);
    } finally {
      // GitLab disables a hook after failed deliveries; put it back as it was.
      Object.assign(hook, { jobEvents: true, consecutiveFailures: 0, disabledUntil: null });
      accepted = SECRET;
    }
  });

  test('AWS: no region, credentials refused, no read access to the groups', async () => {
    const noRegion = await doctor({ AWS_REGION: undefined });
    assert.match(noRegion.row('AWS', 'identity').detail, /AWS_REGION is not set/);
    fakes.aws.driver.failNext('GetCallerIdentity', 'AuthFailure');
    const refused = await doctor();
    assert.equal(refused.row('AWS', 'identity').status, 'fail');
    fakes.aws.driver.failNext('DescribeSecurityGroups', 'UnauthorizedOperation');
    const unreadable = await doctor();
    assert.equal(unreadable.row('AWS', 'identity').status, 'ok');
    assert.match(unreadable.row('AWS', 'security groups').detail, /UnauthorizedOperation/);
    assert.match(unreadable.row('AWS', 'security groups').fix ?? '', /ec2:DescribeSecurityGroups/);
  });

  test('Database: a newer schema, a folder that cannot be written, no file yet', async () => {
    const newer = path.join(dir, 'newer.sqlite');
    const db = new Database(newer);
    db.pragma('user_version = 999');
    db.close();
    assert.match((await doctor({ DATABASE_PATH: newer })).row('Database', 'database').detail, /schema version 999, newer/);
    const notDb = path.join(dir, 'not-a-db.sqlite');
    writeFileSync(notDb, 'plain text, not SQLite'.repeat(100));
    assert.equal((await doctor({ DATABASE_PATH: notDb })).row('Database', 'database').status, 'fail');
    // Its folder would have to be made inside a file.
    assert.equal((await doctor({ DATABASE_PATH: path.join(notDb, 'data', 'bot.sqlite') })).row('Database', 'database').status, 'fail');
    const fresh = (await doctor({ DATABASE_PATH: path.join(dir, 'fresh.sqlite') })).row('Database', 'database');
    assert.equal(fresh.status, 'ok');
    assert.match(fresh.detail, /creates it at start/);
  });

  test('an invalid configuration is a ✗ per variable, and nothing else is asked', async () => {
    const before = fakes.gitlab.driver.requests().length;
    const r = await doctor({ GITLAB_TOKEN: undefined, SLACK_CHANNEL_ID: 'general' });
    assert.equal(r.code, 1);
    assert.deepEqual(r.report.checks.map((c) => `${c.area}/${c.check}/${c.status}`).sort(), ['Configuration/GITLAB_TOKEN/fail', 'Configuration/SLACK_CHANNEL_ID/fail']);
    assert.equal(fakes.gitlab.driver.requests().length, before);
  });
});
