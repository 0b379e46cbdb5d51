/**
 * The bot under the faults it must shrug off: killed mid-request, duplicated and
 * reordered webhooks, Slack rate limits and socket drops, hostile HTTP.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { APPROVER, Harness, WEBHOOK_SECRET } from './harness.ts';
import { connect } from 'node:net';
import Database from 'better-sqlite3';
import { openStore } from '../../src/store/index.ts';
import { topics } from '../../src/core/topics.ts';

let h: Harness;
before(async () => {
  h = await Harness.start();
});
after(() => h.close());

test('killed with SIGKILL between the approval request and the click, restarted, then approved', async () => {
  const { pipelineId } = await h.request('REQ-30');
  const approval = await h.waitForApprovalRequest('REQ-30');
  // Killed once the bot has recorded the message it posted. (A kill in the instant between
  // Slack accepting a post and the bot recording it would post that one message again.)
  const store = openStore(h.env.DATABASE_PATH!);
  try {
    await h.waitFor('the approval message recorded', () => store.messages.get('REQ-30', topics.approval(pipelineId, store.requests.get('REQ-30')?.planJobId ?? null)));
  } finally {
    store.close();
  }
  assert.equal(await h.stopBot('SIGKILL'), null, 'killed, not exited');
  await h.startBot();
  await h.click(APPROVER, approval, 'approve');
  await h.fakes.gitlab.driver.waitForPipeline(pipelineId, 'success', 15_000);
  await h.waitFor('the deploy result', () => h.threadMessage('REQ-30', /^Deployed/));
  assert.equal(h.parents().filter((m) => m.text.includes('REQ-30')).length, 1, 'the restart posted no second parent');
  assert.equal(h.thread('REQ-30').filter((m) => /waiting for approval|was approved/.test(m.text)).length, 1, 'nor a second approval request');
});

test('duplicated and reordered webhooks change nothing: every topic appears once, in the right state', async () => {
  h.fakes.gitlab.driver.injectWebhookFault({ kind: 'duplicate' }, { times: 1000 });
  h.fakes.gitlab.driver.injectWebhookFault({ kind: 'reorder' }, { event: 'Pipeline Hook', times: 3 });
  const { pipelineId } = await h.request('REQ-31');
  const approval = await h.waitForApprovalRequest('REQ-31');
  await h.click(APPROVER, approval, 'approve');
  await h.fakes.gitlab.driver.waitForPipeline(pipelineId, 'success', 15_000);
  await h.waitFor('the deploy result', () => h.threadMessage('REQ-31', /^Deployed/));
  const keys = h.fakes.gitlab.driver.deliveries().filter((d) => d.payload && JSON.stringify(d.payload).includes('REQ-31')).map((d) => d.idempotencyKey);
  assert.ok(keys.length > new Set(keys).size, 'deliveries really were duplicated');
  const texts = h.thread('REQ-31').map((m) => m.text.replace(/#\d+/, '#N'));
  assert.equal(texts.length, new Set(texts).size, `no message twice: ${JSON.stringify(texts)}`);
  assert.match(JSON.stringify(h.parentOf('REQ-31')?.blocks), /Deployed/);
});

test('Slack answering 429 to a post: the message still arrives, once', async () => {
  h.fakes.slack.driver.rateLimit('chat.postMessage', { calls: 1, retryAfterSec: 1 });
  await h.request('REQ-32');
  await h.waitForApprovalRequest('REQ-32');
  assert.equal(h.parents().filter((m) => m.text.includes('REQ-32')).length, 1);
});

test('a socket disconnect: the click sent meanwhile is delivered after the reconnect and handled once', async () => {
  const { pipelineId } = await h.request('REQ-33');
  const approval = await h.waitForApprovalRequest('REQ-33');
  const before = h.plays();
  h.fakes.slack.driver.dropConnections();
  const ready = () => fetch(`http://127.0.0.1:${h.bot!.port}/readyz`).then((r) => r.status);
  const statuses: number[] = [];
  const watching = (async () => {
    for (const deadline = Date.now() + 15_000; Date.now() < deadline && !(statuses.includes(503) && statuses.at(-1) === 200); ) {
      statuses.push(await ready());
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  await h.click(APPROVER, approval, 'approve');
  await watching;
  assert.ok(statuses.includes(503), 'not ready while the socket is down');
  assert.equal(statuses.at(-1), 200, 'ready again once reconnected');
  await h.fakes.gitlab.driver.waitForPipeline(pipelineId, 'success', 20_000);
  assert.equal(h.plays() - before, 1);
});

test('the webhook door: a wrong secret is 401, an oversized body 413, malformed JSON 400, and none of them is stored', async () => {
  const url = `http://127.0.0.1:${h.bot!.port}/webhooks/gitlab`;
  const post = (headers: Record<string, string>, body: string) => fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) }).then((r) => r.status);
  const event = { 'x-gitlab-event': 'Pipeline Hook', 'content-type': 'application/json' };
  assert.equal(await post({ ...event, 'x-gitlab-token': 'guess' }, JSON.stringify({ object_kind: 'pipeline', object_attributes: { id: 1 } })), 401);
  assert.equal(await post({ ...event }, '{}'), 401);
  assert.equal(await post({ ...event, 'x-gitlab-token': WEBHOOK_SECRET }, `{"object_kind":"pipeline","pad":"${'x'.repeat(1.5 * 1024 * 1024)}"}`), 413);
  assert.equal(await post({ ...event, 'x-gitlab-token': WEBHOOK_SECRET }, '{"object_kind":'), 400);
  const health = await fetch(`http://127.0.0.1:${h.bot!.port}/readyz`).then((r) => r.json());
  assert.deepEqual(health, { status: 'ready', checks: { slack: true, store: true } });
});

test('a malformed request line, sent again and again, does not kill the bot: 400 each time, the process lives, /healthz answers', async () => {
  const bot = h.bot!;
  const raw = (data: string) =>
    new Promise<string>((resolve) => {
      const socket = connect(bot.port, '127.0.0.1');
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
      socket.on('close', () => resolve(text));
      socket.on('error', () => resolve(text));
      socket.setTimeout(5000, () => socket.destroy());
      socket.end(data);
    });
  for (let i = 0; i < 10; i++) {
    assert.match(await raw('GET //[ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'), /^HTTP\/1\.1 400 /);
    assert.match(await raw('GARBAGE\x00 //[ NOT-HTTP\r\n\r\n'), /^HTTP\/1\.1 400 /);
  }
  const exited = await Promise.race([bot.exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 500))]);
  assert.equal(exited, false, 'the bot process is still running');
  assert.equal(bot.process.exitCode, null);
  const health = await fetch(`http://127.0.0.1:${bot.port}/healthz`, { signal: AbortSignal.timeout(5000) });
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: 'ok' });
});

test('a delivery of another GitLab project is answered 200, not stored, and logged', async () => {
  const body = JSON.stringify({
    object_kind: 'pipeline',
    object_attributes: { id: 424242, ref: 'main', sha: 'f'.repeat(40), status: 'running', source: 'push' },
    project: { id: 999, path_with_namespace: 'someone/else' },
  });
  const res = await fetch(`http://127.0.0.1:${h.bot!.port}/webhooks/gitlab`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Pipeline Hook', 'x-gitlab-token': WEBHOOK_SECRET, 'idempotency-key': 'foreign-delivery-1' },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { status: 'ignored' });
  const db = new Database(h.env.DATABASE_PATH!, { readonly: true });
  try {
    assert.equal(db.prepare("SELECT count(*) FROM inbox WHERE key = 'foreign-delivery-1'").pluck().get(), 0);
  } finally {
    db.close();
  }
  const line = await h.waitFor('the log line', () => h.bot!.lines.find((l) => l.includes('another GitLab project')));
  assert.equal((JSON.parse(line) as { projectPath: string }).projectPath, 'someone/else');
});

test('a webhook\'s log lines carry its delivery id, pipeline id and request id', () => {
  const lines = h.allLines.flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
  assert.ok(lines.some((l) => typeof l.deliveryId === 'string' && typeof l.pipelineId === 'number' && typeof l.requestId === 'string'), 'one line with all three');
});

test('no token or secret appears in any line the bot logged, at debug level, across everything above', () => {
  const e = h.fakes.endpoints;
  assert.ok(h.allLines.length > 100, 'the bot did log');
  for (const secret of [e.slackBotToken, e.slackAppToken, e.gitlabToken, WEBHOOK_SECRET]) {
    const leaks = h.allLines.filter((l) => l.includes(secret));
    assert.deepEqual(leaks.slice(0, 3), [], `a log line carries ${secret.slice(0, 5)}…`);
  }
});
