/**
 * syncPipeline against stubbed ports: what reaches the thread when the pipeline's
 * artifacts are not what they should be.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { syncPipeline } from '../../src/core/sync.ts';
import type { JobInfo, SlackMessage } from '../../src/core/ports.ts';
import { changeRequest, stubChat, stubVcs, testDeps } from '../helpers/deps.ts';

const URL = 'http://127.0.0.1:8929/infra/firewall';
const job = (id: number, name: string, status: string): JobInfo => ({ id, name, stage: name, status, webUrl: `${URL}/-/jobs/${id}`, failureReason: null });

test('a plan.json that is a state (terraform show -json without the plan file) is not shown as a plan, and the sync does not fail', async (t) => {
  const posted: Array<{ text: string; thread?: string }> = [];
  const state = JSON.stringify({ format_version: '1.0', terraform_version: '1.9.0', values: { root_module: {} } });
  const deps = testDeps({
    vcs: stubVcs({
      getPipeline: async (id) => ({ id, ref: 'sg-request/REQ-12', sha: 'a'.repeat(40), status: 'manual', source: 'api', webUrl: `${URL}/-/pipelines/${id}` }),
      listPipelineJobs: async () => [job(1, 'plan', 'success'), job(2, 'compliance', 'success'), job(3, 'deploy', 'manual')],
      readArtifact: async (_id, path) => (path === 'plan.json' ? state : null),
      findMergeRequest: async () => null,
    }),
    chat: stubChat({
      post: async (_channel: string, message: SlackMessage, threadTs?: string) => {
        posted.push({ text: message.text, ...(threadTs ? { thread: threadTs } : {}) });
        return { ts: `1.${posted.length}` };
      },
    }),
  });
  t.after(() => deps.store.close());
  deps.store.requests.save(changeRequest({ state: 'planning', pipelineId: 101 }));

  const after = await syncPipeline(deps, 101);
  assert.equal(after?.state, 'awaiting_approval');
  assert.ok(posted.length >= 2, 'the parent and the pipeline news were posted');
  assert.ok(!posted.some((p) => /Terraform plan|to add|to destroy/i.test(p.text)), `no plan summary: ${posted.map((p) => p.text).join(' | ')}`);
  assert.equal(deps.store.messages.get('REQ-12', 'plan:101:1'), undefined);
});

test('the plan job run again: approvals so far stop counting and are audited as such; once deploying, a request keeps the plan job it was approved on', async (t) => {
  let planJob = 1;
  const deps = testDeps({
    vcs: stubVcs({
      getPipeline: async (id) => ({ id, ref: 'sg-request/REQ-12', sha: 'a'.repeat(40), status: 'manual', source: 'api', webUrl: `${URL}/-/pipelines/${id}` }),
      listPipelineJobs: async () => [job(planJob, 'plan', 'success'), job(2, 'compliance', 'success'), job(3, 'deploy', 'manual')],
      readArtifact: async () => null,
      findMergeRequest: async () => null,
      branchHead: async () => 'a'.repeat(40),
    }),
    chat: stubChat({ post: async () => ({ ts: `1.${Math.random()}` }), update: async () => undefined }),
  });
  t.after(() => deps.store.close());
  deps.store.requests.save(changeRequest({ state: 'awaiting_approval', pipelineId: 101, planJobId: 1 }));
  deps.store.approvals.add('REQ-12', 'U0BOB', '2024-05-01T09:06:00Z');

  await syncPipeline(deps, 101);
  assert.deepEqual(deps.store.approvals.list('REQ-12'), ['U0BOB'], 'the same plan job: nothing changes');
  planJob = 7;
  const after = await syncPipeline(deps, 101);
  assert.equal(after?.planJobId, 7);
  assert.equal(after?.state, 'awaiting_approval');
  assert.deepEqual(deps.store.approvals.list('REQ-12'), []);
  assert.ok(deps.store.audit.list('REQ-12').some((e) => e.action === 'replan' && e.detail === 'plan job 1 ran again as job 7: approvals start over'));

  deps.store.requests.save({ ...deps.store.requests.get('REQ-12')!, state: 'deploying' });
  deps.store.approvals.add('REQ-12', 'U0BOB', '2024-05-01T09:10:00Z');
  planJob = 9;
  const deploying = await syncPipeline(deps, 101);
  assert.equal(deploying?.planJobId, 7, 'approved on job 7, it stays so');
  assert.deepEqual(deps.store.approvals.list('REQ-12'), ['U0BOB']);
});
