/**
 * parseDelivery on the GitLab fake's real Pipeline and Job Hook payloads, and on bodies
 * that are broken, partial, from a child pipeline, or from a GitLab that knows statuses
 * or timestamp formats we do not. (GitLab's own documented payloads: tests/conformance/.)
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { Gitlab } from '@gitbeaker/rest';
import { startGitLabFake, type GitLabFake } from '../../src/fakes/gitlab/index.ts';
import { deliveryProject, hookName, parseDelivery, projectMatch, type GitLabEvent, type JobEvent, type PipelineEvent } from '../../src/gitlab/events.ts';
import { MINIMAL_CI_FILE } from '../helpers/ci-files.ts';

const CI_FILE = MINIMAL_CI_FILE;

let gitlab: GitLabFake;
let receiver: Server;
const received: Array<{ event: string; body: string }> = [];
let pipelineId: number;
let sha: string;

before(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ event: String(req.headers['x-gitlab-event']), body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  gitlab = await startGitLabFake({ seed: { files: { 'terraform/.gitlab-ci.yml': CI_FILE } }, jobDurationMs: 2 });
  gitlab.driver.addHook({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`, pipelineEvents: true, jobEvents: true, pushEvents: false });
  const api = new Gitlab({ host: gitlab.url, token: gitlab.token });
  const pipeline = await api.Pipelines.create(gitlab.projectId, 'main');
  pipelineId = pipeline.id;
  sha = pipeline.sha;
  await gitlab.driver.waitForPipeline(pipelineId, 'manual');
  // The receiver records a delivery before answering it: every one answered 200 is in `received`.
  await gitlab.driver.waitForDeliveries();
});

after(async () => {
  await gitlab.close();
  receiver.closeAllConnections();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

const parsedAll = () => received.map((r) => parseDelivery(r.event, r.body));

test('the fake\'s Pipeline Hooks become pipeline events', () => {
  const pipelines = parsedAll().filter((e): e is Extract<GitLabEvent, { kind: 'pipeline' }> => e?.kind === 'pipeline');
  assert.ok(pipelines.length >= 2);
  // Deliveries race each other on the wire, so find the one for "manual" rather than the last.
  const manual = pipelines.find((p) => p.status === 'manual')!;
  assert.deepEqual({ ...manual, createdAt: null }, { kind: 'pipeline', pipelineId, child: null, ref: 'main', sha, status: 'manual', source: 'api', projectId: gitlab.projectId, createdAt: null, finishedAt: null });
  assert.match(manual.createdAt!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/, 'the hook\'s "YYYY-MM-DD HH:MM:SS UTC" read as ISO');
});

test('the fake\'s Job Hooks become job events with the pipeline id', () => {
  const events = parsedAll();
  assert.ok(events.every((e) => e !== null), 'every real delivery parses');
  const jobs = events.filter((e): e is Extract<GitLabEvent, { kind: 'job' }> => e?.kind === 'job');
  const build = jobs.find((j) => j.name === 'build' && j.status === 'success')!;
  assert.equal(build.stage, 'build');
  assert.equal(build.pipelineId, pipelineId);
  assert.equal(build.ref, 'main');
  assert.equal(build.sha, sha);
  assert.equal(build.projectId, gitlab.projectId);
  assert.ok(Number.isInteger(build.jobId));
  assert.ok(jobs.some((j) => j.name === 'deploy' && j.status === 'manual'));
});

function realJobBody(): Record<string, any> {
  return JSON.parse(received.find((r) => r.event === 'Job Hook')!.body);
}

test('a job body without pipeline_id falls back to commit.id, which GitLab sets to the pipeline id', () => {
  const body = realJobBody();
  delete body.pipeline_id;
  assert.equal((parseDelivery('Job Hook', JSON.stringify(body)) as { pipelineId: number }).pipelineId, pipelineId);
  delete body.commit;
  assert.equal(parseDelivery('Job Hook', JSON.stringify(body)), null);
});

function realPipelineBody(): Record<string, any> {
  return JSON.parse(received.find((r) => r.event === 'Pipeline Hook')!.body);
}

test('statuses beyond ours collapse to a known meaning, never an error', () => {
  const job = realJobBody();
  const pipeline = realPipelineBody();
  const jobStatus = (value: unknown) => parseDelivery('Job Hook', JSON.stringify({ ...job, build_status: value }))?.status;
  const pipelineStatus = (value: unknown) => parseDelivery('Pipeline Hook', JSON.stringify({ ...pipeline, object_attributes: { ...pipeline.object_attributes, status: value } }))?.status;
  // An external service runs the job while GitLab waits for its callback: under way.
  assert.equal(jobStatus('waiting_for_callback'), 'running');
  assert.equal(pipelineStatus('waiting_for_callback'), 'running');
  for (const known of ['preparing', 'scheduled', 'waiting_for_resource', 'canceling', 'manual']) {
    assert.equal(jobStatus(known), known);
    assert.equal(pipelineStatus(known), known);
  }
  // One GitLab has not invented yet: not finished, nothing decided.
  assert.equal(jobStatus('brand_new_status'), 'running');
  assert.equal(pipelineStatus(42), 'running');
});

test('timestamps in both of GitLab\'s formats read the same; an unreadable one is null, not a dropped delivery', () => {
  const job = realJobBody();
  const pipeline = realPipelineBody();
  const at = (created: unknown) => (parseDelivery('Pipeline Hook', JSON.stringify({ ...pipeline, object_attributes: { ...pipeline.object_attributes, created_at: created } })) as PipelineEvent).createdAt;
  assert.equal(at('2016-08-12 15:23:28 UTC'), '2016-08-12T15:23:28.000Z');
  assert.equal(at('2016-08-12T15:23:28Z'), '2016-08-12T15:23:28.000Z');
  assert.equal(at('2016-08-12T17:23:28+02:00'), '2016-08-12T15:23:28.000Z');
  assert.equal(at('2016-08-12 17:23:28 +0200'), '2016-08-12T15:23:28.000Z');
  assert.equal(at('last Tuesday'), null);
  assert.equal(at(undefined), null);
  const finished = (fields: Record<string, unknown>) => (parseDelivery('Job Hook', JSON.stringify({ ...job, ...fields })) as JobEvent).finishedAt;
  assert.equal(finished({ build_finished_at: '2023-01-10 13:50:54 UTC', build_finished_at_iso: undefined }), '2023-01-10T13:50:54.000Z');
  assert.equal(finished({ build_finished_at: '2021-02-23T02:41:37.886Z', build_finished_at_iso: '2021-02-23T02:41:37Z' }), '2021-02-23T02:41:37.000Z');
});

test('a failure reason is kept only for a failed job (GitLab fills the field in regardless)', () => {
  const job = realJobBody();
  const reason = (fields: Record<string, unknown>) => (parseDelivery('Job Hook', JSON.stringify({ ...job, ...fields })) as JobEvent).failureReason;
  assert.equal(reason({ build_status: 'failed', build_failure_reason: 'script_failure' }), 'script_failure');
  assert.equal(reason({ build_status: 'success', build_failure_reason: 'unknown_failure' }), null);
  assert.equal(reason({ build_status: 'failed', build_failure_reason: null }), 'unknown_failure');
});

test('a child pipeline\'s hooks are news of its parent; a child that names no parent is dropped', () => {
  const pipeline = realPipelineBody();
  const project = { id: gitlab.projectId, web_url: `${gitlab.url}/${gitlab.projectPath}`, path_with_namespace: gitlab.projectPath };
  const childBody = { ...pipeline, object_attributes: { ...pipeline.object_attributes, id: pipelineId + 1, source: 'parent_pipeline' }, source_pipeline: { project, job_id: 4321, pipeline_id: pipelineId } };
  const child = parseDelivery('Pipeline Hook', JSON.stringify(childBody)) as PipelineEvent;
  assert.equal(child.pipelineId, pipelineId, 'synced as its parent');
  assert.deepEqual(child.child, { pipelineId: pipelineId + 1, bridgeJobId: 4321 });
  assert.equal(parseDelivery('Pipeline Hook', JSON.stringify({ ...childBody, source_pipeline: undefined })), null);
  assert.equal(parseDelivery('Pipeline Hook', JSON.stringify({ ...childBody, source_pipeline: { ...childBody.source_pipeline, project: { ...project, id: 999 } } })), null, 'a parent in another project is none of ours');

  const job = realJobBody();
  const childJob = parseDelivery('Job Hook', JSON.stringify({ ...job, pipeline_id: pipelineId + 1, source_pipeline: { project, job_id: 4321, pipeline_id: pipelineId } })) as JobEvent;
  assert.equal(childJob.pipelineId, pipelineId);
  assert.deepEqual(childJob.child, { pipelineId: pipelineId + 1, bridgeJobId: 4321 });
  // A pipeline of ours triggered from another project is a pipeline of its own.
  const downstream = parseDelivery('Job Hook', JSON.stringify({ ...job, source_pipeline: { project: { ...project, id: 999 }, job_id: 1, pipeline_id: 2 } })) as JobEvent;
  assert.equal(downstream.pipelineId, pipelineId);
  assert.equal(downstream.child, null);
});

test('malformed bodies are null', () => {
  const job = realJobBody();
  const pipeline = JSON.parse(received.find((r) => r.event === 'Pipeline Hook')!.body);
  const cases: Array<[string, unknown]> = [
    ['Job Hook', { ...job, build_id: 'seven' }],
    ['Job Hook', { ...job, build_name: undefined }],
    ['Job Hook', { ...job, object_kind: 'pipeline' }],
    ['Pipeline Hook', job],
    ['Pipeline Hook', { ...pipeline, object_attributes: { ...pipeline.object_attributes, id: -1 } }],
    ['Pipeline Hook', { ...pipeline, project: null }],
    ['Push Hook', { object_kind: 'push' }],
    ['Pipeline Hook', null],
    ['Pipeline Hook', []],
  ];
  for (const [event, body] of cases) assert.equal(parseDelivery(event, JSON.stringify(body)), null, `${event} ${JSON.stringify(body).slice(0, 80)}`);
  assert.equal(parseDelivery('Pipeline Hook', '{"object_kind":'), null);
});

test('hookName: the header wins, object_kind when there is none', () => {
  assert.equal(hookName('Pipeline Hook', 'build'), 'Pipeline Hook');
  assert.equal(hookName('Push Hook', 'pipeline'), null);
  assert.equal(hookName(undefined, 'build'), 'Job Hook');
  assert.equal(hookName(undefined, 'pipeline'), 'Pipeline Hook');
  assert.equal(hookName(undefined, 'push'), null);
  assert.equal(hookName(undefined, undefined), null);
});

// ------------------------------------------------------------ whose project a delivery is

const HOOKS = path.resolve(import.meta.dirname, '..', '..', '..', 'shared', 'corpus', 'gitlab-hooks');

if (!existsSync(HOOKS)) {
  test(`project of GitLab's documented payloads skipped: ${HOOKS} not found`, { skip: true }, () => {});
} else {
  test('the project of GitLab\'s documented and recorded payloads: project.id and path_with_namespace, else project_id; never the upstream project', () => {
    const read = (name: string) => deliveryProject(JSON.parse(readFileSync(path.join(HOOKS, name), 'utf8')));
    // Both carry source_pipeline.project {id: 41, gitlab-org/upstream-project}: the upstream, not this project.
    assert.deepEqual(read('pipeline.json'), { id: 1, path: 'gitlab-org/gitlab-test' });
    assert.deepEqual(read('job.json'), { id: 380, path: 'gitlab-org/gitlab-test' });
    // Recorded Job Hooks without a project object: the id only; "John Smith / release-tools-fake" is a display name.
    assert.deepEqual(read('go-gitlab-job.json'), { id: 31537070, path: null });
    assert.deepEqual(read('go-gitlab-build.json'), { id: 380, path: null });
  });
}

test('the project of the fake\'s deliveries is the fake\'s project', () => {
  for (const r of received) assert.deepEqual(deliveryProject(JSON.parse(r.body)), { id: gitlab.projectId, path: 'portcullis/firewall' }, r.event);
});

test('deliveryProject reads only well-typed values', () => {
  assert.deepEqual(deliveryProject(null), { id: null, path: null });
  assert.deepEqual(deliveryProject({ project: { id: '7', path_with_namespace: 42 } }), { id: null, path: null });
  assert.deepEqual(deliveryProject({ project: { id: -1, path_with_namespace: '' }, project_id: 1.5 }), { id: null, path: null });
  assert.deepEqual(deliveryProject({ project: null, project_id: 9 }), { id: 9, path: null });
});

test('projectMatch compares an id with an id and a path with a path, paths without regard to case', () => {
  assert.equal(projectMatch(7, { id: 7, path: 'a/b' }), 'same');
  assert.equal(projectMatch(7, { id: 8, path: 'a/b' }), 'other');
  assert.equal(projectMatch(7, { id: null, path: 'a/b' }), 'unknown', 'a path says nothing about an id');
  assert.equal(projectMatch('Platform/Firewall', { id: 7, path: 'platform/firewall' }), 'same');
  assert.equal(projectMatch('platform/firewall', { id: 7, path: 'platform/firewall-fork' }), 'other');
  assert.equal(projectMatch('platform/firewall', { id: 7, path: null }), 'unknown', 'an id says nothing about a path');
});
