/**
 * Webhooks of the GitLab fake at a loopback receiver: GitLab's headers and the Pipeline
 * and Job Hook shapes, and every delivery fault: duplicate, reorder, drop, delay, retry
 * after a 500, auto-disable after repeated failures.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, test } from 'node:test';
import { Gitlab } from '@gitbeaker/rest';
import { startGitLabFake, type GitLabFake } from '../../src/fakes/gitlab/index.ts';

const CI_FILE = `
stages: [build, deploy, verify]
build:
  stage: build
  script: [make]
release:
  stage: deploy
  when: manual
  allow_failure: false
  script: [make release]
children:
  stage: verify
  variables: { TARGET: staging }
  trigger:
    include: [{ local: child.yml }]
    strategy: depend
`;

const CHILD_FILE = `
smoke:
  stage: test
  script: [make smoke]
`;

interface Received {
  headers: IncomingHttpHeaders;
  body: Record<string, any>;
}

/** A hook receiver on 127.0.0.1 that answers with `respond` (default 200). */
class Receiver {
  readonly received: Received[] = [];
  respond: (r: Received) => number = () => 200;
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r = { headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
        this.received.push(r);
        res.writeHead(this.respond(r)).end();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/gitlab`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  async waitFor(predicate: (r: Received[]) => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 3000;
    while (!predicate(this.received)) {
      if (Date.now() > deadline) throw new Error(`receiver never got ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

const isPipeline = (status: string) => (r: Received) => r.body.object_kind === 'pipeline' && r.body.object_attributes.status === status;
const isJob = (name: string, status: string) => (r: Received) => r.body.object_kind === 'build' && r.body.build_name === name && r.body.build_status === status;

let gitlab: GitLabFake;
let receiver: Receiver;
let api: InstanceType<typeof Gitlab>;

beforeEach(async () => {
  receiver = new Receiver();
  await receiver.start();
  gitlab = await startGitLabFake({
    seed: { files: { 'terraform/.gitlab-ci.yml': CI_FILE, 'child.yml': CHILD_FILE } },
    jobDurationMs: 2,
    webhooks: { retryDelayMs: 10, maxAttempts: 3 },
  });
  api = new Gitlab({ host: gitlab.url, token: gitlab.token });
});

afterEach(async () => {
  await gitlab.close();
  await receiver.close();
});

async function runToManual(): Promise<number> {
  const pipeline = await api.Pipelines.create(gitlab.projectId, 'main', { variables: [{ key: 'REQUEST', value: 'REQ-7' }] });
  await gitlab.driver.waitForPipeline(pipeline.id, 'manual');
  await receiver.waitFor((rs) => rs.some(isPipeline('manual')), 'the manual pipeline hook');
  return pipeline.id;
}

test('hooks added over REST get Pipeline and Job Hooks with GitLab headers and payloads', async () => {
  const hook = await api.ProjectHooks.add(gitlab.projectId, receiver.url, { token: 's3cret', pipelineEvents: true, jobEvents: true });
  assert.deepEqual((await api.ProjectHooks.all(gitlab.projectId)).map((h) => [h.id, h.url, h.pipeline_events]), [[hook.id, receiver.url, true]]);

  const pipelineId = await runToManual();
  const manual = receiver.received.find(isPipeline('manual'))!;
  assert.equal(manual.headers['x-gitlab-event'], 'Pipeline Hook');
  assert.equal(manual.headers['x-gitlab-token'], 's3cret');
  assert.equal(manual.headers['x-gitlab-instance'], gitlab.url);
  assert.match(String(manual.headers['user-agent']), /^GitLab\//);
  assert.match(String(manual.headers['idempotency-key']), /^[0-9a-f-]{36}$/);
  assert.match(String(manual.headers['x-gitlab-event-uuid']), /^[0-9a-f-]{36}$/);
  assert.match(String(manual.headers['x-gitlab-webhook-uuid']), /^[0-9a-f-]{36}$/);
  const attrs = manual.body.object_attributes;
  assert.equal(attrs.id, pipelineId);
  assert.equal(attrs.ref, 'main');
  assert.equal(attrs.source, 'api');
  assert.equal(attrs.detailed_status, 'waiting for manual action');
  assert.deepEqual(attrs.stages, ['build', 'deploy', 'verify']);
  assert.deepEqual(attrs.variables, [{ key: 'REQUEST', value: 'REQ-7' }]);
  assert.match(attrs.created_at, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
  assert.equal(manual.body.merge_request, null);
  assert.equal(manual.body.project.path_with_namespace, gitlab.projectPath);
  assert.equal(manual.body.commit.id, attrs.sha);
  const releaseBuild = manual.body.builds.find((b: { name: string }) => b.name === 'release');
  assert.deepEqual([releaseBuild.status, releaseBuild.when, releaseBuild.manual, releaseBuild.allow_failure], ['manual', 'manual', true, false]);
  assert.equal(manual.body.builds.some((b: { name: string }) => b.name === 'children'), false, 'bridges are not builds');

  const buildDone = receiver.received.find(isJob('build', 'success'))!;
  assert.equal(buildDone.headers['x-gitlab-event'], 'Job Hook');
  assert.equal(buildDone.body.pipeline_id, pipelineId);
  assert.equal(buildDone.body.commit.id, pipelineId, 'a Job Hook carries the pipeline id as commit.id');
  assert.equal(buildDone.body.build_stage, 'build');
  assert.equal(buildDone.body.retries_count, 0);
  assert.notEqual(buildDone.headers['x-gitlab-event-uuid'], manual.headers['x-gitlab-event-uuid']);
  assert.equal(buildDone.headers['x-gitlab-webhook-uuid'], manual.headers['x-gitlab-webhook-uuid']);
  const buildStatuses = receiver.received.filter((r) => r.body.build_name === 'build').map((r) => r.body.build_status);
  assert.deepEqual(buildStatuses, ['pending', 'running', 'success']);

  const release = (await api.Jobs.all(gitlab.projectId, { pipelineId })).find((j) => j.name === 'release')!;
  await api.Jobs.play(gitlab.projectId, release.id);
  await receiver.waitFor((rs) => rs.some((r) => isPipeline('success')(r) && r.body.object_attributes.id === pipelineId), 'the success pipeline hook');
  assert.equal(receiver.received.some((r) => r.body.build_name === 'children'), false, 'trigger jobs send no Job Hook');

  // The trigger job's child pipeline sends hooks of its own, naming its parent.
  const bridge = (await api.Jobs.allPipelineBridges(gitlab.projectId, pipelineId))[0]!;
  const sourcePipeline = { project: { id: gitlab.projectId, web_url: `${gitlab.url}/${gitlab.projectPath}`, path_with_namespace: gitlab.projectPath }, job_id: bridge.id, pipeline_id: pipelineId };
  const child = receiver.received.find((r) => r.body.object_kind === 'pipeline' && r.body.object_attributes.source === 'parent_pipeline' && r.body.object_attributes.status === 'success')!;
  assert.ok(child.body.object_attributes.id > pipelineId);
  assert.deepEqual([child.body.object_attributes.ref, child.body.object_attributes.sha], [manual.body.object_attributes.ref, manual.body.object_attributes.sha]);
  assert.deepEqual(child.body.source_pipeline, sourcePipeline);
  assert.deepEqual(child.body.object_attributes.variables, [{ key: 'TARGET', value: 'staging' }]);
  assert.deepEqual(child.body.builds.map((b: { name: string }) => b.name), ['smoke']);
  const smoke = receiver.received.find(isJob('smoke', 'success'))!;
  assert.equal(smoke.body.pipeline_id, child.body.object_attributes.id);
  assert.deepEqual(smoke.body.source_pipeline, sourcePipeline);
  // A pipeline that nothing triggered names no source pipeline.
  assert.equal('source_pipeline' in manual.body, false);
  assert.equal('source_pipeline' in buildDone.body, false);
  // The parent succeeds only once its child did (strategy: depend).
  const finished = (id: number) => gitlab.driver.pipelines().find((p) => p.id === id)!.finishedAt!.getTime();
  assert.ok(finished(pipelineId) >= finished(child.body.object_attributes.id));
});

test('hook payloads carry what GitLab always sends: failure_reason (null when none), a runner once started, the environment', async () => {
  const ci = CI_FILE.replace('  when: manual\n', '  when: manual\n  environment: { name: production }\n');
  gitlab.driver.push('main', { 'terraform/.gitlab-ci.yml': ci });
  gitlab.driver.addHook({ url: receiver.url, pipelineEvents: true, jobEvents: true });
  gitlab.driver.scriptJob('build', { fail: 'make: *** [all] Error 2' });
  try {
    const pipeline = await api.Pipelines.create(gitlab.projectId, 'main');
    await gitlab.driver.waitForPipeline(pipeline.id, 'failed');
    await receiver.waitFor((rs) => rs.some(isPipeline('failed')), 'the failed pipeline hook');
  } finally {
    gitlab.driver.clearJobScripts();
  }
  const failed = receiver.received.find(isPipeline('failed'))!;
  const builds = new Map<string, Record<string, any>>(failed.body.builds.map((b: Record<string, any>) => [b.name, b]));
  assert.equal(builds.get('build')!.failure_reason, 'script_failure');
  assert.ok('failure_reason' in builds.get('release')!, 'sent for every build');
  assert.equal(builds.get('release')!.failure_reason, null);
  assert.deepEqual(Object.keys(builds.get('build')!.runner).sort(), ['active', 'description', 'id', 'is_shared', 'runner_type', 'tags']);
  assert.equal(builds.get('release')!.runner, null, 'never picked up');
  assert.deepEqual(builds.get('release')!.environment, { name: 'production', action: 'start', deployment_tier: 'production' });
  assert.equal(builds.get('build')!.environment, null);
  const jobFailed = receiver.received.find(isJob('build', 'failed'))!;
  assert.equal(jobFailed.body.build_failure_reason, 'script_failure');
  assert.match(jobFailed.body.build_finished_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.match(jobFailed.body.build_finished_at_iso, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(jobFailed.body.commit.name, null);
  assert.ok(jobFailed.body.runner);
});

test('a duplicated delivery repeats the same Idempotency-Key', async () => {
  gitlab.driver.addHook({ url: receiver.url, pipelineEvents: true, jobEvents: true });
  gitlab.driver.injectWebhookFault({ kind: 'duplicate' }, { event: 'Pipeline Hook', status: 'manual' });
  await runToManual();
  await receiver.waitFor((rs) => rs.filter(isPipeline('manual')).length === 2, 'two manual hooks');
  const [a, b] = receiver.received.filter(isPipeline('manual'));
  assert.equal(a!.headers['idempotency-key'], b!.headers['idempotency-key']);
  assert.equal(a!.headers['x-gitlab-event-uuid'], b!.headers['x-gitlab-event-uuid']);
});

test('a reordered delivery arrives after the one that followed it; a dropped one never arrives', async () => {
  gitlab.driver.addHook({ url: receiver.url, pipelineEvents: true, jobEvents: true });
  gitlab.driver.injectWebhookFault({ kind: 'reorder' }, { event: 'Job Hook', jobName: 'build', status: 'running' });
  gitlab.driver.injectWebhookFault({ kind: 'drop' }, { event: 'Job Hook', jobName: 'build', status: 'success' });
  await runToManual();
  await receiver.waitFor((rs) => rs.some(isJob('build', 'running')), 'the held hook');
  const order = receiver.received.map((r) => (r.body.object_kind === 'build' ? `job:${r.body.build_name}:${r.body.build_status}` : `pipeline:${r.body.object_attributes.status}`));
  assert.ok(order.indexOf('job:build:running') > order.indexOf('pipeline:running'), `running job hook came late: ${order.join(', ')}`);
  assert.equal(order.includes('job:build:success'), false);
  const dropped = gitlab.driver.deliveries().filter((d) => d.event === 'Job Hook' && (d.payload as { build_status: string }).build_status === 'success');
  assert.equal(dropped.length, 0, 'a dropped delivery is never attempted');
});

test('a delayed delivery arrives after later ones', async () => {
  gitlab.driver.addHook({ url: receiver.url, pipelineEvents: true, jobEvents: false });
  gitlab.driver.injectWebhookFault({ kind: 'delay', ms: 150 }, { event: 'Pipeline Hook', status: 'pending' });
  await runToManual();
  await receiver.waitFor((rs) => rs.some(isPipeline('pending')), 'the delayed hook');
  const statuses = receiver.received.map((r) => r.body.object_attributes.status);
  assert.ok(statuses.indexOf('pending') > statuses.indexOf('manual'), statuses.join(', '));
});

test('a delivery answered 500 is retried with the same Idempotency-Key and recorded per attempt', async () => {
  gitlab.driver.addHook({ url: receiver.url, pipelineEvents: true, jobEvents: false });
  let failed = false;
  receiver.respond = (r) => {
    if (!failed && isPipeline('manual')(r)) {
      failed = true;
      return 500;
    }
    return 200;
  };
  await runToManual();
  await receiver.waitFor((rs) => rs.filter(isPipeline('manual')).length === 2, 'the retried hook');
  const [first, retry] = receiver.received.filter(isPipeline('manual'));
  assert.equal(first!.headers['idempotency-key'], retry!.headers['idempotency-key']);
  // The receiver has the retry before the sender has read its answer: wait for the record.
  const attemptsOf = () => gitlab.driver.deliveries().filter((d) => d.idempotencyKey === first!.headers['idempotency-key']);
  for (const deadline = Date.now() + 5000; attemptsOf().some((a) => a.status === null) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(attemptsOf().map((a) => [a.attempt, a.status]), [[1, 500], [2, 200]]);
});

test('after 4 consecutive failures the hook is temporarily disabled', async () => {
  receiver.respond = () => 503;
  const hook = await api.ProjectHooks.add(gitlab.projectId, receiver.url, { pipelineEvents: true, jobEvents: true });
  const pipeline = await api.Pipelines.create(gitlab.projectId, 'main');
  await gitlab.driver.waitForPipeline(pipeline.id, 'manual');
  const deadline = Date.now() + 3000;
  let alert = '';
  while (Date.now() < deadline && alert !== 'temporarily_disabled') {
    alert = String((await api.ProjectHooks.show(gitlab.projectId, hook.id)).alert_status);
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.equal(alert, 'temporarily_disabled');
  const sent = gitlab.driver.deliveries().length;
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(gitlab.driver.deliveries().length, sent, 'nothing more is sent to a disabled hook');
});

test('hooks must point at loopback', async () => {
  await assert.rejects(api.ProjectHooks.add(gitlab.projectId, 'http://192.0.2.10/hook', { pipelineEvents: true }), /422|blocked/);
});
