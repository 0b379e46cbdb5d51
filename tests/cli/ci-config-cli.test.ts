/**
 * `portcullis ci-config`: the per-environment pipeline from the shipped single one, and
 * bad input refused with exit 2 on one line.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../src/fakes/all.ts';
import { runCli } from '../helpers/cli.ts';
import { environmentsFileText } from '../helpers/two-accounts.ts';

let dir: string;
let envFile: string;
const base = path.join(REPO_ROOT, 'terraform/.gitlab-ci.yml');

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portcullis-ci-config-'));
  envFile = path.join(dir, 'envs.yaml');
  await writeFile(envFile, environmentsFileText({ staging: ['U0STAGE'], production: ['U0PROD'] }));
});
after(() => rm(dir, { recursive: true, force: true }));

test('each environment gets its own jobs, state, account and resource group; the shared jobs stay', async () => {
  const out = path.join(dir, 'pipeline.yml');
  const { code } = await runCli('ci-config', '--environments', envFile, '--base', base, '--default-branch', 'trunk', '--out', out);
  assert.equal(code, 0);
  const doc = parse(await readFile(out, 'utf8'), { merge: true }) as Record<string, any>;
  for (const shared of ['prepare', 'fmt', 'validate']) assert.ok(doc[shared], shared);
  for (const gone of ['plan', 'compliance', 'deploy', 'consistency', 'service-checks']) assert.equal(doc[gone], undefined, `no unconditioned ${gone}`);
  const deploy = doc['deploy:staging'];
  assert.deepEqual(deploy.needs, ['plan:staging', 'compliance:staging']);
  assert.equal(deploy.resource_group, 'terraform-portcullis-staging');
  assert.equal(deploy.environment.name, 'firewall/portcullis-staging');
  assert.equal(deploy.when, undefined, 'when is the rule\'s');
  assert.deepEqual(deploy.rules, [{ changes: { paths: ['terraform/environments/staging/**/*'], compare_to: 'refs/heads/trunk' }, when: 'manual', allow_failure: false }]);
  assert.equal(doc['plan:production'].variables.TF_VAR_aws_account_id, '222222222222');
  assert.equal(doc['plan:production'].variables.TF_STATE_NAME, 'portcullis-production');
  assert.match(doc['plan:production'].variables.TF_HTTP_ADDRESS, /\/terraform\/state\/portcullis-production$/);
  assert.match(doc['consistency:production'].script.join('\n'), /--rules terraform\/environments\/production\/rules/);
  assert.equal(doc['service-checks:production'].variables.SERVICE_CHECK_GROUPS_FILE, 'terraform/environments/production/groups.json');
});

test('a bad environments file, a missing option and a bad branch name are exit 2 on one line', async () => {
  await writeFile(path.join(dir, 'bad.yaml'), 'environments:\n  Prod: {}\n');
  for (const args of [['--environments', path.join(dir, 'bad.yaml')], [], ['--environments', envFile, '--default-branch', 'a..b'], ['--environments', path.join(dir, 'none.yaml')]]) {
    const { code, stderr } = await runCli('ci-config', '--base', base, ...args);
    assert.equal(code, 2, args.join(' '));
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
  }
});
