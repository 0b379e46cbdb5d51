/** The VcsPort calls that record a request in git, against the GitLab fake. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startAwsFake, type AwsFake } from '../../src/fakes/aws/index.ts';
import { startGitLabFake, type GitLabFake } from '../../src/fakes/gitlab/index.ts';
import { createGitLabVcs } from '../../src/gitlab/client.ts';
import type { VcsPort } from '../../src/core/ports.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
let aws: AwsFake;
let gitlab: GitLabFake;
let vcs: VcsPort;

before(async () => {
  aws = await startAwsFake();
  gitlab = await startGitLabFake({ seed: { dir: REPO_ROOT }, ec2: aws.driver, jobDurationMs: 2 });
  vcs = createGitLabVcs({ url: gitlab.url, token: gitlab.token, project: gitlab.projectPath });
});
after(async () => {
  await gitlab.close();
  await aws.close();
});

test('a branch, a commit, a merge request and a pipeline, then the files and the state they leave', async () => {
  assert.equal(await vcs.defaultBranch(), 'main');
  await vcs.createBranch('sg-request/REQ-5', 'main');
  const rule = '{"id":"REQ-5"}\n';
  const { sha } = await vcs.commitFiles('sg-request/REQ-5', 'REQ-5: test', [{ action: 'create', path: 'terraform/rules/REQ-5.json', content: rule }]);
  assert.equal(await vcs.branchHead('sg-request/REQ-5'), sha);
  assert.equal(await vcs.readFile(sha, 'terraform/rules/REQ-5.json'), rule);
  const mr = await vcs.createMergeRequest({ sourceBranch: 'sg-request/REQ-5', targetBranch: 'main', title: 'REQ-5: test', description: 'why' });
  assert.equal(mr.state, 'opened');
  const pipeline = await vcs.createPipeline('sg-request/REQ-5');
  assert.equal(pipeline.sha, sha);
  assert.deepEqual(await vcs.listFiles('main', 'terraform/rules'), ['terraform/rules/REQ-1.json']);
  assert.deepEqual((await vcs.listFiles(sha, 'terraform/rules')).sort(), ['terraform/rules/REQ-1.json', 'terraform/rules/REQ-5.json']);
  assert.deepEqual(await vcs.listFiles('main', 'no/such/dir'), []);
  assert.equal(await vcs.terraformState('portcullis'), null, 'nothing deployed yet');
  // A state GitLab knows without a file yet (locked before the first write) answers 204.
  const lock = { ID: 'lock-1', Operation: 'OperationTypeApply', Info: '', Who: 'ci@runner', Version: '1.9.8', Created: new Date().toISOString(), Path: '' };
  const locked = await fetch(`${gitlab.url}/api/v4/projects/${gitlab.projectId}/terraform/state/empty/lock`, { method: 'POST', headers: { 'private-token': gitlab.token, 'content-type': 'application/json' }, body: JSON.stringify(lock) });
  assert.equal(locked.status, 200);
  assert.equal(await vcs.terraformState('empty'), null, 'a state without a file is none');
  gitlab.driver.deployBranch();
  // Served as application/octet-stream, as GitLab does: the text of the file, not "{}".
  const state = JSON.parse((await vcs.terraformState('portcullis'))!) as { version: number; resources: unknown[] };
  assert.equal(state.version, 4);
  assert.ok(state.resources.length > 0);
});

test('a second branch of the same name is refused with GitLab\'s reason', async () => {
  await assert.rejects(vcs.createBranch('sg-request/REQ-5', 'main'), (err: Error & { code?: string }) => err.code === 'GITLAB_REFUSED' && /creating branch sg-request\/REQ-5: 400/.test(err.message));
});
