/**
 * The GitLab adapter against the GitLab fake (the real gitbeaker on the wire): every
 * VcsPort method, errors as VcsError, no blind retry of writes, bounded reads.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { Gitlab } from '@gitbeaker/rest';
import type { VcsPort } from '../../src/core/ports.ts';
import { parseRuleFile, serializeRuleFile } from '../../src/domain/rule.ts';
import { startGitLabFake, type GitLabFake } from '../../src/fakes/gitlab/index.ts';
import { createGitLabVcs } from '../../src/gitlab/client.ts';
import { VcsError } from '../../src/gitlab/errors.ts';
import { summarizePlan } from '../../src/plan/summary.ts';
import { startLocalServer } from './local-server.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FAST = { baseDelayMs: 5, maxDelayMs: 20 };

let gitlab: GitLabFake;
let setup: InstanceType<typeof Gitlab>;
let vcs: VcsPort;
/** A pipeline of the real CI file, waiting on its manual deploy job. */
let waiting: { pipelineId: number; sha: string; branch: string };

before(async () => {
  gitlab = await startGitLabFake({ seed: { dir: REPO_ROOT }, jobDurationMs: 5 });
  setup = new Gitlab({ host: gitlab.url, token: gitlab.token });
  vcs = createGitLabVcs({ url: gitlab.url, token: gitlab.token, project: gitlab.projectPath, policy: FAST });
  waiting = await manualPipeline('sg-request/REQ-700', '203.0.113.7/32');
});

after(() => gitlab.close());

async function manualPipeline(branch: string, cidr: string) {
  const id = branch.split('/').pop()!;
  const rule = { id, group: 'sg-front', protocol: 'tcp', from_port: 443, to_port: 443, cidr, description: 'partner API', requester: 'U0123' };
  const sha = gitlab.driver.push(branch, { [`terraform/rules/${id}.json`]: serializeRuleFile(parseRuleFile(JSON.stringify(rule))) });
  const pipeline = await setup.Pipelines.create(gitlab.projectId, branch);
  await gitlab.driver.waitForPipeline(pipeline.id, 'manual');
  return { pipelineId: pipeline.id, sha, branch };
}

async function jobsByName(pipelineId: number) {
  return new Map((await vcs.listPipelineJobs(pipelineId)).map((j) => [j.name, j]));
}

function isVcsError(code: VcsError['code'], status: number | null, message: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof VcsError, `expected a VcsError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.status, status);
    assert.match(err.message, message);
    return true;
  };
}

const playRequests = (jobId: number) => gitlab.driver.requests().filter((r) => r.method === 'POST' && r.path.endsWith(`/jobs/${jobId}/play`));

test('getPipeline and listPipelineJobs map GitLab entities; bridges are not jobs', async () => {
  const pipeline = await vcs.getPipeline(waiting.pipelineId);
  assert.deepEqual(
    { ...pipeline, webUrl: undefined },
    { id: waiting.pipelineId, ref: waiting.branch, sha: waiting.sha, status: 'manual', source: 'api', webUrl: undefined },
  );
  assert.match(pipeline.webUrl, new RegExp(`/-/pipelines/${waiting.pipelineId}$`));

  const jobs = await jobsByName(waiting.pipelineId);
  assert.equal(jobs.get('plan')?.status, 'success');
  assert.equal(jobs.get('plan')?.stage, 'plan');
  assert.equal(jobs.get('plan')?.failureReason, null);
  assert.equal(jobs.get('deploy')?.status, 'manual');
  assert.match(jobs.get('deploy')!.webUrl, /\/-\/jobs\/\d+$/);
  assert.equal(jobs.has('service-checks'), false, 'the trigger job is a bridge');
});

test('listPipelineJobs asks for 100 jobs a page and lists only the latest attempt of a retried job', async () => {
  const jobs = await jobsByName(waiting.pipelineId);
  const retried = await setup.Jobs.retry(gitlab.projectId, jobs.get('fmt')!.id);
  const after = await vcs.listPipelineJobs(waiting.pipelineId);
  assert.deepEqual(after.filter((j) => j.name === 'fmt').map((j) => j.id), [retried.id]);
  assert.equal(after.length, jobs.size);
  const pages = gitlab.driver.requests().filter((r) => r.path.endsWith(`/pipelines/${waiting.pipelineId}/jobs`));
  assert.match(pages.at(-1)!.query, /per_page=100/);
});

test('a failed job carries its failure reason', async () => {
  gitlab.driver.scriptJob('validate', { fail: 'Error: Invalid reference' });
  try {
    gitlab.driver.push('sg-request/REQ-701', { 'README.md': 'changed\n' });
    const pipeline = await setup.Pipelines.create(gitlab.projectId, 'sg-request/REQ-701');
    await gitlab.driver.waitForPipeline(pipeline.id, 'failed');
    const validate = (await jobsByName(pipeline.id)).get('validate')!;
    assert.equal(validate.status, 'failed');
    assert.equal(validate.failureReason, 'script_failure');
    assert.match(await vcs.jobLogTail(validate.id, 50), /Error: Invalid reference/);
  } finally {
    gitlab.driver.clearJobScripts();
  }
});

test('branchHead is the commit a branch points at, null for no such branch', async () => {
  assert.equal(await vcs.branchHead(waiting.branch), waiting.sha);
  assert.equal(await vcs.branchHead('sg-request/never-pushed'), null);
});

test('readArtifact returns plan.json and compliance.json as JSON text, plan.txt and binary tfplan as text, null when missing', async () => {
  const jobs = await jobsByName(waiting.pipelineId);
  const plan = JSON.parse((await vcs.readArtifact(jobs.get('plan')!.id, 'plan.json'))!) as { format_version: string; resource_changes: Array<{ address: string }> };
  assert.equal(plan.format_version, '1.2');
  assert.ok(plan.resource_changes.some((c) => c.address === 'aws_vpc_security_group_ingress_rule.rule["REQ-700"]'));
  const report = JSON.parse((await vcs.readArtifact(jobs.get('compliance')!.id, 'compliance.json'))!) as { compliant: boolean };
  assert.equal(report.compliant, true);
  assert.match((await vcs.readArtifact(jobs.get('plan')!.id, 'plan.txt'))!, /# aws_vpc_security_group_ingress_rule\.rule\["REQ-700"\] will be created/);
  assert.equal(typeof (await vcs.readArtifact(jobs.get('plan')!.id, 'tfplan')), 'string');

  assert.equal(await vcs.readArtifact(jobs.get('plan')!.id, 'no-such.json'), null, 'a path the job does not have');
  assert.equal(await vcs.readArtifact(jobs.get('deploy')!.id, 'plan.json'), null, 'a job without artifacts');
});

test('readArtifact decodes plan.json by byte-order mark: UTF-16 from PowerShell and UTF-8 with a BOM read as the plan', async () => {
  const text = await readFile(new URL('../fixtures/plans/sgr-computed-source.json', import.meta.url), 'utf8');
  const bodies: Record<string, Buffer> = {
    'utf16.json': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]),
    'utf8bom.json': Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]),
  };
  // GitLab names the content type after the file's extension: application/json for plan.json.
  const server = await startLocalServer((req, res) => {
    const name = req.url!.split('/').pop()!;
    res.writeHead(200, { 'content-type': 'application/json' }).end(bodies[name]);
  });
  try {
    const local = createGitLabVcs({ url: server.url, token: 'glpat-x', project: 1, policy: FAST });
    for (const name of Object.keys(bodies)) {
      const read = await local.readArtifact(42, name);
      assert.equal(read, text, name);
      assert.equal(summarizePlan(JSON.parse(read!)).rules[0]!.source, '0.0.0.0/0');
    }
    assert.deepEqual(server.hits, ['GET /api/v4/projects/1/jobs/42/artifacts/utf16.json', 'GET /api/v4/projects/1/jobs/42/artifacts/utf8bom.json']);
  } finally {
    await server.close();
  }
});

test('jobLogTail returns the last lines of the log', async () => {
  const planJob = (await jobsByName(waiting.pipelineId)).get('plan')!;
  const tail = await vcs.jobLogTail(planJob.id, 2);
  const lines = tail.split('\n');
  assert.equal(lines.length, 2);
  assert.equal(lines[1], 'Job succeeded');
  assert.equal(await vcs.jobLogTail(planJob.id, 0), '');
});

test('playing a job that is not manual is refused with GitLab words and the action', async () => {
  const compliance = (await jobsByName(waiting.pipelineId)).get('compliance')!;
  await assert.rejects(vcs.playJob(compliance.id), isVcsError('GITLAB_REFUSED', 400, new RegExp(`^playing job ${compliance.id}: 400 Bad request - Unplayable Job$`)));
});

test('a 429 on play is reported at once and not retried; the next play works', async () => {
  const { pipelineId } = await manualPipeline('sg-request/REQ-702', '203.0.113.8/32');
  const deploy = (await jobsByName(pipelineId)).get('deploy')!;
  gitlab.driver.rateLimitNext(1, { path: `/jobs/${deploy.id}/play`, retryAfterSeconds: 0 });
  const started = Date.now();
  await assert.rejects(vcs.playJob(deploy.id), isVcsError('GITLAB_UNAVAILABLE', 429, new RegExp(`^playing job ${deploy.id}: 429 Retry later$`)));
  assert.ok(Date.now() - started < 1000);
  assert.deepEqual(playRequests(deploy.id).map((r) => r.status), [429], 'one play request, no retry');

  const played = await vcs.playJob(deploy.id);
  assert.equal(played.name, 'deploy');
  assert.equal(played.status, 'pending');
  assert.deepEqual(playRequests(deploy.id).map((r) => r.status), [429, 200]);
});

test('a 429 on a read is retried within the budget; past the retries it is reported', async () => {
  const warnings: unknown[] = [];
  const logged = createGitLabVcs({ url: gitlab.url, token: gitlab.token, project: gitlab.projectId, policy: FAST, logger: { warn: (obj: unknown) => void warnings.push(obj) } });
  gitlab.driver.rateLimitNext(1, { path: `/pipelines/${waiting.pipelineId}`, retryAfterSeconds: 0 });
  const before = gitlab.driver.requests().length;
  assert.equal((await logged.getPipeline(waiting.pipelineId)).status, 'manual');
  assert.deepEqual(gitlab.driver.requests().slice(before).map((r) => `${r.method} ${r.status}`), ['GET 429', 'GET 200']);
  assert.deepEqual(warnings, [
    { gitlab: { method: 'GET', endpoint: `projects/${gitlab.projectId}/pipelines/${waiting.pipelineId}`, attempt: 2, status: 429, reason: 'Retry later', delayMs: 0 } },
  ]);

  gitlab.driver.rateLimitNext(3, { path: `/pipelines/${waiting.pipelineId}`, retryAfterSeconds: 0 });
  await assert.rejects(vcs.getPipeline(waiting.pipelineId), isVcsError('GITLAB_UNAVAILABLE', 429, /^reading pipeline \d+: 429 Retry later$/));
  assert.equal(gitlab.driver.requests().length - before, 2 + 3, 'the first attempt and two retries');
});

test('merge requests: none, found, merged with its sha, a moved branch refused, closed', async () => {
  assert.equal(await vcs.findMergeRequest(waiting.branch), null);
  const created = await setup.MergeRequests.create(gitlab.projectId, waiting.branch, 'main', 'REQ-700');
  const found = await vcs.findMergeRequest(waiting.branch);
  assert.deepEqual({ ...found, webUrl: undefined }, { iid: created.iid, state: 'opened', sha: waiting.sha, webUrl: undefined });
  assert.match(found!.webUrl, new RegExp(`/-/merge_requests/${created.iid}$`));

  await assert.rejects(vcs.mergeMergeRequest(created.iid, '0'.repeat(40)), isVcsError('GITLAB_REFUSED', 409, /^merging merge request !\d+: 409 SHA does not match HEAD of source branch/));
  await vcs.mergeMergeRequest(created.iid, waiting.sha);
  assert.equal((await vcs.findMergeRequest(waiting.branch))?.state, 'merged');

  gitlab.driver.push('sg-request/REQ-703', { 'README.md': 'another\n' });
  const other = await setup.MergeRequests.create(gitlab.projectId, 'sg-request/REQ-703', 'main', 'REQ-703');
  await vcs.closeMergeRequest(other.iid);
  assert.equal((await vcs.findMergeRequest('sg-request/REQ-703'))?.state, 'closed');
  await assert.rejects(vcs.closeMergeRequest(9999), isVcsError('GITLAB_REFUSED', 404, /^closing merge request !9999: 404/));
});

test('cancelPipeline cancels; listBranchPipelines lists newest first', async () => {
  gitlab.driver.push('sg-request/REQ-704', { 'README.md': 'four\n' });
  const first = await setup.Pipelines.create(gitlab.projectId, 'sg-request/REQ-704');
  const second = await setup.Pipelines.create(gitlab.projectId, 'sg-request/REQ-704');
  await vcs.cancelPipeline(second.id);
  assert.equal((await vcs.getPipeline(second.id)).status, 'canceled');
  const listed = await vcs.listBranchPipelines('sg-request/REQ-704');
  assert.deepEqual(listed.map((p) => p.id), [second.id, first.id]);
  assert.deepEqual(await vcs.listBranchPipelines('sg-request/nothing'), []);
  await assert.rejects(vcs.getPipeline(999_999), isVcsError('GITLAB_REFUSED', 404, /^reading pipeline 999999: 404/));
});

test('a GitLab that never answers is GITLAB_UNAVAILABLE within the time limit', async () => {
  const silent = await startLocalServer();
  try {
    const slow = createGitLabVcs({ url: silent.url, token: 'glpat-secret-value', project: 1, policy: { ...FAST, timeoutMs: 300 } });
    const started = Date.now();
    await assert.rejects(slow.getPipeline(1), isVcsError('GITLAB_UNAVAILABLE', null, /^reading pipeline 1: no answer from GitLab within 300 ms$/));
    await assert.rejects(slow.playJob(7), isVcsError('GITLAB_UNAVAILABLE', null, /^playing job 7: no answer/));
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    assert.deepEqual(silent.hits, ['GET /api/v4/projects/1/pipelines/1', 'POST /api/v4/projects/1/jobs/7/play'], 'a timed-out call is not retried');
  } finally {
    await silent.close();
  }
});

test('a 502 is retried on reads, sent once on writes, and no message carries the token', async () => {
  const token = 'glpat-do-not-print-me';
  const broken = await startLocalServer((_req, res) => {
    res.writeHead(502, { 'content-type': 'text/html' }).end(`<html>bad gateway ${token}</html>`);
  });
  try {
    const flaky = createGitLabVcs({ url: broken.url, token, project: 'portcullis/firewall', policy: FAST });
    const errors: unknown[] = [];
    await flaky.listPipelineJobs(3).catch((e: unknown) => errors.push(e));
    assert.equal(broken.hits.length, 3, 'a read: the first attempt and two retries');
    assert.equal(broken.hits[0], 'GET /api/v4/projects/portcullis%2Ffirewall/pipelines/3/jobs?per_page=100');
    await flaky.cancelPipeline(3).catch((e: unknown) => errors.push(e));
    assert.equal(broken.hits.length, 4, 'a write: once');
    for (const err of errors) {
      isVcsError('GITLAB_UNAVAILABLE', 502, /: 502 <html>bad gateway \[redacted\]<\/html>$/)(err);
      assert.ok(!JSON.stringify({ ...(err as object), message: (err as Error).message, stack: (err as Error).stack }).includes(token));
    }
  } finally {
    await broken.close();
  }
});

test('a refused connection is GITLAB_UNAVAILABLE naming the cause', async () => {
  const gone = await startLocalServer();
  await gone.close();
  const unreachable = createGitLabVcs({ url: gone.url, token: 'glpat-x', project: 1, policy: FAST });
  await assert.rejects(unreachable.branchHead('main'), isVcsError('GITLAB_UNAVAILABLE', null, /^reading branch main: cannot reach GitLab: ECONNREFUSED$/));
});

test('who changed a branch: the bot itself, the pipeline\'s user with its public email, the commits not on the default branch', async () => {
  const me = await vcs.botUser();
  assert.deepEqual([me.username, me.email], ['portcullis-bot', 'portcullis-bot@noreply.gitlab.example']);
  const token = gitlab.driver.addUser({ username: 'erin', name: 'Erin Pusher', email: 'erin@example.test' });
  const hidden = gitlab.driver.addUser({ username: 'frank', name: 'Frank Private', email: 'frank@example.test', publicEmail: false });
  const erin = new Gitlab({ host: gitlab.url, token });
  const branch = 'people/erin';
  await erin.Branches.create(gitlab.projectId, branch, 'main');
  await erin.Commits.create(gitlab.projectId, branch, 'erin edits', [{ action: 'create', filePath: 'NOTE.md', content: 'x' }]);
  gitlab.driver.push(branch, { 'NOTE2.md': 'y' }, 'by another', { name: 'Gus', email: 'gus@example.test' });
  const byErin = await erin.Pipelines.create(gitlab.projectId, branch);
  const byFrank = await new Gitlab({ host: gitlab.url, token: hidden }).Pipelines.create(gitlab.projectId, branch);
  assert.deepEqual(await vcs.pipelineUser(byErin.id), { id: (byErin.user as { id: number }).id, username: 'erin', name: 'Erin Pusher', email: 'erin@example.test' });
  assert.equal((await vcs.pipelineUser(byFrank.id))?.email, null, 'no public email: none');
  const commits = await vcs.commitsNotOnDefault(byErin.sha);
  assert.deepEqual(commits.map((c) => c.authorEmail).sort(), ['erin@example.test', 'gus@example.test'], 'only the branch\'s own commits');
  assert.deepEqual(await vcs.commitsNotOnDefault((await vcs.branchHead('main'))!), []);
});
