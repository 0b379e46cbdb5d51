/**
 * The bot under the faults it must shrug off: killed mid-request, duplicated and
 * reordered webhooks, Slack rate limits and socket drops, hostile HTTP.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { APPROVER, Harness, WEBHOOK_SECRET } from './harness.ts';
import { openStore } from '../../src/store/index.ts';

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
    await h.waitFor('the approval message recorded', () => store.messages.get('REQ-30', `approval:${pipelineId}`));
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
