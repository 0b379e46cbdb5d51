import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_DEPLOY_PLAY_TIMEOUT_MS, reconcileOnce } from '../../src/core/reconcile.ts';
import type { FileAction } from '../../src/core/ports.ts';
import { answeringVcs, GITLAB, homeDeps, NOW, stored, stubChat } from './home-fixtures.ts';

const chatThatPosts = () => {
  let ts = 0;
  return stubChat({ post: async () => ({ ts: String(++ts) }), update: async () => undefined });
};

test('a request left "submitted" (the bot stopped while opening it) is taken up where it stopped: only the missing steps are made', async (t) => {
  const calls: string[] = [];
  const vcs = answeringVcs({
    defaultBranch: async () => 'main',
    // The branch was made before the stop; the commit, the pipeline were not; the merge request was.
    branchHead: async () => 'b'.repeat(40),
    createBranch: async () => void calls.push('createBranch'),
    readFile: async () => null,
    commitFiles: async (_branch: string, _message: string, actions: FileAction[]) => {
      calls.push(`commit ${actions.map((a) => `${a.action} ${a.path}`).join()}`);
      return { sha: 'c'.repeat(40) };
    },
    createMergeRequest: async () => {
      calls.push('createMergeRequest');
      throw new Error('not expected');
    },
    listBranchPipelines: async () => [],
    createPipeline: async (ref) => {
      calls.push(`createPipeline ${ref}`);
      return { id: 300, ref, sha: 'c'.repeat(40), status: 'created', source: 'api', webUrl: `${GITLAB}/-/pipelines/300` };
    },
  });
  const deps = homeDeps(t, { chat: chatThatPosts(), vcs });
  stored(deps, { id: 'REQ-5', state: 'submitted', pipelineId: null, mergeRequestIid: null, sha: null, deployJobId: null, awaitingSince: null });
  await reconcileOnce(deps);
  assert.deepEqual(calls, ['commit create terraform/rules/REQ-5.json', 'createPipeline sg-request/REQ-5']);
  const after = deps.store.requests.get('REQ-5')!;
  assert.deepEqual([after.state, after.pipelineId, after.mergeRequestIid], ['planning', 300, 7]);
});

test('an approved deploy GitLab still shows as not played, long after the approval, waits for approval again, audited', async (t) => {
  const deps = homeDeps(t, { chat: chatThatPosts(), vcs: answeringVcs({ branchHead: async () => null, readArtifact: async () => null }) });
  const long = new Date(NOW.getTime() - DEFAULT_DEPLOY_PLAY_TIMEOUT_MS - 1000).toISOString();
  const recent = new Date(NOW.getTime() - 1000).toISOString();
  stored(deps, { id: 'REQ-6', state: 'deploying' });
  stored(deps, { id: 'REQ-7', state: 'deploying', pipelineId: 101 });
  deps.store.approvals.add('REQ-6', 'U0BOB', long);
  deps.store.audit.record({ at: long, requestId: 'REQ-6', actor: 'U0BOB', action: 'approve', outcome: 'ok', detail: 'pipeline 100' });
  deps.store.audit.record({ at: recent, requestId: 'REQ-7', actor: 'U0BOB', action: 'approve', outcome: 'ok', detail: 'pipeline 101' });
  await reconcileOnce(deps);
  assert.equal(deps.store.requests.get('REQ-6')?.state, 'awaiting_approval');
  assert.deepEqual(deps.store.approvals.list('REQ-6'), [], 'the lost approval does not count');
  assert.ok(deps.store.audit.list('REQ-6').some((e) => e.action === 'play' && e.outcome === 'error' && /still not played/.test(e.detail)));
  assert.equal(deps.store.requests.get('REQ-7')?.state, 'deploying', 'a play a moment ago may still be on its way');
});
