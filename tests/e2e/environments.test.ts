/**
 * Two environments with the bot as a process: the environments file, the pipeline
 * `portcullis ci-config` writes for it, and two AWS accounts reached through their roles.
 * A production request is planned and deployed in production's account and state only;
 * staging's approver cannot approve it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { APPROVER, BYSTANDER, Harness, OTHER_APPROVER, REQUESTER } from './harness.ts';
import { environmentsFileText, PRODUCTION_ACCOUNT, REGION, ROLES, STAGING_ACCOUNT, twoEnvironmentFiles } from '../helpers/two-accounts.ts';

// Bob approves staging, Carol production.
const envText = environmentsFileText({ staging: [APPROVER], production: [OTHER_APPROVER] });
let h: Harness;
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portcullis-envs-'));
  const file = path.join(dir, 'portcullis.environments.yaml');
  await writeFile(file, envText);
  h = await Harness.start(
    { ENVIRONMENTS_FILE: file },
    {
      aws: { roles: ROLES },
      beforeBot: (harness) => {
        const gitlab = harness.fakes.gitlab.driver;
        gitlab.push('main', twoEnvironmentFiles(envText), 'Two environments');
        // Each environment's groups exist, as after its first deploy of main.
        gitlab.deployBranch('main', 'portcullis-staging', { name: 'staging', accountId: STAGING_ACCOUNT, region: REGION });
        gitlab.deployBranch('main', 'portcullis-production', { name: 'production', accountId: PRODUCTION_ACCOUNT, region: REGION });
      },
    },
  );
});
after(async () => {
  await h.close();
  await rm(dir, { recursive: true, force: true });
});

test('a production request deploys to production\'s account and state only; staging\'s approver is refused', async () => {
  const ownRules = h.fakes.aws.driver.rules().length;
  const stagingRules = h.fakes.aws.driver.account(STAGING_ACCOUNT, REGION).rules();
  const stagingState = h.fakes.gitlab.driver.terraformState('portcullis-staging');
  await h.fakes.slack.driver.runSlashCommand({ user: REQUESTER, command: '/sg-request', text: 'sg-front tcp 443 198.51.100.9 "payments callback" env=production' });
  const parent = await h.waitFor('the production request', () => h.parents().find((m) => /production/.test(m.text) && /REQ-\d+/.test(m.text)));
  const id = /REQ-\d+/.exec(parent.text)![0];
  await h.waitFor('the rule file in production\'s folder', () => h.fakes.gitlab.driver.readFile(`sg-request/${id}`, `terraform/environments/production/rules/${id}.json`));
  const approval = await h.waitForApprovalRequest(id);
  const pipeline = h.fakes.gitlab.driver.pipelines().find((p) => p.ref === `sg-request/${id}`)!;
  assert.deepEqual(pipeline.jobs.map((j) => j.name).filter((n) => n.includes(':')).sort(), ['compliance:production', 'consistency:production', 'deploy:production', 'plan:production', 'service-checks:production']);

  await h.click(APPROVER, approval, 'approve');
  await h.waitFor('staging\'s approver refused', () => h.fakes.slack.driver.ephemerals(APPROVER).find((e) => /not one of the approvers/.test(e.text)));
  await h.click(BYSTANDER, approval, 'approve');
  await h.waitFor('a bystander refused', () => h.fakes.slack.driver.ephemerals(BYSTANDER).find((e) => /not one of the approvers/.test(e.text)));
  assert.equal(h.plays(), 0, 'nothing played on a refused click');

  await h.click(OTHER_APPROVER, approval, 'approve');
  await h.fakes.gitlab.driver.waitForPipeline(pipeline.id, ['success', 'failed'], 15_000);
  assert.equal(h.plays(), 1);
  const played = h.fakes.gitlab.driver.pipelines().find((p) => p.id === pipeline.id)!.jobs.filter((j) => j.user.username !== 'alice' && j.name.startsWith('deploy'));
  assert.deepEqual(played.map((j) => [j.name, j.status]), [['deploy:production', 'success']]);

  const production = h.fakes.aws.driver.account(PRODUCTION_ACCOUNT, REGION);
  assert.ok(production.rules().some((r) => r.tags['portcullis:request'] === id && r.cidr === '198.51.100.9/32'), 'the rule is live in production\'s account');
  assert.deepEqual(h.fakes.aws.driver.account(STAGING_ACCOUNT, REGION).rules(), stagingRules, 'nothing new in staging\'s account');
  assert.equal(h.fakes.aws.driver.rules().length, ownRules, 'nothing in the bot\'s own account');
  assert.ok(JSON.stringify(h.fakes.gitlab.driver.terraformState('portcullis-production')).includes(id), 'production\'s state holds the rule');
  assert.deepEqual(h.fakes.gitlab.driver.terraformState('portcullis-staging'), stagingState, 'staging\'s state unchanged');

  // The checks after the deploy read production: its files, its state, its account.
  await h.waitFor('the deploy result', () => h.threadMessage(id, /^Deployed/));
  const blocks = () => h.thread(id).map((m) => JSON.stringify(m.blocks));
  await h.waitFor('the consistency check in sync', () => blocks().find((b) => /Consistency check\*: In sync: 1 rule in sync/.test(b)));
  const services = await h.waitFor('the service checks', () => blocks().find((b) => /after the deploy of REQ-\d+/.test(b)));
  assert.match(services, /environment `production`/, 'named');
  assert.match(services, /arn:aws:sts::222222222222:assumed-role\/portcullis-read/, 'read in production\'s account with its read role');
});

test('/check-services names its environment, checks it in that account, and needs env= with several', async () => {
  await h.fakes.slack.driver.runSlashCommand({ user: BYSTANDER, command: '/check-services', text: 'sg-front' });
  await h.waitFor('env= asked for', () => h.fakes.slack.driver.ephemerals(BYSTANDER).find((e) => /Say which environment to check with env=NAME/.test(e.text)));
  await h.fakes.slack.driver.runSlashCommand({ user: BYSTANDER, command: '/check-services', text: 'sg-front env=production' });
  const result = await h.waitFor('the check in production', () => h.parents().find((m) => /environment `production`/.test(JSON.stringify(m.blocks))));
  assert.match(JSON.stringify(result.blocks), /arn:aws:sts::222222222222:assumed-role\/portcullis-read\/portcullis-bot/);
  await h.fakes.slack.driver.runSlashCommand({ user: BYSTANDER, command: '/check-services', text: 'sg-front env=nowhere' });
  await h.waitFor('an unknown environment refused', () => h.fakes.slack.driver.ephemerals(BYSTANDER).find((e) => /`nowhere` is not an environment/.test(e.text)));
});
