/**
 * terraform/.gitlab-ci.yml and its child pipeline against the pipeline contract: the bot
 * plays `deploy` and reads the artifacts of `plan` and `compliance`, the fake GitLab
 * pipeline mimics the same names, and other teams include the service checks.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { artifactPaths, mentions, needsOf, parseCi, scriptLines, stageOf, structureProblems } from './gitlab-ci.ts';
import type { CiConfig, CiJob } from './gitlab-ci.ts';

const ROOT = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), 'utf8');
const ci = parseCi(read('terraform/.gitlab-ci.yml'));

function job(config: CiConfig, name: string): CiJob {
  const found = config.jobs.get(name);
  assert.ok(found, `the pipeline has a job "${name}"`);
  return found;
}

function runsCommand(j: CiJob, command: string): boolean {
  return scriptLines(j).some((line) => line.trim().startsWith(`${command} `));
}

test('stages run prepare, validate, plan, deploy, verify, with the contract jobs in each', () => {
  assert.deepEqual(ci.stages, ['prepare', 'validate', 'plan', 'deploy', 'verify']);
  const byStage = Object.fromEntries(ci.stages.map((stage) => [stage, [...ci.jobs].filter(([, j]) => stageOf(j) === stage).map(([name]) => name)]));
  assert.deepEqual(byStage, {
    prepare: ['prepare'],
    validate: ['fmt', 'validate'],
    plan: ['plan', 'compliance'],
    deploy: ['deploy'],
    verify: ['consistency', 'service-checks'],
  });
});

test('every job is in a declared stage and needs only existing jobs of its own or earlier stages', () => {
  assert.deepEqual(structureProblems(ci), []);
});

test('Terraform runs from a pinned image, with the entrypoint cleared and .terraform cached', () => {
  const terraformJobs = [...ci.jobs].filter(([, j]) => runsCommand(j, 'terraform'));
  assert.deepEqual(terraformJobs.map(([name]) => name), ['prepare', 'fmt', 'validate', 'plan', 'deploy']);
  for (const [name, j] of terraformJobs) {
    const image = j.image as { name: string; entrypoint: string[] };
    assert.match(image.name, /^hashicorp\/terraform:\d+\.\d+\.\d+$/, `${name} pins the terraform version`);
    assert.deepEqual(image.entrypoint, [''], `${name} clears the image's terraform entrypoint`);
    if (scriptLines(j).some((line) => / init\b/.test(line))) {
      assert.deepEqual((j.cache as { paths: string[] }).paths, ['terraform/.terraform/'], `${name} caches .terraform`);
    }
  }
});

test('state is GitLab-managed, reached with the job token, under TF_STATE_NAME', () => {
  assert.deepEqual(
    Object.fromEntries(Object.entries(ci.variables).filter(([key]) => key.startsWith('TF_HTTP_') || key === 'TF_STATE_NAME')),
    {
      TF_STATE_NAME: 'portcullis',
      TF_HTTP_ADDRESS: '${CI_API_V4_URL}/projects/${CI_PROJECT_ID}/terraform/state/${TF_STATE_NAME}',
      TF_HTTP_LOCK_ADDRESS: '${TF_HTTP_ADDRESS}/lock',
      TF_HTTP_UNLOCK_ADDRESS: '${TF_HTTP_ADDRESS}/lock',
      TF_HTTP_LOCK_METHOD: 'POST',
      TF_HTTP_UNLOCK_METHOD: 'DELETE',
      TF_HTTP_USERNAME: 'gitlab-ci-token',
      TF_HTTP_PASSWORD: '${CI_JOB_TOKEN}',
      TF_HTTP_RETRY_WAIT_MIN: '5',
    },
  );
});

test('jobs that run the portcullis CLI use the project image, tagged with the package version', () => {
  const cliJobs = [...ci.jobs].filter(([, j]) => runsCommand(j, 'portcullis'));
  assert.deepEqual(cliJobs.map(([name]) => name), ['compliance', 'consistency']);
  for (const [name, j] of cliJobs) {
    assert.deepEqual(j.image, { name: '$PORTCULLIS_IMAGE', entrypoint: [''] }, name);
  }
  const { version } = JSON.parse(read('package.json')) as { version: string };
  assert.equal(ci.variables.PORTCULLIS_IMAGE, `\${CI_REGISTRY_IMAGE}:${version}`);
});

test('plan saves tfplan and renders it as plan.txt and plan.json', () => {
  const plan = job(ci, 'plan');
  const script = scriptLines(plan);
  assert.ok(script.some((line) => / plan .*-out="\$CI_PROJECT_DIR\/tfplan"/.test(line)), script.join('\n'));
  assert.ok(script.includes('terraform -chdir="$TF_ROOT" show -no-color "$CI_PROJECT_DIR/tfplan" > plan.txt'));
  assert.ok(script.includes('terraform -chdir="$TF_ROOT" show -json "$CI_PROJECT_DIR/tfplan" > plan.json'));
  for (const file of ['tfplan', 'plan.txt', 'plan.json']) assert.ok(artifactPaths(plan).includes(file), `plan keeps ${file}`);
});

test('compliance judges plan.json and keeps both reports, also when it denies', () => {
  const compliance = job(ci, 'compliance');
  assert.deepEqual(needsOf(compliance), ['plan']);
  const script = scriptLines(compliance);
  assert.ok(script.some((line) => line.startsWith('portcullis compliance --plan plan.json --format json --out compliance.json')));
  assert.ok(script.some((line) => line.startsWith('portcullis compliance --plan plan.json --format text --out compliance.txt')));
  assert.deepEqual(artifactPaths(compliance), ['compliance.json', 'compliance.txt']);
  assert.equal((compliance.artifacts as { when: string }).when, 'always', 'a denied plan still shows its report');
});

test('deploy waits for a person, blocks the pipeline, never overlaps and applies the saved plan', () => {
  const deploy = job(ci, 'deploy');
  assert.equal(deploy.when, 'manual');
  assert.equal(deploy.allow_failure, false, 'a manual job that may fail would let the pipeline pass unapproved');
  assert.equal(deploy.resource_group, 'terraform-$TF_STATE_NAME');
  // A protected environment is how GitLab limits who may play it to the bot's user.
  assert.deepEqual(deploy.environment, { name: 'firewall/$TF_STATE_NAME', deployment_tier: 'production', action: 'start' });
  assert.deepEqual(needsOf(deploy).sort(), ['compliance', 'plan']);
  assert.ok(scriptLines(deploy).includes('terraform -chdir="$TF_ROOT" apply -input=false "$CI_PROJECT_DIR/tfplan"'));
});

test('each file a job reads comes from a job it needs', () => {
  const reads: Record<string, string[]> = { compliance: ['plan.json'], deploy: ['tfplan'] };
  for (const [name, files] of Object.entries(reads)) {
    const consumer = job(ci, name);
    const available = needsOf(consumer).flatMap((need) => artifactPaths(job(ci, need)));
    for (const file of files) {
      assert.ok(scriptLines(consumer).some((line) => line.includes(file)), `${name} reads ${file}`);
      assert.ok(available.includes(file), `${name} needs a job that keeps ${file}`);
    }
  }
});

test('rules come from git only: no -target, no -var, no rule in a pipeline variable', () => {
  for (const [name, j] of ci.jobs) {
    for (const line of scriptLines(j)) assert.doesNotMatch(line, /\s-(target|var|var-file)[=\s]/, `${name}: ${line}`);
  }
  assert.deepEqual(mentions(ci.variables, /^TF_VAR_/), []);
});

test('verify checks consistency with a JUnit report, after deploy', () => {
  const consistency = job(ci, 'consistency');
  assert.deepEqual(needsOf(consistency), ['deploy']);
  assert.ok(scriptLines(consistency).some((line) => line.startsWith('portcullis consistency ') && line.includes('--junit consistency.xml')));
  assert.deepEqual((consistency.artifacts as { reports: unknown }).reports, { junit: 'consistency.xml' });
});

test('verify runs the service checks as the child pipeline on disk, and fails with it', () => {
  const trigger = job(ci, 'service-checks');
  assert.deepEqual(needsOf(trigger), ['deploy']);
  assert.equal(typeof (trigger.variables as Record<string, unknown>).SERVICE_CHECK_GROUP, 'string');
  assert.equal((trigger.variables as Record<string, unknown>).SERVICE_CHECK_GROUPS_FILE, 'terraform/groups.json', 'HTTPS is checked by the service host in groups.json');
  assert.ok(existsSync(new URL('terraform/groups.json', ROOT)));
  const { include, strategy } = trigger.trigger as { include: Array<{ local: string }>; strategy: string };
  assert.equal(strategy, 'depend', 'a failed check fails the parent pipeline');
  assert.deepEqual(include, [{ local: 'terraform/ci/service-checks.yml' }]);
  assert.ok(existsSync(new URL(include[0]!.local, ROOT)), 'the child pipeline file exists');
});

test('the child pipeline runs check-services for the group and reports JUnit, also on failure', () => {
  const child = parseCi(read('terraform/ci/service-checks.yml'));
  assert.deepEqual(structureProblems(child), []);
  const checks = job(child, 'service-checks');
  assert.ok(
    scriptLines(checks).includes('portcullis check-services --group "$SERVICE_CHECK_GROUP" ${SERVICE_CHECK_GROUPS_FILE:+--groups "$SERVICE_CHECK_GROUPS_FILE"} --junit service-checks.xml'),
    'the groups file is passed when the trigger names one',
  );
  assert.deepEqual(checks.image, { name: '$PORTCULLIS_IMAGE', entrypoint: [''] });
  assert.deepEqual(checks.artifacts, { when: 'always', reports: { junit: 'service-checks.xml' } });
});

test('the child passes --groups only when SERVICE_CHECK_GROUPS_FILE is set, as one argument', () => {
  const line = scriptLines(job(parseCi(read('terraform/ci/service-checks.yml')), 'service-checks')).find((l) => l.startsWith('portcullis check-services'))!;
  // The job's shell runs the line, with `portcullis` standing in to print its arguments.
  const argsWith = (groupsFile: string) =>
    execFileSync('sh', ['-c', `portcullis() { printf '[%s]' "$@"; }; ${line}`], { env: { SERVICE_CHECK_GROUP: 'sg-front', SERVICE_CHECK_GROUPS_FILE: groupsFile }, encoding: 'utf8' });
  assert.equal(argsWith('terraform/my groups.json'), '[check-services][--group][sg-front][--groups][terraform/my groups.json][--junit][service-checks.xml]');
  assert.equal(argsWith(''), '[check-services][--group][sg-front][--junit][service-checks.xml]');
});

test('no Slack secret or call anywhere in the pipeline: the bot hears GitLab webhooks', () => {
  assert.deepEqual(mentions(ci.document, /slack/i), []);
  assert.deepEqual(mentions(parseCi(read('terraform/ci/service-checks.yml')).document, /slack/i), []);
});

test('a request branch gets no push pipeline (the bot starts its one pipeline), other pushes do', () => {
  const ci = parseYaml(readFileSync(new URL('../../terraform/.gitlab-ci.yml', import.meta.url), 'utf8')) as { workflow: { rules: Array<{ if?: string; when: string }> } };
  const rules = ci.workflow.rules;
  const never = rules.filter((r) => r.when === 'never').map((r) => r.if ?? '');
  assert.ok(never.some((c) => c.includes('$CI_PIPELINE_SOURCE == "push"') && c.includes('^sg-request\\/')), JSON.stringify(never));
  assert.ok(never.some((c) => c.includes('merge_request_event')));
  assert.equal(rules.at(-1)?.when, 'always', 'every other pipeline runs');
});
