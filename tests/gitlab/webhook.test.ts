/**
 * The webhook door on a real node:http server: authentication before the body, size
 * bounds while streaming, malformed and unused events, and real deliveries from the
 * GitLab fake stored once with their Idempotency-Key.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, request, type OutgoingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, beforeEach, test } from 'node:test';
import { Gitlab } from '@gitbeaker/rest';
import type { InboxItem, Store } from '../../src/core/ports.ts';
import { startGitLabFake, type GitLabFake } from '../../src/fakes/gitlab/index.ts';
import { handleGitLabWebhook, InboxBatcher, type WebhookOutcome } from '../../src/gitlab/webhook.ts';
import { openStore } from '../../src/store/index.ts';
import { MINIMAL_CI_FILE } from '../helpers/ci-files.ts';

const SECRET = 'a-webhook-secret-of-some-length';
const PATH = '/webhooks/gitlab';
const MiB = 1024 * 1024;
/** The project this door serves: the GitLab fake's default id, and the one pipelineBody names. */
const PROJECT_ID = 1;

let server: Server;
let base: string;
let store: Store;
let outcomes: WebhookOutcome[];
let wakeups: number;

before(async () => {
  server = createServer((req, res) => {
    void handleGitLabWebhook(req, res, {
      secret: SECRET,
      project: PROJECT_ID,
      inbox: new InboxBatcher(store.inbox),
      onStored: () => (wakeups += 1),
      onOutcome: (o) => outcomes.push(o),
      now: () => new Date('2025-01-02T03:04:05Z'),
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  store = openStore(':memory:');
  outcomes = [];
  wakeups = 0;
});

afterEach(() => store.close());

/** Everything in the inbox, oldest first. */
function inbox(): InboxItem[] {
  const items: InboxItem[] = [];
  for (let item = store.inbox.next(new Date(8.64e15)); item; item = store.inbox.next(new Date(8.64e15))) {
    items.push(item);
    store.inbox.done(item.seq);
  }
  return items;
}

interface Sent {
  method?: string;
  headers?: OutgoingHttpHeaders;
  /** One body, sent with Content-Length; or chunks, sent chunked. */
  body?: string | Buffer;
  chunks?: Buffer[];
}

/** Resolves with the answer as soon as it arrives, even if the upload was cut short. */
function send({ method = 'POST', headers = {}, body, chunks }: Sent): Promise<{ status: number; json: any; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${PATH}`, { method, headers: { 'content-type': 'application/json', ...headers }, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(Buffer.concat(parts).toString() || 'null'), headers: res.headers }));
    });
    // The server may close while we are still uploading; the answer is what counts.
    req.on('error', (err) => setTimeout(() => reject(err), 500).unref());
    if (chunks) {
      (async () => {
        for (const chunk of chunks) if (!req.write(chunk)) await new Promise((r) => req.once('drain', r).once('close', r));
        req.end();
      })();
    } else req.end(body);
  });
}

const pipelineBody = JSON.stringify({ object_kind: 'pipeline', object_attributes: { id: 5, ref: 'main', sha: 'a'.repeat(40), status: 'running', source: 'push' }, project: { id: 1 } });
const authed = { 'x-gitlab-token': SECRET, 'x-gitlab-event': 'Pipeline Hook' };

test('a missing or wrong secret is 401 and nothing is stored', async () => {
  for (const token of [undefined, 'wrong', `${SECRET}x`, SECRET.slice(0, -1), '']) {
    const headers: OutgoingHttpHeaders = { 'x-gitlab-event': 'Pipeline Hook', ...(token === undefined ? {} : { 'x-gitlab-token': token }) };
    const answer = await send({ headers, body: pipelineBody });
    assert.equal(answer.status, 401, `token ${token}`);
    assert.deepEqual(answer.json, { message: '401 Unauthorized' });
  }
  assert.equal(store.inbox.pending(), 0);
  assert.equal(wakeups, 0);
  assert.ok(outcomes.every((o) => o.result === 'unauthorized'));
});

test('only POST is accepted', async () => {
  const answer = await send({ method: 'GET', headers: authed });
  assert.equal(answer.status, 405);
  assert.equal(answer.headers.allow, 'POST');
});

test('a body over 1 MiB is 413, by its Content-Length or counted while chunked, and nothing is stored', async () => {
  const big = Buffer.alloc(2 * MiB, 'x');
  const declared = await send({ headers: authed, body: big });
  assert.equal(declared.status, 413);
  assert.match(declared.json.message, /^413 Payload Too Large/);

  const chunked = await send({ headers: authed, chunks: Array.from({ length: 32 }, () => Buffer.alloc(64 * 1024, 'x')) });
  assert.equal(chunked.status, 413);
  assert.equal(chunked.headers.connection, 'close');
  assert.equal(store.inbox.pending(), 0);
  assert.deepEqual(outcomes.map((o) => o.result), ['too_large', 'too_large']);

  // Exactly the limit is fine.
  const padded = JSON.stringify({ object_kind: 'pipeline', pad: '' });
  const atLimit = padded.replace('"pad":""', `"pad":"${'y'.repeat(MiB - padded.length)}"`);
  assert.equal(Buffer.byteLength(atLimit), MiB);
  assert.equal((await send({ headers: authed, chunks: [Buffer.from(atLimit)] })).status, 200);
});

test('a body that is not a JSON object is 400', async () => {
  for (const body of ['{"object_kind": "pipeline"', 'not json', '[1,2]', '"pipeline"', '']) {
    const answer = await send({ headers: authed, body });
    assert.equal(answer.status, 400, body);
  }
  assert.equal(store.inbox.pending(), 0);
});

test('events the bot does not use are answered 200 and dropped', async () => {
  const push = await send({ headers: { 'x-gitlab-token': SECRET, 'x-gitlab-event': 'Push Hook' }, body: JSON.stringify({ object_kind: 'push' }) });
  assert.equal(push.status, 200);
  assert.deepEqual(push.json, { status: 'ignored' });
  const unnamed = await send({ headers: { 'x-gitlab-token': SECRET }, body: JSON.stringify({ object_kind: 'merge_request' }) });
  assert.deepEqual(unnamed.json, { status: 'ignored' });
  assert.equal(store.inbox.pending(), 0);
  assert.equal(wakeups, 0);
});

test('a delivery is stored under its Idempotency-Key, else its event UUID, else the hash of its body', async () => {
  const first = await send({ headers: { ...authed, 'idempotency-key': 'idem-1', 'x-gitlab-event-uuid': 'uuid-1' }, body: pipelineBody });
  assert.deepEqual([first.status, first.json], [200, { status: 'stored' }]);
  await send({ headers: { ...authed, 'x-gitlab-event-uuid': 'uuid-2' }, body: pipelineBody });
  // No headers at all, and the event named by object_kind.
  await send({ headers: { 'x-gitlab-token': SECRET }, body: pipelineBody });
  const again = await send({ headers: { 'x-gitlab-token': SECRET }, body: pipelineBody });
  assert.deepEqual(again.json, { status: 'duplicate' });

  const items = inbox();
  assert.deepEqual(items.map((i) => i.key), ['idem-1', 'uuid-2', createHash('sha256').update(pipelineBody).digest('hex')]);
  assert.ok(items.every((i) => i.event === 'Pipeline Hook' && i.body === pipelineBody && i.receivedAt === '2025-01-02T03:04:05.000Z'));
  assert.equal(wakeups, 3, 'the worker is woken once per new delivery');
});

test('a store that fails is a 500, so GitLab sends the delivery again', async () => {
  const broken = { inbox: { addMany: () => { throw new Error('disk I/O error'); } } };
  const failing = createServer((req, res) => void handleGitLabWebhook(req, res, { secret: SECRET, project: PROJECT_ID, inbox: new InboxBatcher(broken.inbox), onOutcome: (o) => outcomes.push(o) }));
  await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(failing.address() as AddressInfo).port}${PATH}`, { method: 'POST', headers: authed, body: pipelineBody });
    assert.equal(res.status, 500);
    await res.body?.cancel();
    const outcome = outcomes.at(-1);
    assert.equal(outcome?.result, 'store_failed');
    assert.match(String((outcome as { error: unknown }).error), /disk I\/O error/);
  } finally {
    failing.closeAllConnections();
    await new Promise<void>((resolve) => failing.close(() => resolve()));
  }
});

const CI_FILE = MINIMAL_CI_FILE;

let gitlab: GitLabFake;

/** Runs one pipeline to manual on a fresh fake whose hook points at our server. */
async function pipelineToManual(prepare?: (fake: GitLabFake) => void): Promise<number> {
  gitlab = await startGitLabFake({ seed: { files: { 'terraform/.gitlab-ci.yml': CI_FILE } }, jobDurationMs: 2 });
  gitlab.driver.addHook({ url: `${base}${PATH}`, token: SECRET, pipelineEvents: true, jobEvents: true, pushEvents: false });
  prepare?.(gitlab);
  const api = new Gitlab({ host: gitlab.url, token: gitlab.token });
  const pipeline = await api.Pipelines.create(gitlab.projectId, 'main');
  await gitlab.driver.waitForPipeline(pipeline.id, 'manual');
  return pipeline.id;
}

/** Polls until every delivery the fake sent has been answered. */
async function allAnswered(): Promise<void> {
  const deadline = Date.now() + 3000;
  const settled = () => {
    const sent = gitlab.driver.deliveries();
    return sent.length > 0 && sent.every((d) => d.status !== null) && outcomes.length >= sent.length;
  };
  while (!settled()) {
    if (Date.now() > deadline) throw new Error('deliveries still in flight');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('real deliveries from the GitLab fake are stored with their Idempotency-Key', async (t) => {
  t.after(() => gitlab.close());
  await pipelineToManual();
  await allAnswered();
  const sent = gitlab.driver.deliveries();
  assert.ok(sent.every((d) => d.status === 200));
  const items = inbox();
  assert.deepEqual(items.map((i) => i.key), sent.map((d) => d.idempotencyKey));
  assert.deepEqual(items.map((i) => i.event), sent.map((d) => d.event));
  assert.deepEqual(items.map((i) => JSON.parse(i.body)), sent.map((d) => d.payload));
  assert.ok(items.some((i) => i.event === 'Job Hook') && items.some((i) => i.event === 'Pipeline Hook'));
});

test('a duplicate delivery from the GitLab fake is answered 200 duplicate and stored once', async (t) => {
  t.after(() => gitlab.close());
  await pipelineToManual((fake) => fake.driver.injectWebhookFault({ kind: 'duplicate' }, { event: 'Pipeline Hook', status: 'manual' }));
  await allAnswered();
  const sent = gitlab.driver.deliveries();
  const manual = sent.filter((d) => d.event === 'Pipeline Hook' && (d.payload as { object_attributes: { status: string } }).object_attributes.status === 'manual');
  assert.equal(manual.length, 2, 'the fake sent it twice');
  assert.equal(manual[0]!.idempotencyKey, manual[1]!.idempotencyKey);
  assert.ok(manual.every((d) => d.status === 200));
  assert.equal(outcomes.filter((o) => o.result === 'duplicate').length, 1);
  const items = inbox();
  assert.equal(items.length, sent.length - 1);
  assert.equal(items.filter((i) => i.key === manual[0]!.idempotencyKey).length, 1);
});

test('the handler answers and stores without the optional callbacks too', async () => {
  const bare = createServer((req, res) => void handleGitLabWebhook(req, res, { secret: SECRET, project: PROJECT_ID, inbox: new InboxBatcher(store.inbox) }));
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/webhooks/gitlab`;
    const wrong = await fetch(url, { method: 'POST', headers: { 'x-gitlab-token': 'nope' }, body: '{}', signal: AbortSignal.timeout(5000) });
    assert.equal(wrong.status, 401);
    const ok = await fetch(url, {
      method: 'POST',
      headers: { 'x-gitlab-token': SECRET, 'x-gitlab-event': 'Pipeline Hook', 'idempotency-key': 'bare-1' },
      body: JSON.stringify({ object_kind: 'pipeline', object_attributes: { id: 7 } }),
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(ok.status, 200);
    assert.equal(inbox().map((i) => i.key).join(), 'bare-1');
  } finally {
    bare.closeAllConnections();
    await new Promise<void>((resolve) => bare.close(() => resolve()));
  }
});

test('deliveries arriving together are stored together, each exactly once, and each answered for itself', async () => {
  const post = (key: string) =>
    fetch(`${base}${PATH}`, { method: 'POST', headers: { ...authed, 'idempotency-key': key }, body: pipelineBody }).then(async (r) => (await r.json()) as { status: string });
  const answers = await Promise.all(['k1', 'k2', 'k3', 'k1', 'k4', 'k2'].map(post));
  assert.deepEqual(answers.map((a) => a.status).sort(), ['duplicate', 'duplicate', 'stored', 'stored', 'stored', 'stored']);
  assert.deepEqual(inbox().map((i) => i.key).sort(), ['k1', 'k2', 'k3', 'k4']);
});

test('a delivery of another project is answered 200 (GitLab would disable the hook on 4xx), not stored, and reported', async () => {
  const foreignPipeline = JSON.stringify({ ...JSON.parse(pipelineBody), project: { id: 2, path_with_namespace: 'someone/else' } });
  const foreignJob = JSON.stringify({ object_kind: 'build', build_id: 9, pipeline_id: 5, project_id: 2, project_name: 'Someone / Else' });
  for (const [event, body] of [['Pipeline Hook', foreignPipeline], ['Job Hook', foreignJob]] as const) {
    const answer = await send({ headers: { 'x-gitlab-token': SECRET, 'x-gitlab-event': event }, body });
    assert.deepEqual([answer.status, answer.json], [200, { status: 'ignored' }], event);
  }
  assert.equal(store.inbox.pending(), 0);
  assert.equal(wakeups, 0);
  assert.deepEqual(outcomes, [
    { result: 'other_project', status: 200, event: 'Pipeline Hook', project: { id: 2, path: 'someone/else' } },
    { result: 'other_project', status: 200, event: 'Job Hook', project: { id: 2, path: null } },
  ]);
  // This project's delivery still goes in.
  assert.deepEqual((await send({ headers: authed, body: pipelineBody })).json, { status: 'stored' });
});

test('with a configured path: the path decides; a body without one cannot be compared and is stored', async (t) => {
  const byPath = createServer((req, res) => void handleGitLabWebhook(req, res, { secret: SECRET, project: 'Portcullis/Firewall', inbox: new InboxBatcher(store.inbox), onOutcome: (o) => outcomes.push(o) }));
  await new Promise<void>((resolve) => byPath.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    byPath.closeAllConnections();
    await new Promise<void>((resolve) => byPath.close(() => resolve()));
  });
  const url = `http://127.0.0.1:${(byPath.address() as AddressInfo).port}${PATH}`;
  const post = async (key: string, project: unknown, extra: Record<string, unknown> = {}) => {
    const body = JSON.stringify({ ...JSON.parse(pipelineBody), project, ...extra });
    const res = await fetch(url, { method: 'POST', headers: { ...authed, 'idempotency-key': key }, body });
    return ((await res.json()) as { status: string }).status;
  };
  assert.equal(await post('same-path', { id: 99, path_with_namespace: 'portcullis/firewall' }), 'stored', 'same path, any case, any id');
  assert.equal(await post('other-path', { id: 1, path_with_namespace: 'portcullis/firewall-copy' }), 'ignored');
  assert.equal(await post('no-path', { id: 1 }), 'stored', 'nothing to compare: let in');
  assert.equal(outcomes.filter((o) => o.result === 'other_project').length, 1);
  assert.deepEqual(inbox().map((i) => i.key), ['same-path', 'no-path']);
});
