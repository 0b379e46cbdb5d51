import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChangeRequest } from '../../src/domain/request.ts';
import { openStore } from '../../src/store/index.ts';
import { changeRequest } from '../helpers/deps.ts';

const request = (id: string, overrides: Partial<ChangeRequest> = {}): ChangeRequest =>
  changeRequest({ id, pipelineId: 100, sha: 'a'.repeat(40), deployJobId: 501, awaitingSince: '2025-03-01T10:05:00.000Z', createdAt: '2025-03-01T10:00:00.000Z', updatedAt: '2025-03-01T10:05:00.000Z', ...overrides });

const CLOCK = new Date('2025-03-01T12:00:00.000Z');

function memoryStore(t: { after(fn: () => void): void }) {
  const store = openStore(':memory:', { clock: () => CLOCK });
  t.after(() => store.close());
  return store;
}

test('a saved request reads back equal, by id and by pipeline', (t) => {
  const { requests } = memoryStore(t);
  const r = request('r-100');
  requests.save(r);
  assert.deepEqual(requests.get('r-100'), r);
  assert.deepEqual(requests.byPipeline(100), r);
  assert.equal(requests.get('nope'), undefined);
  assert.equal(requests.byPipeline(999), undefined);
});

test('an external request without rule or requester round-trips its nulls', (t) => {
  const { requests } = memoryStore(t);
  const r = request('ext-5', { kind: 'external', rule: null, requester: null, mergeRequestIid: null, sha: null, deployJobId: null, awaitingSince: null, state: 'planning' });
  requests.save(r);
  assert.deepEqual(requests.get('ext-5'), r);
});

test('save replaces the whole record without dropping its approvals or messages', (t) => {
  const store = memoryStore(t);
  store.requests.save(request('r-1'));
  store.approvals.add('r-1', 'U0A', '2025-03-01T11:00:00.000Z');
  store.messages.put('r-1', 'parent', { channel: 'C1', ts: '1.1', hash: 'h' });
  const replaced = request('r-1', { pipelineId: 101, sha: 'b'.repeat(40), state: 'planning' });
  store.requests.save(replaced);
  assert.deepEqual(store.requests.get('r-1'), replaced);
  assert.deepEqual(store.approvals.list('r-1'), ['U0A']);
  assert.ok(store.messages.get('r-1', 'parent'));
});

test('transition moves only from the expected state, and only once', (t) => {
  const { requests } = memoryStore(t);
  requests.save(request('r-1'));
  // Two clicks read "awaiting_approval" and both try to move on: one wins.
  const first = requests.transition('r-1', 'awaiting_approval', 'deploying');
  const second = requests.transition('r-1', 'awaiting_approval', 'rejected');
  assert.deepEqual([first, second], [true, false]);
  const now = requests.get('r-1')!;
  assert.equal(now.state, 'deploying');
  assert.equal(now.updatedAt, CLOCK.toISOString(), 'the move is stamped with the store clock');
  assert.equal(requests.transition('missing', 'submitted', 'planning'), false);
});

test('transition applies the patch and leaves other fields alone', (t) => {
  const { requests } = memoryStore(t);
  const before = request('r-1', { state: 'planning', deployJobId: null, awaitingSince: null });
  requests.save(before);
  const moved = requests.transition('r-1', 'planning', 'awaiting_approval', {
    deployJobId: 777,
    awaitingSince: '2025-03-01T11:30:00.000Z',
    updatedAt: '2025-03-01T11:30:00.000Z',
    state: 'failed', // `to` wins over a state in the patch
  });
  assert.equal(moved, true);
  assert.deepEqual(requests.get('r-1'), {
    ...before,
    state: 'awaiting_approval',
    deployJobId: 777,
    awaitingSince: '2025-03-01T11:30:00.000Z',
    updatedAt: '2025-03-01T11:30:00.000Z',
  });
});

test('transition can set a field to null, which is different from leaving it out', (t) => {
  const { requests } = memoryStore(t);
  requests.save(request('r-1'));
  assert.ok(requests.transition('r-1', 'awaiting_approval', 'planning', { awaitingSince: null, sha: 'c'.repeat(40) }));
  const r = requests.get('r-1')!;
  assert.equal(r.awaitingSince, null);
  assert.equal(r.sha, 'c'.repeat(40));
  assert.equal(r.deployJobId, 501);
});

test('two connections on one file: the second transition from the same state loses', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-requests-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'db.sqlite');
  const a = openStore(path);
  const b = openStore(path);
  t.after(() => { a.close(); b.close(); });
  a.requests.save(request('r-1'));
  const wins = [a.requests.transition('r-1', 'awaiting_approval', 'deploying'), b.requests.transition('r-1', 'awaiting_approval', 'deploying')];
  assert.deepEqual(wins, [true, false]);
});

test('open() lists requests not in a final state, oldest first', (t) => {
  const { requests } = memoryStore(t);
  requests.save(request('new', { createdAt: '2025-03-02T00:00:00.000Z', state: 'planning' }));
  requests.save(request('old', { createdAt: '2025-03-01T00:00:00.000Z', state: 'queued' }));
  for (const state of ['deployed', 'rejected', 'failed', 'cancelled', 'expired'] as const) {
    requests.save(request(`done-${state}`, { state }));
  }
  requests.save(request('waiting'));
  assert.deepEqual(requests.open().map((r) => r.id), ['old', 'waiting', 'new']);
});

test('a stored rule that no longer passes the rule schema is refused on read', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-requests-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'db.sqlite');
  const store = openStore(path);
  t.after(() => store.close());
  store.requests.save(request('r-1'));
  const raw = new Database(path);
  raw.prepare("UPDATE requests SET rule = json_set(rule, '$.cidr', 'not-a-cidr')").run();
  raw.close();
  assert.throws(() => store.requests.get('r-1'), /stored rule of request r-1: cidr/);
});
