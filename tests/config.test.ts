import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CONFIG_VARIABLES, ConfigError, configSecrets, loadConfig, parseDuration } from '../src/config.ts';
import { InputError } from '../src/domain/errors.ts';

const SECRETS = {
  SLACK_BOT_TOKEN: 'xoxb-1111-2222-botsecretvalue',
  SLACK_APP_TOKEN: 'xapp-1-A111-333-appsecretvalue',
  GITLAB_TOKEN: 'glpat-gitlabsecretvalue0',
  GITLAB_WEBHOOK_SECRET: 'hook-secret-0123456789',
};

const minimal = {
  ...SECRETS,
  SLACK_CHANNEL_ID: 'C0CHANNEL',
  APPROVER_IDS: 'U0ALICE, U0BOB',
  GITLAB_URL: 'http://127.0.0.1:8929/',
  GITLAB_PROJECT: 'platform/firewall',
};

function problemsOf(env: Record<string, string | undefined>): readonly string[] {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

test('a minimal environment gets the documented defaults, parsed', () => {
  const c = loadConfig(minimal);
  assert.deepEqual(c.slack, {
    botToken: SECRETS.SLACK_BOT_TOKEN,
    appToken: SECRETS.SLACK_APP_TOKEN,
    apiUrl: 'https://slack.com/api/',
    channelId: 'C0CHANNEL',
  });
  assert.deepEqual(c.approvals, { approverIds: new Set(['U0ALICE', 'U0BOB']), approverGroup: null, required: 1, ttlMs: 24 * 3_600_000, autoApproveExpiredRevocations: false, deployPlayTimeoutMs: 5 * 60_000 });
  assert.deepEqual(c.gitlab, {
    url: 'http://127.0.0.1:8929',
    token: SECRETS.GITLAB_TOKEN,
    project: 'platform/firewall',
    webhookSecret: SECRETS.GITLAB_WEBHOOK_SECRET,
  });
  assert.equal(c.port, 3000);
  assert.equal(c.databasePath, './data/portcullis.sqlite');
  assert.equal(c.reconcileIntervalMs, 120_000);
  assert.equal(c.logLevel, 'info');
  assert.equal(c.awsRegion, null);
  assert.equal(c.checkServicesIntervalMs, 60_000);
});

test('CHECK_SERVICES_INTERVAL is a duration from 1s to 24h, and a bad one is named', () => {
  assert.equal(loadConfig({ ...minimal, CHECK_SERVICES_INTERVAL: '5m' }).checkServicesIntervalMs, 300_000);
  assert.equal(loadConfig({ ...minimal, CHECK_SERVICES_INTERVAL: '1s' }).checkServicesIntervalMs, 1000);
  assert.equal(loadConfig({ ...minimal, CHECK_SERVICES_INTERVAL: '24h' }).checkServicesIntervalMs, 86_400_000);
  for (const bad of ['0s', '500ms', '25h', '2d', 'soon', '60']) {
    assert.deepEqual(problemsOf({ ...minimal, CHECK_SERVICES_INTERVAL: bad }), ['CHECK_SERVICES_INTERVAL: invalid; expected a duration from 1s to 24h, such as 60s or 5m'], bad);
  }
});

test('every optional variable, when set, is parsed into its typed value', () => {
  const c = loadConfig({
    ...minimal,
    SLACK_API_URL: 'http://127.0.0.1:4100/api',
    APPROVER_IDS: '',
    APPROVER_GROUP: 'S0APPROVERS',
    REQUIRED_APPROVALS: '3',
    APPROVAL_TTL: '30m',
    AUTO_APPROVE_EXPIRED_REVOCATIONS: 'true',
    DEPLOY_PLAY_TIMEOUT: '90s',
    GITLAB_PROJECT: '42',
    PORT: '0',
    DATABASE_PATH: '/tmp/p.sqlite',
    RECONCILE_INTERVAL: '45s',
    LOG_LEVEL: 'debug',
    AWS_REGION: 'eu-west-1',
  });
  assert.equal(c.slack.apiUrl, 'http://127.0.0.1:4100/api/', 'a trailing slash is added for the WebClient');
  assert.deepEqual(c.approvals, { approverIds: new Set(), approverGroup: 'S0APPROVERS', required: 3, ttlMs: 1_800_000, autoApproveExpiredRevocations: true, deployPlayTimeoutMs: 90_000 });
  assert.equal(c.gitlab.project, 42);
  assert.equal(c.port, 0);
  assert.equal(c.databasePath, '/tmp/p.sqlite');
  assert.equal(c.reconcileIntervalMs, 45_000);
  assert.equal(c.logLevel, 'debug');
  assert.equal(c.awsRegion, 'eu-west-1');
});

test('the config is frozen', () => {
  const c = loadConfig(minimal);
  assert.throws(() => {
    (c as { port: number }).port = 1;
  }, TypeError);
  assert.throws(() => {
    (c.gitlab as { token: string }).token = 'x';
  }, TypeError);
});

test('every problem is reported at once, one line per variable, with what is expected', () => {
  const err = (() => {
    try {
      loadConfig({
        SLACK_BOT_TOKEN: 'xoxp-user-token-not-bot',
        SLACK_CHANNEL_ID: 'general',
        REQUIRED_APPROVALS: '0',
        APPROVAL_TTL: '1 week',
        GITLAB_URL: 'ftp://127.0.0.1',
        GITLAB_PROJECT: 'just-a-name',
        GITLAB_WEBHOOK_SECRET: 'short',
        PORT: '70000',
        RECONCILE_INTERVAL: '0s',
        LOG_LEVEL: 'verbose',
        AWS_REGION: 'Europe',
      });
    } catch (e) {
      return e;
    }
    assert.fail('expected a ConfigError');
  })();
  assert.ok(err instanceof ConfigError);
  assert.ok(err instanceof InputError, 'the CLI and the bot map InputErrors to a clean exit');
  assert.equal(err.code, 'CONFIG_INVALID');
  assert.deepEqual(
    [...err.problems].sort(),
    [
      'APPROVAL_TTL: invalid; expected a duration such as 30m, 4h or 2d',
      'APPROVER_IDS / APPROVER_GROUP: missing; set at least one of them to say who may approve',
      'AWS_REGION: invalid; expected an AWS region such as eu-west-1',
      'GITLAB_PROJECT: invalid; expected a numeric project id or a path such as group/project',
      'GITLAB_TOKEN: missing; expected a GitLab access token with api scope (at least 8 characters, no spaces)',
      'GITLAB_URL: invalid; expected the http(s) URL of the GitLab instance',
      'GITLAB_WEBHOOK_SECRET: invalid; expected the webhook secret token, at least 16 characters',
      'LOG_LEVEL: invalid; expected fatal, error, warn, info, debug, trace, silent',
      'PORT: invalid; expected a TCP port from 0 to 65535',
      'RECONCILE_INTERVAL: invalid; expected a duration such as 30s or 2m',
      'REQUIRED_APPROVALS: invalid; expected a whole number from 1 to 100',
      'SLACK_APP_TOKEN: missing; expected the Slack app-level token for Socket Mode, starting "xapp-"',
      'SLACK_BOT_TOKEN: invalid; expected the Slack bot token, starting "xoxb-"',
      'SLACK_CHANNEL_ID: invalid; expected a Slack channel id such as C0123ABCD',
    ],
  );
  for (const line of err.problems) assert.ok(err.message.includes(`\n  ${line}`), line);
});

test('no secret value appears in the error, whichever variable is wrong', () => {
  const secretish = {
    SLACK_BOT_TOKEN: 'xoxp-9999-leaked-user-token',
    SLACK_APP_TOKEN: 'not-an-app-token-leaked-1',
    GITLAB_TOKEN: 'has spaces leaked-2',
    GITLAB_WEBHOOK_SECRET: 'leaked-3',
  };
  const message = (() => {
    try {
      loadConfig({ ...minimal, ...secretish });
    } catch (e) {
      return (e as Error).message;
    }
    assert.fail('expected a ConfigError');
  })();
  for (const [name, value] of Object.entries(secretish)) {
    assert.ok(message.includes(name), `${name} is named`);
    assert.ok(!message.includes(value), `${name}'s value is not echoed`);
  }
});

test('blank values count as unset, so defaults apply and required ones are missing', () => {
  const c = loadConfig({ ...minimal, PORT: '', LOG_LEVEL: '  ' });
  assert.equal(c.port, 3000);
  assert.equal(c.logLevel, 'info');
  assert.deepEqual(problemsOf({ ...minimal, SLACK_CHANNEL_ID: '' }), [
    'SLACK_CHANNEL_ID: missing; expected a Slack channel id such as C0123ABCD',
  ]);
});

test('approvers: bad ids are named; a required count the listed users can never reach is refused', () => {
  assert.deepEqual(problemsOf({ ...minimal, APPROVER_IDS: 'U0ALICE,bob' }), [
    'APPROVER_IDS: invalid; expected a comma-separated list of Slack user ids such as U0123ABCD',
  ]);
  assert.deepEqual(problemsOf({ ...minimal, APPROVER_IDS: ' , ' }), [
    'APPROVER_IDS / APPROVER_GROUP: missing; set at least one of them to say who may approve',
  ]);
  assert.deepEqual(problemsOf({ ...minimal, REQUIRED_APPROVALS: '3' }), [
    'REQUIRED_APPROVALS: invalid; 3 approvals can never come from the 2 user(s) in APPROVER_IDS',
  ]);
  // With a group, its size is only known at run time.
  assert.equal(loadConfig({ ...minimal, REQUIRED_APPROVALS: '3', APPROVER_GROUP: 'S0GROUP' }).approvals.required, 3);
});

test('AUTO_APPROVE_EXPIRED_REVOCATIONS takes exactly true or false', () => {
  assert.equal(loadConfig({ ...minimal, AUTO_APPROVE_EXPIRED_REVOCATIONS: 'false' }).approvals.autoApproveExpiredRevocations, false);
  for (const bad of ['yes', '1', 'TRUE']) {
    assert.deepEqual(problemsOf({ ...minimal, AUTO_APPROVE_EXPIRED_REVOCATIONS: bad }), ['AUTO_APPROVE_EXPIRED_REVOCATIONS: invalid; expected true or false'], bad);
  }
});

test('loadConfig reads only the map it is given', () => {
  process.env.SLACK_CHANNEL_ID = 'C0FROMPROCESSENV';
  try {
    assert.equal(loadConfig(minimal).slack.channelId, 'C0CHANNEL');
    assert.throws(() => loadConfig({ ...minimal, SLACK_CHANNEL_ID: undefined }), ConfigError);
  } finally {
    delete process.env.SLACK_CHANNEL_ID;
  }
});

test('durations', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('30m'), 1_800_000);
  assert.equal(parseDuration('4h'), 14_400_000);
  assert.equal(parseDuration('2d'), 172_800_000);
  for (const bad of ['', '4', 'h', '1.5h', '-1h', '1w', '1 h', '1H']) assert.equal(parseDuration(bad), null, bad);
});

test('configSecrets lists every secret the logger must scrub', () => {
  assert.deepEqual(new Set(configSecrets(loadConfig(minimal))), new Set(Object.values(SECRETS)));
});

test('.env.example documents exactly the variables loadConfig reads', () => {
  const text = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
  const listed = [...text.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]);
  assert.deepEqual(listed, [...CONFIG_VARIABLES]);
});

test('.env.example explains the AWS variables the process reads besides loadConfig, commented out', () => {
  const text = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
  const source = readFileSync(new URL('../src/aws/env.ts', import.meta.url), 'utf8');
  const read = new Set([...source.matchAll(/\b(AWS_[A-Z_]+)\b/g)].map((m) => m[1]!));
  // `AWS_ENDPOINT_URL_${service}` names two variables.
  read.delete('AWS_ENDPOINT_URL_');
  for (const service of ['EC2', 'STS']) read.add(`AWS_ENDPOINT_URL_${service}`);
  read.delete('AWS_REGION');
  read.delete('AWS_DEFAULT_REGION');
  assert.ok(read.size >= 6, `found ${[...read].join(', ')}`);
  for (const name of read) assert.match(text, new RegExp(`^# ${name}=$`, 'm'), name);
});

test('SHUTDOWN_TIMEOUT is a duration from 1s to 10m, default 8s', () => {
  assert.equal(loadConfig(minimal).shutdownTimeoutMs, 8000);
  assert.equal(loadConfig({ ...minimal, SHUTDOWN_TIMEOUT: '25s' }).shutdownTimeoutMs, 25_000);
  for (const bad of ['0s', '11m', 'later']) {
    assert.deepEqual(problemsOf({ ...minimal, SHUTDOWN_TIMEOUT: bad }), ['SHUTDOWN_TIMEOUT: invalid; expected a duration from 1s to 10m, such as 8s'], bad);
  }
});
