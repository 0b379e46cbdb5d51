/**
 * REST conventions of the GitLab fake as the real @gitbeaker/rest sees them: auth,
 * project paths, error shapes, commits with conflicts, merge refusals, pagination,
 * 429 retries, Terraform state locking.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Gitlab } from '@gitbeaker/rest';
import { startGitLabFake, type GitLabFake } from '../../src/fakes/gitlab/index.ts';
import { MINIMAL_CI_FILE } from '../helpers/ci-files.ts';

let gitlab: GitLabFake;
let api: InstanceType<typeof Gitlab>;
let pid: number;

const CI_FILE = MINIMAL_CI_FILE;

before(async () => {
  gitlab = await startGitLabFake({
    seed: { files: { 'terraform/.gitlab-ci.yml': CI_FILE, 'README.md': 'hello\n' } },
    jobDurationMs: 2,
  });
  api = new Gitlab({ host: gitlab.url, token: gitlab.token });
  pid = gitlab.projectId;
});

after(() => gitlab.close());

/** The error gitbeaker throws, with GitLab's status. */
function gitlabError(status: number, message: string | RegExp) {
  return (err: Error & { cause?: { response?: Response } }) => {
    assert.equal(err.cause?.response?.status, status);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  };
}

test('a wrong token gets 401 with GitLab body; PRIVATE-TOKEN and Bearer both work', async () => {
  const wrong = new Gitlab({ host: gitlab.url, token: 'glpat-wrong' });
  await assert.rejects(wrong.Projects.show(pid), gitlabError(401, '401 Unauthorized'));
  const bearer = new Gitlab({ host: gitlab.url, oauthToken: gitlab.token });
  assert.equal((await bearer.Projects.show(pid)).path_with_namespace, gitlab.projectPath);
});

test('a project is found by its URL-encoded path as well as its id', async () => {
  const project = await api.Projects.show(gitlab.projectPath);
  assert.equal(project.id, pid);
  assert.equal(project.default_branch, 'main');
  const last = gitlab.driver.requests().at(-1)!;
  assert.equal(last.path, `/projects/${encodeURIComponent(gitlab.projectPath)}`);
  await assert.rejects(api.Projects.show('nobody/nothing'), gitlabError(404, '404 Project Not Found'));
});

test('branches and files answer with GitLab entities and 404 messages', async () => {
  await api.Branches.create(pid, 'feature/a', 'main');
  await assert.rejects(api.Branches.create(pid, 'feature/a', 'main'), gitlabError(400, 'Branch already exists'));
  await assert.rejects(api.Branches.create(pid, 'feature/b', 'no-such-ref'), gitlabError(400, 'Invalid reference name: no-such-ref'));
  await assert.rejects(api.Branches.show(pid, 'nope'), gitlabError(404, '404 Branch Not Found'));
  const file = await api.RepositoryFiles.show(pid, 'README.md', 'feature/a');
  assert.equal(file.encoding, 'base64');
  assert.equal(Buffer.from(file.content, 'base64').toString(), 'hello\n');
  assert.equal(await api.RepositoryFiles.showRaw(pid, 'README.md', 'main'), 'hello\n');
  await assert.rejects(api.RepositoryFiles.show(pid, 'missing.txt', 'main'), gitlabError(404, '404 File Not Found'));
  await api.Branches.remove(pid, 'feature/a');
  await assert.rejects(api.Branches.show(pid, 'feature/a'), gitlabError(404, '404 Branch Not Found'));
});

test('commit actions create, update, move and delete; a stale last_commit_id is refused', async () => {
  const first = await api.Commits.create(pid, 'edit', 'Add notes', [{ action: 'create', filePath: 'docs/a.md', content: 'one\n' }], { startBranch: 'main' });
  assert.deepEqual(first.parent_ids, [(await api.Branches.show(pid, 'main')).commit.id]);
  const second = await api.Commits.create(pid, 'edit', 'Edit and move', [
    { action: 'update', filePath: 'docs/a.md', content: 'two\n', lastCommitId: first.id },
    { action: 'move', filePath: 'docs/b.md', previousPath: 'README.md' },
  ]);
  assert.equal(await api.RepositoryFiles.showRaw(pid, 'docs/a.md', 'edit'), 'two\n');
  assert.equal(await api.RepositoryFiles.showRaw(pid, 'docs/b.md', second.id), 'hello\n');
  await assert.rejects(
    api.Commits.create(pid, 'edit', 'Stale edit', [{ action: 'update', filePath: 'docs/a.md', content: 'three\n', lastCommitId: first.id }]),
    gitlabError(400, 'The file has changed since you started editing it: docs/a.md'),
  );
  await assert.rejects(
    api.Commits.create(pid, 'edit', 'Twice', [{ action: 'create', filePath: 'docs/a.md', content: 'x' }]),
    gitlabError(400, 'A file with this name already exists'),
  );
  await api.Commits.create(pid, 'edit', 'Delete', [{ action: 'delete', filePath: 'docs/a.md' }]);
  await assert.rejects(api.RepositoryFiles.show(pid, 'docs/a.md', 'edit'), gitlabError(404, '404 File Not Found'));
});

test('merge requests: 409 on a SHA mismatch, merge, then 405 once merged; close and reopen; notes', async () => {
  const head = await api.Commits.create(pid, 'mr-branch', 'Change', [{ action: 'create', filePath: 'mr.txt', content: 'x\n' }], { startBranch: 'main' });
  const mr = await api.MergeRequests.create(pid, 'mr-branch', 'main', 'A change');
  await assert.rejects(
    api.MergeRequests.create(pid, 'mr-branch', 'main', 'Again'),
    gitlabError(409, JSON.stringify([`Another open merge request already exists for this source branch: !${mr.iid}`])),
  );
  const note = await api.MergeRequestNotes.create(pid, mr.iid, 'Plan: 1 to add');
  await api.MergeRequestNotes.edit(pid, mr.iid, note.id, { body: 'Plan: 2 to add' });
  const notes = await api.MergeRequestNotes.all(pid, mr.iid);
  assert.deepEqual(notes.map((n) => n.body), ['Plan: 2 to add']);

  const closed = await api.MergeRequests.edit(pid, mr.iid, { stateEvent: 'close' });
  assert.equal(closed.state, 'closed');
  await assert.rejects(api.MergeRequests.merge(pid, mr.iid), gitlabError(405, '405 Method Not Allowed'));
  assert.equal((await api.MergeRequests.edit(pid, mr.iid, { stateEvent: 'reopen' })).state, 'opened');

  await assert.rejects(api.MergeRequests.merge(pid, mr.iid, { sha: '0'.repeat(40) }), gitlabError(409, `SHA does not match HEAD of source branch: ${head.id}`));
  const merged = await api.MergeRequests.merge(pid, mr.iid, { sha: head.id, shouldRemoveSourceBranch: true });
  assert.equal(merged.state, 'merged');
  assert.equal(await api.RepositoryFiles.showRaw(pid, 'mr.txt', 'main'), 'x\n');
  await assert.rejects(api.Branches.show(pid, 'mr-branch'), gitlabError(404, '404 Branch Not Found'));
  await assert.rejects(api.MergeRequests.merge(pid, mr.iid), gitlabError(405, '405 Method Not Allowed'));
});

test('lists are paginated with x-* headers and Link, and gitbeaker follows rel="next"', async () => {
  for (let i = 0; i < 25; i++) await api.Branches.create(pid, `bulk-${String(i).padStart(2, '0')}`, 'main');
  const total = (await api.Branches.all(pid, { perPage: 100 })).length;
  assert.ok(total >= 26);

  const all = await api.Branches.all(pid, { perPage: 10 });
  assert.equal(all.length, total, 'every page was fetched');
  assert.equal(new Set(all.map((b) => b.name)).size, total);

  const { paginationInfo } = await api.Branches.all(pid, { perPage: 10, page: 2, showExpanded: true });
  assert.equal(paginationInfo.current, 2);
  assert.equal(paginationInfo.next, 3);
  assert.equal(paginationInfo.previous, 1);
  assert.equal(paginationInfo.total, total);
  assert.equal(paginationInfo.totalPages, Math.ceil(total / 10));

  const raw = await fetch(`${gitlab.url}/api/v4/projects/${pid}/repository/branches?per_page=10`, { headers: { 'private-token': gitlab.token } });
  assert.equal(raw.headers.get('x-next-page'), '2');
  assert.match(raw.headers.get('link') ?? '', /<http:\/\/127\.0\.0\.1:\d+\/api\/v4\/projects\/1\/repository\/branches\?per_page=10&page=2>; rel="next"/);
});

test('a 429 with Retry-After is retried by gitbeaker and then succeeds', async () => {
  gitlab.driver.rateLimitNext(1, { path: `/projects/${pid}/pipelines`, retryAfterSeconds: 1 });
  const before = gitlab.driver.requests().length;
  const pipelines = await api.Pipelines.all(pid);
  assert.ok(Array.isArray(pipelines));
  const calls = gitlab.driver.requests().slice(before).filter((r) => r.path === `/projects/${pid}/pipelines`);
  assert.deepEqual(calls.map((c) => c.status), [429, 200]);
});

test('jobs: play only a waiting manual job, trace is text/plain, retry of a running job is forbidden', async () => {
  gitlab.driver.scriptJob('build', { durationMs: 300 });
  try {
    const pipeline = await api.Pipelines.create(pid, 'main');
    const build = (await api.Jobs.all(pid, { pipelineId: pipeline.id })).find((j) => j.name === 'build')!;
    await waitForJob(build.id, 'running');
    await assert.rejects(api.Jobs.retry(pid, build.id), gitlabError(403, '403 Forbidden - Job is not retryable'));
    await assert.rejects(api.Jobs.play(pid, build.id), gitlabError(400, '400 Bad request - Unplayable Job'));
    const canceled = await api.Jobs.cancel(pid, build.id);
    assert.equal(canceled.status, 'canceled');
    assert.equal((await gitlab.driver.waitForPipeline(pipeline.id, 'canceled')).status, 'canceled');

    const raw = await fetch(`${gitlab.url}/api/v4/projects/${pid}/jobs/${build.id}/trace`, { headers: { 'private-token': gitlab.token } });
    assert.match(raw.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(raw.headers.get('content-disposition'), `infile; filename="${build.id}.log"`);
    assert.match(await raw.text(), /^Running with gitlab-runner/);
  } finally {
    gitlab.driver.clearJobScripts();
  }
});

test('creating a pipeline for an unknown ref is a 400 validation error', async () => {
  await assert.rejects(api.Pipelines.create(pid, 'no-such-branch'), gitlabError(400, JSON.stringify({ base: ['Reference not found'] })));
});

test('Terraform state: POST, GET raw bytes, and the lock answers 409 to another holder', async () => {
  const base = `${gitlab.url}/api/v4/projects/${pid}/terraform/state/test-state`;
  const basic = { authorization: `Basic ${Buffer.from(`gitlab-ci-token:${gitlab.token}`).toString('base64')}` };
  const lock = (id: string) => ({ ID: id, Operation: 'OperationTypeApply', Info: '', Who: 'ci@runner', Version: '1.9.8', Created: new Date().toISOString(), Path: '' });
  assert.equal((await fetch(base, { headers: basic })).status, 404);

  const taken = await fetch(`${base}/lock`, { method: 'POST', headers: { ...basic, 'content-type': 'application/json' }, body: JSON.stringify(lock('lock-a')) });
  assert.equal(taken.status, 200);
  const refused = await fetch(`${base}/lock`, { method: 'POST', headers: { ...basic, 'content-type': 'application/json' }, body: JSON.stringify(lock('lock-b')) });
  assert.equal(refused.status, 409);
  assert.equal(((await refused.json()) as { ID: string }).ID, 'lock-a');

  const body = JSON.stringify({ version: 4, serial: 1, lineage: 'l-1', terraform_version: '1.9.8', outputs: {}, resources: [], check_results: null });
  assert.equal((await fetch(`${base}?ID=lock-b`, { method: 'POST', headers: basic, body })).status, 409);
  assert.equal((await fetch(`${base}?ID=lock-a`, { method: 'POST', headers: basic, body })).status, 200);
  assert.equal((await fetch(`${base}/lock?ID=lock-b`, { method: 'DELETE', headers: basic })).status, 409);
  assert.equal((await fetch(`${base}/lock?ID=lock-a`, { method: 'DELETE', headers: basic })).status, 200);

  // GitLab serves the file as binary, not as JSON: gitbeaker hands it over as a Blob.
  const raw = await fetch(base, { headers: basic });
  assert.equal(raw.headers.get('content-type'), 'application/octet-stream');
  assert.equal(await raw.text(), body, 'the bytes as stored');
  const shown: unknown = await api.ProjectTerraformState.show(pid, 'test-state');
  assert.ok(shown instanceof Blob, `gitbeaker returned ${typeof shown}`);
  assert.equal((JSON.parse(await shown.text()) as { lineage: string }).lineage, 'l-1');
});

async function waitForJob(jobId: number, status: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while ((await api.Jobs.show(pid, jobId)).status !== status) {
    if (Date.now() > deadline) throw new Error(`job ${jobId} never became ${status}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
