import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reconcileOnce, STUCK_SUBMISSION_MS } from '../../src/core/reconcile.ts';
import { homeDeps, NOW, stored, stubChat, stubVcs } from './home-fixtures.ts';

test('a request left "submitted" with no pipeline (the bot stopped part way) fails after a while, saying why, and frees the queue', async (t) => {
  const posts: string[] = [];
  let ts = 0;
  const chat = stubChat({
    post: async (_c, m) => {
      posts.push(m.text);
      return { ts: String(++ts) };
    },
    update: async () => undefined,
  });
  const vcs = stubVcs({ listBranchPipelines: async () => [] });
  const deps = homeDeps(t, { chat, vcs });
  const old = new Date(NOW.getTime() - STUCK_SUBMISSION_MS - 1000).toISOString();
  const fresh = new Date(NOW.getTime() - 1000).toISOString();
  stored(deps, { id: 'REQ-5', state: 'submitted', pipelineId: null, createdAt: old });
  stored(deps, { id: 'REQ-6', state: 'submitted', pipelineId: null, createdAt: fresh });
  await reconcileOnce(deps);
  assert.equal(deps.store.requests.get('REQ-5')?.state, 'failed');
  assert.equal(deps.store.requests.get('REQ-6')?.state, 'submitted', 'a fresh one may still be on its way');
  assert.ok(posts.some((p) => /GitLab did not take this request/.test(p)), JSON.stringify(posts));
  assert.ok(deps.store.audit.list('REQ-5').some((e) => e.action === 'submit' && e.outcome === 'error'));
});
