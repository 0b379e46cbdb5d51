/**
 * The per-environment pipeline (`portcullis ci-config`) in the GitLab fake, with the AWS
 * fake holding two accounts: a branch touching production gets production's jobs only,
 * and its played deploy lands in production's account and state, nowhere else. The fake's
 * `rules:` reading is held to GitLab's behaviour.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Gitlab } from '@gitbeaker/rest';
import { startAwsFake, type AwsFake } from '../../src/fakes/aws/index.ts';
import { startGitLabFake, type GitLabFake } from '../../src/fakes/gitlab/index.ts';
import { CiConfigError, parseCiConfig, selectJobs } from '../../src/fakes/gitlab/ci/config.ts';
import { REPO_ROOT } from '../../src/fakes/all.ts';
import { parseRuleFile, serializeRuleFile } from '../../src/domain/rule.ts';
import { environmentsFileText, PRODUCTION_ACCOUNT, REGION, role, ROLES, STAGING_ACCOUNT, twoEnvironmentFiles } from '../helpers/two-accounts.ts';

let aws: AwsFake;
let gitlab: GitLabFake;
let api: InstanceType<typeof Gitlab>;

before(async () => {
  aws = await startAwsFake({ roles: ROLES });
  gitlab = await startGitLabFake({ seed: { dir: REPO_ROOT }, ec2: aws.driver, accounts: aws.driver, jobDurationMs: 5 });
  api = new Gitlab({ host: gitlab.url, token: gitlab.token });
  gitlab.driver.push('main', twoEnvironmentFiles(environmentsFileText({ staging: ['U0STAGE'], production: ['U0PROD'] })), 'Two environments');
});

after(async () => {
  await gitlab.close();
  await aws.close();
});

const ruleText = (id: string) =>
  serializeRuleFile(parseRuleFile(JSON.stringify({ id, group: 'sg-front', protocol: 'tcp', from_port: 443, to_port: 443, cidr: '203.0.113.5/32', description: 'partner API', requester: 'U0123' })));

async function jobNames(pipelineId: number): Promise<Map<string, string>> {
  const jobs = await api.Jobs.all(gitlab.projectId, { pipelineId });
  const bridges = await api.Jobs.allPipelineBridges(gitlab.projectId, pipelineId);
  return new Map([...jobs, ...bridges].map((j) => [j.name, j.status]));
}

test('a production change: only production\'s jobs; its deploy applies in production\'s account and state only', async () => {
  const ownGroups = aws.driver.groups().length;
  gitlab.driver.push('sg-request/REQ-1', { 'terraform/environments/production/rules/REQ-1.json': ruleText('REQ-1') }, 'REQ-1 [production]');
  const created = await api.Pipelines.create(gitlab.projectId, 'sg-request/REQ-1');
  await gitlab.driver.waitForPipeline(created.id, ['manual', 'failed']);
  const jobs = await jobNames(created.id);
  assert.deepEqual(
    [...jobs.keys()].filter((n) => n.includes(':')).sort(),
    ['compliance:production', 'consistency:production', 'deploy:production', 'plan:production', 'service-checks:production'],
  );
  assert.equal(jobs.get('deploy:production'), 'manual');
  assert.equal(jobs.get('plan:production'), 'success');

  const deploy = (await api.Jobs.all(gitlab.projectId, { pipelineId: created.id })).find((j) => j.name === 'deploy:production')!;
  await api.Jobs.play(gitlab.projectId, deploy.id);
  await gitlab.driver.waitForPipeline(created.id, ['success', 'failed']);
  assert.equal((await jobNames(created.id)).get('deploy:production'), 'success');

  const production = aws.driver.account(PRODUCTION_ACCOUNT, REGION);
  const front = production.groups().find((g) => g.groupName === 'sg-front');
  assert.ok(front, 'the group is created in production\'s account');
  assert.deepEqual(production.rules().filter((r) => r.groupId === front.groupId).map((r) => r.cidr), ['203.0.113.5/32']);
  assert.deepEqual(aws.driver.account(STAGING_ACCOUNT, REGION).groups(), [], 'staging\'s account untouched');
  assert.deepEqual(aws.driver.account(PRODUCTION_ACCOUNT, 'us-east-1').groups(), [], 'another region of the account is apart');
  assert.equal(aws.driver.groups().length, ownGroups, 'the fake\'s own account untouched');
  assert.ok(gitlab.driver.terraformState('portcullis-production'));
  assert.equal(gitlab.driver.terraformState('portcullis-staging'), undefined);
  assert.equal(gitlab.driver.terraformState('portcullis'), undefined);
});

test('credentials of another account fail the plan (allowed_account_ids); an unknown deploy role cannot be assumed', async () => {
  gitlab.driver.push('sg-request/REQ-2', { 'terraform/environments/production/rules/REQ-2.json': ruleText('REQ-2') }, 'REQ-2 [production]');
  const trace = async (variables: Array<{ key: string; value: string }>) => {
    const p = await api.Pipelines.create(gitlab.projectId, 'sg-request/REQ-2', { variables });
    await gitlab.driver.waitForPipeline(p.id, ['manual', 'failed']);
    const plan = (await api.Jobs.all(gitlab.projectId, { pipelineId: p.id })).find((j) => j.name === 'plan:production')!;
    assert.equal(plan.status, 'failed');
    return String(await api.Jobs.showLog(gitlab.projectId, plan.id));
  };
  assert.match(await trace([{ key: 'TF_VAR_aws_role_arn', value: role(STAGING_ACCOUNT, 'portcullis-deploy') }]), /AWS account ID not allowed: 111111111111/);
  assert.match(await trace([{ key: 'TF_VAR_aws_role_arn', value: role(PRODUCTION_ACCOUNT, 'someone-else') }]), /Cannot assume IAM Role/);
});

test('rules: changes as GitLab reads them: globs, left-out jobs, needs on a left-out job, what the fake refuses', () => {
  const ci = (rules: string) => parseCiConfig(`stages: [plan, deploy]\nplan:\n  stage: plan\n  script: [x]\n  rules:\n${rules}\ndeploy:\n  stage: deploy\n  script: [y]\n  needs: [plan]\n`);
  const onProd = `    - changes:\n        paths: ["terraform/environments/production/**/*"]\n        compare_to: refs/heads/main\n`;
  const names = (paths: string[] | null) => selectJobs(ci(onProd), () => paths).jobs.map((j) => j.name);
  assert.throws(() => names(['terraform/environments/staging/rules/A.json']), /'deploy' job needs 'plan' job, but 'plan' is not in any previous stage/);
  assert.deepEqual(names(['terraform/environments/production/rules/A.json']), ['plan', 'deploy']);
  assert.deepEqual(names(['terraform/environments/production/.hidden']), ['plan', 'deploy'], 'FNM_DOTMATCH');
  assert.deepEqual(names(null), ['plan', 'deploy'], 'nothing to compare with: changes is true');
  const manual = selectJobs(ci(`    - when: manual\n`), () => []).jobs[0]!;
  assert.deepEqual([manual.when, manual.allowFailure], ['manual', false], 'rules: when manual blocks unless allow_failure says otherwise');
  assert.throws(() => ci(`    - if: $CI_COMMIT_BRANCH\n`), CiConfigError);
  assert.throws(() => parseCiConfig('a:\n  script: [x]\n  only: [main]\n  rules:\n    - when: always\n'), /may not be used with `rules`: only/);
});

test('a compare_to naming no ref refuses the pipeline, as GitLab does', async () => {
  const text = 'bad:\n  script: [x]\n  rules:\n    - changes:\n        paths: ["*"]\n        compare_to: no-such-branch\n';
  gitlab.driver.push('sg-request/REQ-3', { 'terraform/.gitlab-ci.yml': text }, 'broken pipeline');
  await assert.rejects(api.Pipelines.create(gitlab.projectId, 'sg-request/REQ-3'), /compare_to is not a valid ref/);
});
