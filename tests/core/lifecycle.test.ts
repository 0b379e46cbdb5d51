/**
 * The one exit for request changes: a unit of work records its compare-and-sets with
 * their audit entries, and whatever it changed is handed to the follow-ups exactly once,
 * after the request's lock is released — also when the work fails part way.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RequestChange } from '../../src/core/deps.ts';
import { withNewRequest, withRequest } from '../../src/core/lifecycle.ts';
import { changeRequest, testDeps } from '../helpers/deps.ts';

function recorded(t: { after(fn: () => void): void }) {
  const changes: Array<Pick<RequestChange, 'approvalsChanged'> & { before: string | null; after: string }> = [];
  const deps = testDeps({
    followUps: {
      afterChange: async (d, c) => {
        // Followed up outside the lock: a unit of work on the same request can run here.
        await d.locks.run(c.after.id, async () => undefined);
        changes.push({ before: c.before?.state ?? null, after: c.after.state, approvalsChanged: c.approvalsChanged });
      },
      resume: async () => undefined,
    },
  });
  t.after(() => deps.store.close());
  return { deps, changes };
}

test('a transition is recorded with its audit entry and followed up once', async (t) => {
  const { deps, changes } = recorded(t);
  deps.store.requests.save(changeRequest({ id: 'REQ-1', state: 'awaiting_approval' }));
  const moved = await withRequest(deps, 'REQ-1', async (tx) => tx.transition('awaiting_approval', 'deploying', { audit: { actor: 'U0BOB', action: 'play', outcome: 'ok', detail: 'job 555' } }));
  assert.equal(moved, true);
  assert.equal(deps.store.requests.get('REQ-1')?.state, 'deploying');
  assert.deepEqual(deps.store.audit.list('REQ-1').map((e) => [e.actor, e.action, e.detail]), [['U0BOB', 'play', 'job 555']]);
  assert.deepEqual(changes, [{ before: 'awaiting_approval', after: 'deploying', approvalsChanged: false }]);
});

test('a compare-and-set that loses changes nothing, audits nothing and is not followed up', async (t) => {
  const { deps, changes } = recorded(t);
  deps.store.requests.save(changeRequest({ id: 'REQ-1', state: 'deploying' }));
  const moved = await withRequest(deps, 'REQ-1', async (tx) => tx.transition('awaiting_approval', 'deploying', { audit: { actor: 'U0BOB', action: 'play', outcome: 'ok', detail: '' } }));
  assert.equal(moved, false);
  assert.deepEqual(deps.store.audit.list('REQ-1'), []);
  assert.deepEqual(changes, []);
});

test('an approval that leaves the state alone is followed up too: the approvers see it', async (t) => {
  const { deps, changes } = recorded(t);
  deps.store.requests.save(changeRequest({ id: 'REQ-1' }));
  await withRequest(deps, 'REQ-1', async () => void deps.store.approvals.add('REQ-1', 'U0BOB', new Date().toISOString()));
  assert.deepEqual(changes, [{ before: 'awaiting_approval', after: 'awaiting_approval', approvalsChanged: true }]);
});

test('work that fails after a change still has the change followed up, and the failure reaches the caller', async (t) => {
  const { deps, changes } = recorded(t);
  deps.store.requests.save(changeRequest({ id: 'REQ-1', state: 'submitted' }));
  await assert.rejects(
    withRequest(deps, 'REQ-1', async (tx) => {
      tx.transition('submitted', 'failed');
      throw new Error('Slack is down');
    }),
    /Slack is down/,
  );
  assert.deepEqual(changes, [{ before: 'submitted', after: 'failed', approvalsChanged: false }]);
});

test('a new request is stored before the first await, and followed up as a change from nothing', async (t) => {
  const { deps, changes } = recorded(t);
  const running = withNewRequest(deps, changeRequest({ id: 'REQ-2', state: 'queued' }), { actor: 'U0ALICE', action: 'submit', outcome: 'ok', detail: 'queued' }, async () => undefined);
  assert.equal(deps.store.requests.get('REQ-2')?.state, 'queued', 'stored synchronously: a concurrent caller sees it');
  await running;
  assert.deepEqual(deps.store.audit.list('REQ-2').map((e) => e.action), ['submit']);
  assert.deepEqual(changes, [{ before: null, after: 'queued', approvalsChanged: false }]);
});

test('units of work on one request run one after another', async (t) => {
  const { deps } = recorded(t);
  deps.store.requests.save(changeRequest({ id: 'REQ-1' }));
  const order: string[] = [];
  await Promise.all([
    withRequest(deps, 'REQ-1', async () => {
      order.push('first:start');
      await new Promise((r) => setTimeout(r, 20));
      order.push('first:end');
    }),
    withRequest(deps, 'REQ-1', async () => void order.push('second')),
  ]);
  assert.deepEqual(order, ['first:start', 'first:end', 'second']);
});
