/**
 * The inbox worker: a delivery is marked done only after its pipeline was synced; a
 * failure leaves it in the inbox with a growing delay, and a later attempt finishes it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attemptsAllowed, backoffMs, InboxWorker, MAX_ATTEMPTS, MAX_REFUSED_ATTEMPTS } from '../../src/core/worker.ts';
import type { BotDeps } from '../../src/core/deps.ts';
import { VcsError } from '../../src/gitlab/errors.ts';
import { createLogger } from '../../src/log.ts';
import type { SqliteStore } from '../../src/store/index.ts';
import { answeringVcs, homeDeps, NOW, stored, stubChat } from './home-fixtures.ts';

const delivery = (key: string, pipelineId: number) => ({
  key,
  event: 'Pipeline Hook',
  body: JSON.stringify({ object_kind: 'pipeline', object_attributes: { id: pipelineId, ref: 'sg-request/REQ-1', sha: 'abc', status: 'manual' }, project: { id: 1 } }),
  receivedAt: NOW.toISOString(),
});

test('a delivery whose processing fails stays in the inbox, retried later; then it is done', async (t) => {
  let failing = true;
  const vcs = answeringVcs({
    getPipeline: async (id) => {
      if (failing) throw new Error('GitLab is down');
      return { id, ref: 'sg-request/REQ-1', sha: 'abc', status: 'manual', source: 'api', webUrl: `http://127.0.0.1/p/${id}` };
    },
  });
  let posts = 0;
  const chat = stubChat({ post: async () => ({ ts: String(++posts) }), update: async () => undefined });
  const deps = homeDeps(t, { vcs, chat });
  stored(deps, { id: 'REQ-1', pipelineId: 100 });
  deps.store.inbox.add(delivery('d-1', 100));

  const worker = new InboxWorker(deps);
  worker.start();
  const until = async (what: string, probe: () => boolean) => {
    for (const deadline = Date.now() + 5000; !probe(); ) {
      if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  try {
    // The clock stands still at NOW, so the retry is not due: the item waits, attempted once.
    await until('the first attempt', () => deps.store.inbox.next(new Date(NOW.getTime() + 10 ** 9))?.attempts === 1);
    assert.equal(deps.store.inbox.pending(), 1);
    assert.equal(posts, 0, 'nothing posted for a pipeline that could not be read');

    failing = false;
    deps.now = () => new Date(NOW.getTime() + backoffMs(0) + 1); // the retry is due
    worker.wake();
    await until('the retry to finish it', () => deps.store.inbox.pending() === 0);
    assert.ok(posts > 0, 'the thread was posted on the retry');
  } finally {
    await worker.stop();
  }
});

test('retry delays grow and are capped', () => {
  assert.deepEqual([0, 1, 2].map(backoffMs), [1000, 2000, 4000]);
  assert.equal(backoffMs(40), 5 * 60_000);
});

test('the attempts allowed: about an hour of backoff in general, a few seconds when GitLab refused', () => {
  const waited = Array.from({ length: MAX_ATTEMPTS - 1 }, (_, i) => backoffMs(i)).reduce((a, b) => a + b, 0);
  assert.ok(waited > 45 * 60_000 && waited < 75 * 60_000, `${waited / 60_000} minutes`);
  assert.equal(attemptsAllowed(new Error('socket hang up')), MAX_ATTEMPTS);
  assert.equal(attemptsAllowed(new VcsError('GITLAB_UNAVAILABLE', 502, 'reading pipeline 5: 502')), MAX_ATTEMPTS);
  assert.equal(attemptsAllowed(new VcsError('GITLAB_REFUSED', 404, 'reading pipeline 5: 404 Not found')), MAX_REFUSED_ATTEMPTS);
  assert.ok(MAX_REFUSED_ATTEMPTS < MAX_ATTEMPTS);
});

/** Runs the worker until the inbox has nothing due at any time, stepping the clock past each retry. */
async function drain(deps: BotDeps): Promise<void> {
  const worker = new InboxWorker(deps);
  worker.start();
  let clock = deps.now().getTime();
  try {
    for (const deadline = Date.now() + 10_000; deps.store.inbox.next(new Date(8.64e15)); ) {
      if (Date.now() > deadline) throw new Error('the inbox never drained');
      // Past any retry delay (5 minutes at most).
      clock += 10 * 60_000;
      const now = new Date(clock);
      deps.now = () => now;
      worker.wake();
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    await worker.stop();
  }
}

function loggedLines(deps: BotDeps): Array<Record<string, unknown>> {
  const lines: Array<Record<string, unknown>> = [];
  deps.log = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line)) } });
  return lines;
}

for (const [what, error, expected] of [
  ['an outage that never ends', new Error('GitLab is down'), MAX_ATTEMPTS],
  ['GitLab refusing (404: not a pipeline of this project)', new VcsError('GITLAB_REFUSED', 404, 'reading pipeline 100: 404 Not found'), MAX_REFUSED_ATTEMPTS],
] as const) {
  test(`a delivery failing for ever (${what}) is parked as failed after ${expected} attempts, logged at error, and tried no more`, async (t) => {
    let calls = 0;
    const vcs = answeringVcs({
      getPipeline: async () => {
        calls += 1;
        throw error;
      },
    });
    const deps = homeDeps(t, { vcs });
    const lines = loggedLines(deps);
    stored(deps, { id: 'REQ-1', pipelineId: 100 });
    deps.store.inbox.add(delivery('d-forever', 100));
    await drain(deps);

    assert.equal(calls, expected);
    assert.equal(deps.store.inbox.pending(), 0, 'no longer pending');
    assert.equal(deps.store.inbox.next(new Date(8.64e15)), undefined, 'never due again');
    const [entry] = (deps.store as SqliteStore).inbox.list();
    assert.equal(entry?.status, 'failed');
    assert.equal(entry?.attempts, expected);
    assert.equal(entry?.lastError, error.message);
    const last = lines.filter((l) => l.deliveryId === 'd-forever' && l.level === 50);
    assert.equal(last.length, expected, 'every failure logged at error');
    assert.match(String(last.at(-1)?.msg), /parked as failed/);
    assert.equal(last.at(-1)?.attempts, expected);
  });
}

test('a failed delivery put back is processed again, and done', async (t) => {
  let failing = true;
  const vcs = answeringVcs({
    getPipeline: async (id) => {
      if (failing) throw new VcsError('GITLAB_REFUSED', 403, 'reading pipeline: 403 Forbidden');
      return { id, ref: 'sg-request/REQ-1', sha: 'abc', status: 'manual', source: 'api', webUrl: `http://127.0.0.1/p/${id}` };
    },
  });
  const chat = stubChat({ post: async () => ({ ts: '1' }), update: async () => undefined });
  const deps = homeDeps(t, { vcs, chat });
  stored(deps, { id: 'REQ-1', pipelineId: 100 });
  deps.store.inbox.add(delivery('d-back', 100));
  await drain(deps);
  const inbox = (deps.store as SqliteStore).inbox;
  assert.equal(inbox.list()[0]?.status, 'failed');

  failing = false; // the token was fixed
  assert.equal(inbox.retry('d-back'), 'requeued');
  await drain(deps);
  assert.deepEqual(inbox.list(), []);
  assert.equal(inbox.pending(), 0);
});
