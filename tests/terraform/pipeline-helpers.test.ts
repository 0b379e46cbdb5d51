import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { artifactPaths, mentions, needsOf, parseCi, structureProblems } from './gitlab-ci.ts';

const broken = parseCi(readFileSync(new URL('./fixtures/broken-pipeline.yml', import.meta.url), 'utf8'));

test('the structure check names unknown stages and needs on missing or later jobs', () => {
  assert.deepEqual(structureProblems(broken), [
    'compile: needs "ship", which runs in the later stage "deploy"',
    'ship: needs "ghost", which is not a job',
    'publish: stage "release" is not in stages',
    'verify: stage "test" is not in stages',
  ]);
});

test('extends deep-merges hashes and replaces everything else, as GitLab does', () => {
  const pkg = broken.jobs.get('package')!;
  assert.equal(pkg.stage, 'build');
  assert.deepEqual(artifactPaths(pkg), ['out.bin', 'report.xml']);
  assert.deepEqual(needsOf(broken.jobs.get('ship')!), ['compile', 'package', 'ghost']);
  assert.ok(!broken.jobs.has('.base'), 'templates are not jobs');
});

test('mentions finds a word in keys and values, wherever they sit', () => {
  assert.deepEqual(mentions(broken.document, /slack/i), ['.base.variables.SLACK_WEBHOOK_URL', 'ship.script.0']);
});
