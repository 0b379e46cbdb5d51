/**
 * A child pipeline (the service-checks trigger job's, source parent_pipeline) runs on
 * the request's branch and sha with a higher id. It is never the request's pipeline:
 * neither a sync of it nor reconciliation's look-up by branch may adopt it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reconcileOnce } from '../../src/core/reconcile.ts';
import { syncPipeline } from '../../src/core/sync.ts';
import type { PipelineInfo } from '../../src/core/ports.ts';
import { GITLAB, homeDeps, stored, stubChat, stubVcs } from './home-fixtures.ts';

const BRANCH = 'sg-request/REQ-30';
const SHA = '0123456789abcdef0123456789abcdef01234567';
const pipeline = (id: number, source: string): PipelineInfo => ({ id, ref: BRANCH, sha: SHA, status: 'running', source, webUrl: `${GITLAB}/-/pipelines/${id}` });

test('syncing a child pipeline leaves the request on its own pipeline and posts nothing', async (t) => {
  const posted: string[] = [];
  const chat = stubChat({ post: async (_c, m) => (posted.push(m.text), { ts: '1.0' }), update: async () => undefined });
  const vcs = stubVcs({
    getPipeline: async (id) => pipeline(id, 'parent_pipeline'),
    listPipelineJobs: async (id) => [{ id: id * 10, name: 'service-checks', stage: 'verify', status: 'running', webUrl: `${GITLAB}/-/jobs/${id * 10}`, failureReason: null }],
  });
  const deps = homeDeps(t, { chat, vcs });
  const before = stored(deps, { id: 'REQ-30', state: 'deployed', pipelineId: 200, deployJobId: 2000 });
  assert.equal(await syncPipeline(deps, 201), null);
  assert.deepEqual(deps.store.requests.get('REQ-30'), before, 'pipeline, deploy job and state unchanged');
  assert.deepEqual(posted, [], 'no "Pipeline #201 started"');
});

test('reconciliation finds a request\'s pipeline by branch past a newer child pipeline', async (t) => {
  const read: number[] = [];
  const vcs = stubVcs({
    // GitLab's list leaves children out, but the core does not rely on it.
    listBranchPipelines: async () => [pipeline(201, 'parent_pipeline'), pipeline(200, 'api')],
    getPipeline: async (id) => {
      read.push(id);
      throw new Error('enough: the pipeline chosen is what this test is about');
    },
  });
  const deps = homeDeps(t, { vcs });
  stored(deps, { id: 'REQ-30', state: 'planning', pipelineId: null, deployJobId: null, awaitingSince: null });
  await reconcileOnce(deps);
  assert.deepEqual(read, [200]);
});
