/**
 * The bot's webhook parser and door against GitLab's own Pipeline and Job Hook bodies
 * (corpus/gitlab-hooks: the documented examples, go-gitlab's recorded deliveries, and
 * child-pipeline payloads derived by GitLab's payload builders), and the GitLab fake's
 * payloads against them key for key.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Gitlab } from '@gitbeaker/rest';
import type { Store } from '../../src/core/ports.ts';
import { startGitLabFake, type GitLabFake } from '../../src/fakes/gitlab/index.ts';
import { JOB_HOOK, PIPELINE_HOOK, parseDelivery, type GitLabEvent } from '../../src/gitlab/events.ts';
import { InboxBatcher, handleGitLabWebhook } from '../../src/gitlab/webhook.ts';
import { openStore } from '../../src/store/index.ts';
import { corpusFolder, jsonFiles, readJson } from './corpus.ts';

type Json = Record<string, any>;

/** What each corpus payload must parse to (the fields named; others are not compared). */
const EXPECTED: Record<string, Partial<GitLabEvent> & Json> = {
  // Documented: a merge-request pipeline whose source_pipeline is in another project (41): no parent of ours.
  'pipeline.json': { kind: 'pipeline', pipelineId: 31, child: null, status: 'success', source: 'merge_request_event', projectId: 1, createdAt: '2016-08-12T15:23:28.000Z', finishedAt: '2016-08-12T15:26:29.000Z' },
  'go-gitlab-pipeline.json': { kind: 'pipeline', pipelineId: 31, child: null, status: 'success', ref: 'master', projectId: 1 },
  'derived-pipeline-child.json': { kind: 'pipeline', pipelineId: 31, child: { pipelineId: 32, bridgeJobId: 381 }, status: 'running', source: 'parent_pipeline', ref: 'master' },
  // Documented: ISO timestamps, a build_failure_reason on a job that has not failed.
  'job.json': { kind: 'job', jobId: 1977, pipelineId: 2366, child: null, name: 'test', stage: 'test', status: 'created', failureReason: null, projectId: 380, finishedAt: null },
  'go-gitlab-build.json': { kind: 'job', jobId: 1977, pipelineId: 2366, child: null, status: 'created', failureReason: null },
  // A real gitlab.com delivery: "YYYY-MM-DD HH:MM:SS UTC" timestamps, no _iso twins.
  'go-gitlab-job.json': { kind: 'job', jobId: 3580121225, pipelineId: 743121198, child: null, name: 'auto_deploy:start', status: 'success', failureReason: null, startedAt: '2023-01-10T13:50:05.000Z', finishedAt: '2023-01-10T13:50:54.000Z' },
  'derived-job-child.json': { kind: 'job', jobId: 382, pipelineId: 31, child: { pipelineId: 32, bridgeJobId: 381 }, name: 'service-checks', status: 'running' },
};

const HOOKS: Record<string, string> = { pipeline: PIPELINE_HOOK, build: JOB_HOOK };

function picked(event: GitLabEvent | null, expected: Json): Json | null {
  return event && Object.fromEntries(Object.keys(expected).map((k) => [k, (event as Json)[k]]));
}

const dir = corpusFolder('gitlab-hooks', 'the webhook parser against GitLab\'s own hook payloads');

if (dir !== null) {
  const payloads = new Map(jsonFiles(dir).map((f) => [f, readJson(path.join(dir, f)) as Json]));
  const hookOf = (body: Json) => HOOKS[body.object_kind as string];

  describe('GitLab\'s documented and recorded hooks through the parser', () => {
    test('every Pipeline and Job Hook in the corpus is one the parser reads', () => {
      assert.ok(payloads.size >= Object.keys(EXPECTED).length, `found ${[...payloads.keys()].join(', ')}`);
      for (const [file, body] of payloads) {
        const hook = hookOf(body);
        assert.ok(hook, `${file}: object_kind ${body.object_kind}`);
        const event = parseDelivery(hook, JSON.stringify(body));
        assert.equal(event?.kind, hook === PIPELINE_HOOK ? 'pipeline' : 'job', file);
      }
    });

    for (const [file, expected] of Object.entries(EXPECTED)) {
      test(`${file} parses to ${expected.kind} ${expected.kind === 'job' ? `${expected.jobId} of ` : ''}pipeline ${expected.pipelineId}${expected.child ? ` (child ${expected.child.pipelineId})` : ''}`, () => {
        const body = payloads.get(file);
        assert.ok(body, `${file} is in the corpus`);
        assert.deepEqual(picked(parseDelivery(hookOf(body)!, JSON.stringify(body)), expected), expected);
      });
    }

    test('the derived child payloads are children of the pipeline their source_pipeline names', () => {
      for (const file of ['derived-pipeline-child.json', 'derived-job-child.json']) {
        const body = payloads.get(file)!;
        const event = parseDelivery(hookOf(body)!, JSON.stringify(body))!;
        assert.equal(event.pipelineId, body.source_pipeline.pipeline_id, `${file}: synced as its parent`);
        assert.equal(event.child?.pipelineId, body.object_attributes?.id ?? body.pipeline_id, `${file}: the child's own id is kept`);
        assert.equal(event.child?.bridgeJobId, body.source_pipeline.job_id);
      }
    });
  });

  describe('the same hooks through the webhook door', () => {
    const SECRET = 'conformance-webhook-secret';
    let server: Server;
    let store: Store;
    let url: string;
    before(async () => {
      store = openStore(':memory:');
      // Every payload names gitlab-org/gitlab-test by path, or carries only an id (older
      // Job Hooks), which a configured path cannot be compared with: all are let in.
      const project = 'gitlab-org/gitlab-test';
      server = createServer((req, res) => void handleGitLabWebhook(req, res, { secret: SECRET, project, inbox: new InboxBatcher(store.inbox) }));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/gitlab`;
    });
    after(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      store.close();
    });

    const post = (body: string, headers: Record<string, string>) =>
      new Promise<{ status: number; json: Json }>((resolve, reject) => {
        const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json }));
        });
        req.on('error', reject);
        req.end(body);
      });

    test('each is authenticated, stored once by its Idempotency-Key, and reads back as the same event', async () => {
      const sent = new Map<string, { file: string; event: string }>();
      for (const [file, body] of payloads) {
        const key = randomUUID();
        const headers = {
          'x-gitlab-event': hookOf(body)!,
          'x-gitlab-token': SECRET,
          'idempotency-key': key,
          'x-gitlab-event-uuid': randomUUID(),
          'x-gitlab-instance': 'https://gitlab.example.com',
          'user-agent': 'GitLab/17.9.0',
        };
        const text = JSON.stringify(body);
        assert.deepEqual(await post(text, headers), { status: 200, json: { status: 'stored' } }, file);
        assert.deepEqual(await post(text, headers), { status: 200, json: { status: 'duplicate' } }, `${file} again`);
        assert.equal((await post(text, { ...headers, 'x-gitlab-token': 'wrong' })).status, 401);
        sent.set(key, { file, event: hookOf(body)! });
      }
      const stored: Array<{ key: string; event: string; body: string }> = [];
      for (let item = store.inbox.next(new Date(8.64e15)); item; item = store.inbox.next(new Date(8.64e15))) {
        stored.push(item);
        store.inbox.done(item.seq);
      }
      assert.equal(stored.length, payloads.size);
      for (const item of stored) {
        const { file, event } = sent.get(item.key)!;
        assert.equal(item.event, event, file);
        const body = payloads.get(file)!;
        assert.deepEqual(parseDelivery(item.event, item.body), parseDelivery(hookOf(body)!, JSON.stringify(body)), file);
        if (EXPECTED[file]) assert.deepEqual(picked(parseDelivery(item.event, item.body), EXPECTED[file]), EXPECTED[file], file);
      }
    });

    test('without X-Gitlab-Event the body\'s object_kind names the hook', async () => {
      const body = payloads.get('derived-job-child.json') ?? [...payloads.values()][0]!;
      assert.deepEqual(await post(JSON.stringify(body), { 'x-gitlab-token': SECRET, 'idempotency-key': randomUUID() }), { status: 200, json: { status: 'stored' } });
      const item = store.inbox.next(new Date(8.64e15))!;
      assert.equal(item.event, hookOf(body));
      store.inbox.done(item.seq);
    });
  });

  describe('the GitLab fake\'s hooks have the keys GitLab\'s have', () => {
    const CI = `
stages: [build, deploy, verify]
build:
  stage: build
  script: [make]
release:
  stage: deploy
  when: manual
  allow_failure: false
  environment: { name: production }
  script: [make release]
checks:
  stage: verify
  trigger:
    include: [{ local: child.yml }]
    strategy: depend
`;
    const CHILD = `
smoke:
  stage: test
  script: [make smoke]
`;
    let gitlab: GitLabFake;
    let receiver: Server;
    const received: Json[] = [];
    let parentId: number;

    before(async () => {
      receiver = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json);
          res.writeHead(200).end();
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      gitlab = await startGitLabFake({ seed: { files: { 'terraform/.gitlab-ci.yml': CI, 'child.yml': CHILD } }, jobDurationMs: 2 });
      gitlab.driver.addHook({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`, pipelineEvents: true, jobEvents: true });
      const api = new Gitlab({ host: gitlab.url, token: gitlab.token });
      parentId = (await api.Pipelines.create(gitlab.projectId, 'main')).id;
      await gitlab.driver.waitForPipeline(parentId, 'manual');
      const release = (await api.Jobs.all(gitlab.projectId, { pipelineId: parentId })).find((j) => j.name === 'release')!;
      await api.Jobs.play(gitlab.projectId, release.id);
      await gitlab.driver.waitForPipeline(parentId, 'success');
      // The receiver records a delivery before answering it: every one answered 200 is in `received`.
      await gitlab.driver.waitForDeliveries();
    });
    after(async () => {
      await gitlab.close();
      receiver.closeAllConnections();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    });

    const corpusOf = (kind: string) => [...payloads.values()].filter((p) => p.object_kind === kind);
    const fakePipeline = (child: boolean) => received.find((r) => r.object_kind === 'pipeline' && r.object_attributes.status === 'success' && (r.object_attributes.source === 'parent_pipeline') === child)!;
    const fakeJob = (name: string) => received.find((r) => r.object_kind === 'build' && r.build_name === name && r.build_status === 'success')!;

    /**
     * The documented payload's keys must all be there, and every key the fake sends must
     * be one GitLab sends in some corpus payload, at every level (array elements merged).
     */
    function keyProblems(fake: unknown, documented: unknown[], anyGitLab: unknown[], at: string, exempt: ReadonlySet<string>): string[] {
      const objects = (xs: unknown[]) => xs.filter((x): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x));
      if (typeof fake !== 'object' || fake === null || Array.isArray(fake)) return [];
      const required = new Set(objects(documented).flatMap(Object.keys));
      const allowed = new Set(objects(anyGitLab).flatMap(Object.keys));
      const problems: string[] = [];
      for (const key of required) if (!(key in fake) && !exempt.has(`${at}.${key}`)) problems.push(`${at}.${key} is missing`);
      for (const [key, value] of Object.entries(fake as Json)) {
        if (!allowed.has(key)) problems.push(`${at}.${key} is in no GitLab payload`);
        const docs = objects(documented).map((o) => o[key]);
        const any = objects(anyGitLab).map((o) => o[key]);
        if (Array.isArray(value)) for (const item of value) problems.push(...keyProblems(item, docs.flat(), any.flat(), `${at}.${key}[]`, exempt));
        else problems.push(...keyProblems(value, docs, any, `${at}.${key}`, exempt));
      }
      return problems;
    }

    test('Pipeline Hooks: the documented keys, recursively; source_pipeline on a child only', () => {
      const documented = payloads.get('pipeline.json')!;
      const parent = fakePipeline(false);
      const child = fakePipeline(true);
      // Compared where they are objects: a started build's runner, a build with an environment.
      assert.ok(parent.builds.some((b: Json) => b.runner !== null && b.environment !== null), 'a build with runner and environment');
      assert.deepEqual(keyProblems(parent, [documented], corpusOf('pipeline'), '', new Set(['.source_pipeline'])), []);
      assert.equal('source_pipeline' in parent, false, 'only a triggered pipeline names a source pipeline');
      assert.deepEqual(keyProblems(child, [documented], corpusOf('pipeline'), '', new Set()), []);
      assert.equal(child.source_pipeline.pipeline_id, parentId);
    });

    test('Job Hooks: the documented keys, recursively; source_pipeline on a child\'s job only', () => {
      const documented = payloads.get('job.json')!;
      const release = fakeJob('release');
      const smoke = fakeJob('smoke');
      assert.ok(release.runner !== null && release.environment !== null, 'a job with runner and environment');
      assert.deepEqual(keyProblems(release, [documented], corpusOf('build'), '', new Set(['.source_pipeline'])), []);
      assert.equal('source_pipeline' in release, false);
      assert.deepEqual(keyProblems(smoke, [documented], corpusOf('build'), '', new Set()), []);
      assert.equal(smoke.source_pipeline.pipeline_id, parentId);
    });

    test('the key check itself fails on a missing or an invented key', () => {
      const documented = payloads.get('job.json')!;
      const { build_failure_reason: _dropped, ...missing } = fakeJob('release');
      assert.deepEqual(keyProblems(missing, [documented], corpusOf('build'), '', new Set(['.source_pipeline'])), ['.build_failure_reason is missing']);
      const invented = { ...fakeJob('release'), commit: { ...fakeJob('release').commit, title: 'x' } };
      assert.deepEqual(keyProblems(invented, [documented], corpusOf('build'), '', new Set(['.source_pipeline'])), ['.commit.title is in no GitLab payload']);
    });
  });
}
