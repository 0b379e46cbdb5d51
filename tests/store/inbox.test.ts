import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InboxDelivery } from '../../src/core/ports.ts';
import { openStore } from '../../src/store/index.ts';

const delivery = (key: string, body = `{"key":"${key}"}`): InboxDelivery => ({
  key,
  event: 'Pipeline Hook',
  body,
  receivedAt: '2025-03-01T10:00:00.000Z',
});

const NOW = new Date('2025-03-01T10:00:00.000Z');
const later = (ms: number) => new Date(NOW.getTime() + ms);

function memoryStore(t: { after(fn: () => void): void }) {
  const store = openStore(':memory:');
  t.after(() => store.close());
  return store;
}

function tempDb(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-inbox-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'db.sqlite');
}

test('the same key twice is stored once', (t) => {
  const { inbox } = memoryStore(t);
  assert.equal(inbox.add(delivery('uuid-1', '{"first":true}')), true);
  assert.equal(inbox.add(delivery('uuid-1', '{"second":true}')), false);
  assert.equal(inbox.pending(), 1);
  assert.equal(inbox.next(NOW)?.body, '{"first":true}');
});

test('a key stays a duplicate after its delivery was processed', (t) => {
  const { inbox } = memoryStore(t);
  inbox.add(delivery('uuid-1'));
  inbox.done(inbox.next(NOW)!.seq);
  assert.equal(inbox.add(delivery('uuid-1')), false);
  assert.equal(inbox.next(NOW), undefined);
});

test('deliveries come out oldest first, with every field', (t) => {
  const { inbox } = memoryStore(t);
  for (const key of ['c', 'a', 'b']) inbox.add(delivery(key));
  const first = inbox.next(NOW)!;
  assert.deepEqual({ ...first, seq: undefined }, { ...delivery('c'), seq: undefined, attempts: 0 });
  const order: string[] = [];
  for (let item = inbox.next(NOW); item; item = inbox.next(NOW)) {
    order.push(item.key);
    inbox.done(item.seq);
  }
  assert.deepEqual(order, ['c', 'a', 'b']);
  assert.equal(inbox.pending(), 0);
});

test('retryLater hides an item until it is due and counts the attempt', (t) => {
  const { inbox } = memoryStore(t);
  inbox.add(delivery('a'));
  inbox.add(delivery('b'));
  const a = inbox.next(NOW)!;
  inbox.retryLater(a.seq, 'GitLab answered 502', later(30_000));

  assert.equal(inbox.next(NOW)?.key, 'b', 'the postponed item is skipped, not blocking the next one');
  assert.equal(inbox.next(later(29_999))?.key, 'b');
  const due = inbox.next(later(30_000))!;
  assert.equal(due.key, 'a', 'once due, the older item comes first again');
  assert.equal(due.attempts, 1);
  assert.equal(inbox.pending(), 2, 'a postponed item is still pending');
});

test('done removes an item from next() and pending()', (t) => {
  const { inbox } = memoryStore(t);
  inbox.add(delivery('a'));
  inbox.add(delivery('b'));
  inbox.done(inbox.next(NOW)!.seq);
  assert.equal(inbox.pending(), 1);
  assert.equal(inbox.next(later(1e9))?.key, 'b');
});

test('pending deliveries survive closing and reopening the file', (t) => {
  const path = tempDb(t);
  const before = openStore(path);
  for (const key of ['a', 'b', 'c']) before.inbox.add(delivery(key));
  before.inbox.done(before.inbox.next(NOW)!.seq);
  before.close();

  const after = openStore(path);
  t.after(() => after.close());
  assert.equal(after.inbox.pending(), 2);
  assert.equal(after.inbox.next(NOW)?.key, 'b');
  assert.equal(after.inbox.add(delivery('a')), false, 'processed keys are remembered across restarts');
});

test('a delivery is on disk once add() returns, even if the process is SIGKILLed right then', (t) => {
  const path = tempDb(t);
  openStore(path).close(); // the file exists before the child races to it
  const storeModule = new URL('../../src/store/index.ts', import.meta.url).href;
  const child = `
    const { openStore } = await import(${JSON.stringify(storeModule)});
    const store = openStore(process.argv[1]);
    for (let i = 0; i < 20; i++) {
      store.inbox.add({ key: 'crash-' + i, event: 'Job Hook', body: '{}', receivedAt: new Date().toISOString() });
    }
    // No close(), no checkpoint, no exit handlers: the process dies here.
    process.kill(process.pid, 'SIGKILL');
  `;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child, path], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(result.signal, 'SIGKILL', `child did not die by SIGKILL: ${result.stderr}`);

  const store = openStore(path);
  t.after(() => store.close());
  assert.equal(store.inbox.pending(), 20);
  assert.equal(store.inbox.next(NOW)?.key, 'crash-0');
});

test('many deliveries in one transaction: each reported new or duplicate, all or none stored', (t) => {
  const { inbox } = memoryStore(t);
  inbox.add(delivery('old'));
  assert.deepEqual(inbox.addMany([delivery('a'), delivery('old'), delivery('b'), delivery('a')]), [true, false, true, false]);
  assert.equal(inbox.pending(), 3);
  // A delivery the schema refuses fails the whole batch: nothing of it is stored.
  assert.throws(() => inbox.addMany([delivery('c'), { ...delivery('d'), body: null as unknown as string }]));
  assert.equal(inbox.pending(), 3);
});

test('prune forgets processed deliveries older than the cut-off, never pending ones', (t) => {
  let now = NOW;
  const store = openStore(':memory:', { clock: () => now });
  t.after(() => store.close());
  const { inbox } = store;
  for (const key of ['old', 'recent', 'waiting']) inbox.add(delivery(key));
  inbox.done(inbox.next(NOW)!.seq); // 'old', processed at NOW
  now = later(60_000);
  inbox.done(inbox.next(now)!.seq); // 'recent', processed a minute later
  assert.equal(inbox.prune(later(30_000)), 1);
  assert.equal(inbox.add(delivery('old')), true, 'forgotten, so new again');
  assert.equal(inbox.add(delivery('recent')), false, 'still remembered');
  assert.equal(inbox.prune(later(10 ** 9)), 1, 'only processed rows go');
  assert.equal(inbox.pending(), 2);
});

test('fail parks a delivery: not next, not pending, listed as failed with its attempts and last error', (t) => {
  let now = NOW;
  const store = openStore(':memory:', { clock: () => now });
  t.after(() => store.close());
  const { inbox } = store;
  for (const key of ['a', 'b']) inbox.add(delivery(key));
  const a = inbox.next(NOW)!;
  inbox.retryLater(a.seq, 'GitLab answered 502', later(1000));
  now = later(5000);
  inbox.fail(a.seq, 'reading pipeline 5: 404 Not found');

  assert.equal(inbox.next(new Date(8.64e15))?.key, 'b', 'a failed delivery is never due again');
  assert.equal(inbox.pending(), 1);
  assert.deepEqual(inbox.list(), [
    { key: 'a', event: 'Pipeline Hook', status: 'failed', attempts: 2, lastError: 'reading pipeline 5: 404 Not found', receivedAt: NOW.toISOString(), nextAttemptAt: null, failedAt: later(5000).toISOString() },
    { key: 'b', event: 'Pipeline Hook', status: 'pending', attempts: 0, lastError: null, receivedAt: NOW.toISOString(), nextAttemptAt: null, failedAt: null },
  ]);
  assert.equal(inbox.prune(new Date(8.64e15)), 0, 'prune never forgets a failed delivery');
  assert.equal(inbox.add(delivery('a')), false, 'a redelivery of a failed key is still a duplicate');
});

test('retry puts a failed delivery back, due at once and counted from zero; unknown and processed keys are told apart', (t) => {
  const { inbox } = memoryStore(t);
  inbox.add(delivery('a'));
  inbox.add(delivery('done'));
  const a = inbox.next(NOW)!;
  inbox.fail(a.seq, 'boom');
  inbox.done(inbox.next(NOW)!.seq);

  assert.equal(inbox.retry('a'), 'requeued');
  const again = inbox.next(NOW)!;
  assert.equal(again.key, 'a');
  assert.equal(again.attempts, 0);
  assert.equal(inbox.list()[0]?.lastError, 'boom', 'the last error stays visible until the next attempt');
  assert.equal(inbox.retry('nope'), 'unknown');
  assert.equal(inbox.retry('done'), 'processed');
});

test('a pending delivery waiting on its backoff lists when it is tried next, and retry makes it due now', (t) => {
  const { inbox } = memoryStore(t);
  inbox.add(delivery('a'));
  inbox.retryLater(inbox.next(NOW)!.seq, 'GitLab answered 502', later(60_000));
  assert.equal(inbox.list()[0]?.nextAttemptAt, later(60_000).toISOString());
  assert.equal(inbox.next(NOW), undefined);
  assert.equal(inbox.retry('a'), 'requeued');
  assert.equal(inbox.next(NOW)?.key, 'a');
});
