/**
 * The inbox worker: a delivery is marked done only after its pipeline was synced; a
 * failure leaves it in the inbox with a growing delay, and a later attempt finishes it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffMs, InboxWorker } from '../../src/core/worker.ts';
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
