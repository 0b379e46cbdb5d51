/**
 * Approve through the real decision code against stubbed ports: the bot judges the plan
 * again at the click, whatever the message showed when it was posted. A pipeline whose
 * compliance job failed since (run again in GitLab, say) is not deployed, and the click
 * is neither counted nor played.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { approve } from '../../src/core/decisions.ts';
import type { JobInfo } from '../../src/core/ports.ts';
import { changeRequest, stubChat, stubVcs, testDeps } from '../helpers/deps.ts';
import { plan, vpcRule } from '../helpers/plans.ts';

const job = (id: number, name: string, status: string): JobInfo => ({ id, name, stage: name, status, webUrl: `http://127.0.0.1/-/jobs/${id}`, failureReason: null });

function setup(t: { after(fn: () => void): void }, compliance: string) {
  const jobs = [job(553, 'plan', 'success'), job(560, 'compliance', compliance), job(555, 'deploy', 'manual')];
  const played: number[] = [];
  const refusals: string[] = [];
  const request = changeRequest({ id: 'REQ-12', requester: 'U0ALICE', awaitingSince: new Date().toISOString() });
  const deps = testDeps({
    vcs: stubVcs({
      branchHead: async () => request.sha,
      // Read as a child pipeline after the decision, so the follow-up sync leaves the thread alone: this test is about the decision.
      getPipeline: async (id) => ({ id, ref: request.branch, sha: request.sha!, status: 'manual', source: 'parent_pipeline', webUrl: `http://127.0.0.1/-/pipelines/${id}` }),
      listPipelineJobs: async () => jobs,
      readArtifact: async (jobId, path) => (path === 'plan.json' && jobId === 553 ? JSON.stringify(plan([vpcRule({ request: 'REQ-12' })])) : null),
      playJob: async (jobId) => {
        played.push(jobId);
        return job(jobId, 'deploy', 'pending');
      },
    }),
    chat: stubChat({ postEphemeral: async (_channel, _user, text) => void refusals.push(String(text)) }),
  });
  t.after(() => deps.store.close());
  deps.store.requests.save(request);
  const click = () => approve(deps, { requestId: request.id, pipelineId: 101, planJobId: 553, user: 'U0BOB', channel: 'C0SECOPS' });
  return { deps, played, refusals, click };
}

test('a compliance job failed since the message was posted: the click is refused by the gate, not counted, nothing played', async (t) => {
  const s = setup(t, 'failed');
  await s.click();
  assert.deepEqual(s.played, []);
  assert.match(s.refusals.join('\n'), /will not deploy this plan: the pipeline's compliance job did not pass \(it is failed\)/);
  assert.deepEqual(s.deps.store.approvals.list('REQ-12'), []);
  assert.ok(s.deps.store.audit.list('REQ-12').some((e) => e.action === 'refuse' && e.detail.startsWith('plan_refused:')));
  assert.equal(s.deps.store.requests.get('REQ-12')?.state, 'awaiting_approval');
});

test('the same click on a pipeline the gate passes is counted and plays the deploy job', async (t) => {
  const s = setup(t, 'success');
  await s.click();
  assert.deepEqual(s.played, [555]);
  assert.deepEqual(s.deps.store.approvals.list('REQ-12'), ['U0BOB']);
});
