import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEntry } from '../../src/core/ports.ts';
import { newChangeRequest } from '../../src/domain/request.ts';
import { openStore } from '../../src/store/index.ts';

function storeWith(t: { after(fn: () => void): void }, ...ids: string[]) {
  const store = openStore(':memory:');
  t.after(() => store.close());
  for (const id of ids) {
    store.requests.save(newChangeRequest({ id, kind: 'request', environment: 'default', state: 'awaiting_approval', rule: null, requester: 'U0REQ', at: '2025-03-01T10:00:00.000Z' }));
  }
  return store;
}

test('an approval counts once per user, in the order given, per request', (t) => {
  const { approvals } = storeWith(t, 'r-1', 'r-2');
  assert.equal(approvals.add('r-1', 'U0B', '2025-03-01T10:01:00.000Z'), true);
  assert.equal(approvals.add('r-1', 'U0A', '2025-03-01T10:02:00.000Z'), true);
  assert.equal(approvals.add('r-1', 'U0B', '2025-03-01T10:03:00.000Z'), false);
  assert.equal(approvals.add('r-2', 'U0B', '2025-03-01T10:03:00.000Z'), true);
  assert.deepEqual(approvals.list('r-1'), ['U0B', 'U0A']);
  assert.deepEqual(approvals.list('r-2'), ['U0B']);
});

test('clear forgets one request\'s approvals so a new plan needs new ones', (t) => {
  const { approvals } = storeWith(t, 'r-1', 'r-2');
  approvals.add('r-1', 'U0A', '2025-03-01T10:01:00.000Z');
  approvals.add('r-2', 'U0A', '2025-03-01T10:01:00.000Z');
  approvals.clear('r-1');
  assert.deepEqual(approvals.list('r-1'), []);
  assert.deepEqual(approvals.list('r-2'), ['U0A']);
  assert.equal(approvals.add('r-1', 'U0A', '2025-03-01T10:05:00.000Z'), true);
});

test('approvals and messages must belong to a stored request', (t) => {
  const store = storeWith(t);
  assert.throws(() => store.approvals.add('ghost', 'U0A', '2025-03-01T10:00:00.000Z'), /FOREIGN KEY/);
  assert.throws(() => store.messages.put('ghost', 'parent', { channel: 'C1', ts: '1.1', hash: 'h' }), /FOREIGN KEY/);
});

test('audit entries list in the order recorded, all or per request', (t) => {
  const { audit } = storeWith(t);
  const entry = (requestId: string, action: string, outcome: AuditEntry['outcome']): AuditEntry => ({
    at: '2025-03-01T10:00:00.000Z', requestId, actor: 'U0A', action, outcome, detail: `${action} ${requestId}`,
  });
  // Same timestamp on purpose: order must come from insertion, not from `at`.
  const entries = [entry('r-1', 'refuse', 'refused'), entry('r-2', 'approve', 'ok'), entry('r-1', 'approve', 'ok'), entry('r-1', 'play', 'error')];
  for (const e of entries) audit.record(e);
  assert.deepEqual(audit.list(), entries);
  assert.deepEqual(audit.list('r-1'), [entries[0], entries[2], entries[3]]);
  assert.deepEqual(audit.list('unknown'), []);
});

test('messages: get what was put, overwrite by topic, keep topics apart', (t) => {
  const { messages } = storeWith(t, 'r-1');
  assert.equal(messages.get('r-1', 'parent'), undefined);
  messages.put('r-1', 'parent', { channel: 'C1', ts: '100.1', hash: 'h1' });
  messages.put('r-1', 'plan', { channel: 'C1', ts: '100.2', hash: 'p1' });
  messages.put('r-1', 'parent', { channel: 'C1', ts: '100.1', hash: 'h2' });
  assert.deepEqual(messages.get('r-1', 'parent'), { channel: 'C1', ts: '100.1', hash: 'h2' });
  assert.deepEqual(messages.get('r-1', 'plan'), { channel: 'C1', ts: '100.2', hash: 'p1' });
});
