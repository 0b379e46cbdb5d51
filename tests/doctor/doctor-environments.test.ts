/**
 * `portcullis doctor` with an environments file: every environment is checked — its
 * channel and approvers, its Terraform state, its protected deploy environment, its AWS
 * account through its read role and its groups — and the CI file must be the one
 * `portcullis ci-config` writes for the file. Against the fakes, two AWS accounts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { REPO_ROOT, startFakes, type Fakes } from '../../src/fakes/all.ts';
import { fakeAwsEnv } from '../../src/fakes/aws/index.ts';
import { runDoctorJson } from '../helpers/doctor.ts';
import { environmentsFileText, PRODUCTION_ACCOUNT, REGION, ROLES, STAGING_ACCOUNT, twoEnvironmentFiles } from '../helpers/two-accounts.ts';

const SECRET = 'doctor-webhook-secret-0123456789';
let fakes: Fakes;
let bot: Server;
let env: Record<string, string>;
const dir = mkdtempSync(path.join(tmpdir(), 'doctor-envs-'));
const envText = environmentsFileText({ staging: ['U0BOB'], production: ['U0CAROL'] });

async function doctor(overrides: Record<string, string> = {}) {
  return runDoctorJson({ ...env, ...overrides });
}

before(async () => {
  fakes = await startFakes({ aws: { roles: ROLES } });
  bot = createServer((req, res) => {
    req.resume();
    res.writeHead(req.headers['x-gitlab-token'] === SECRET ? 200 : 401).end();
  });
  await new Promise<void>((resolve) => bot.listen(0, '127.0.0.1', resolve));
  const g = fakes.gitlab.driver;
  g.push('main', twoEnvironmentFiles(envText), 'Two environments');
  g.deployBranch('main', 'portcullis-staging', { name: 'staging', accountId: STAGING_ACCOUNT, region: REGION });
  g.deployBranch('main', 'portcullis-production', { name: 'production', accountId: PRODUCTION_ACCOUNT, region: REGION });
  for (const name of ['firewall/portcullis-staging', 'firewall/portcullis-production']) g.protectEnvironment(name, [{ userId: g.botUserId }]);
  g.addHook({ url: `http://127.0.0.1:${(bot.address() as AddressInfo).port}/webhooks/gitlab`, token: SECRET, pipelineEvents: true, jobEvents: true, pushEvents: false });
  const file = path.join(dir, 'portcullis.environments.yaml');
  writeFileSync(file, envText);
  const e = fakes.endpoints;
  env = {
    SLACK_BOT_TOKEN: e.slackBotToken,
    SLACK_APP_TOKEN: e.slackAppToken,
    SLACK_API_URL: e.slackApiUrl,
    SLACK_CHANNEL_ID: 'C0SECOPS',
    APPROVER_IDS: 'U0BOB',
    GITLAB_URL: e.gitlabUrl,
    GITLAB_TOKEN: e.gitlabToken,
    GITLAB_PROJECT: e.gitlabProject,
    GITLAB_WEBHOOK_SECRET: SECRET,
    DATABASE_PATH: path.join(dir, 'bot.sqlite'),
    ...fakeAwsEnv(fakes.aws, e.awsRegion),
    ENVIRONMENTS_FILE: file,
  };
});

after(async () => {
  await new Promise<void>((resolve) => bot.close(() => resolve()));
  await fakes.close();
  rmSync(dir, { recursive: true, force: true });
});

test('each environment is checked in its own account, state and deploy environment; the pipeline is the one ci-config writes', async () => {
  const { code, report, row, stdout } = await doctor();
  const failed = report.checks.filter((c) => c.status === 'fail');
  assert.deepEqual(failed, [], stdout);
  assert.equal(code, 0);
  assert.match(row('AWS', 'identity (staging)').detail, new RegExp(`account ${STAGING_ACCOUNT}`));
  assert.match(row('AWS', 'identity (production)').detail, new RegExp(`account ${PRODUCTION_ACCOUNT}`));
  assert.match(row('AWS', 'security groups (production)').detail, /terraform\/environments\/production\/groups\.json/);
  assert.match(row('GitLab', 'Terraform state (staging)').detail, /^portcullis-staging: readable/);
  assert.match(row('GitLab', 'deploy environment (production)').detail, /firewall\/portcullis-production deployable by/);
  assert.match(row('GitLab', 'CI/CD configuration').detail, /ci-config/);
  assert.equal(row('Slack', 'approver ids (production)').status, 'ok');
});

test("an environment's deploy unprotected, the shipped single-environment pipeline, a file naming the wrong account: each a ✗ naming its environment", async () => {
  const g = fakes.gitlab.driver;
  g.protectEnvironment('firewall/portcullis-production', []);
  g.push('main', { 'terraform/.gitlab-ci.yml': readFileSync(path.join(REPO_ROOT, 'terraform/.gitlab-ci.yml'), 'utf8') }, 'back to one environment');
  const wrong = path.join(dir, 'wrong-account.yaml');
  // Production's read role lives in production's account; the file claims another.
  writeFileSync(wrong, envText.replace(`account_id: "${PRODUCTION_ACCOUNT}"`, 'account_id: "333333333333"').replaceAll(`iam::${PRODUCTION_ACCOUNT}:role/portcullis-deploy`, 'iam::333333333333:role/portcullis-deploy').replace(`iam::${PRODUCTION_ACCOUNT}:role/portcullis-read`, 'iam::333333333333:role/portcullis-read'));
  const { code, row } = await doctor();
  assert.equal(code, 1);
  assert.equal(row('GitLab', 'deploy environment (staging)').status, 'ok');
  assert.equal(row('GitLab', 'deploy environment (production)').status, 'fail');
  const ci = row('GitLab', 'CI/CD configuration');
  assert.equal(ci.status, 'fail');
  assert.match(ci.fix ?? '', /portcullis ci-config --environments/);

  const other = await doctor({ ENVIRONMENTS_FILE: wrong });
  assert.equal(other.row('AWS', 'identity (staging)').status, 'ok');
  assert.equal(other.row('AWS', 'identity (production)').status, 'fail');
});
