/**
 * Two environments with different approvers, through the real decision code: an approver
 * of staging cannot approve a production request, production's approver can, and the job
 * played is production's deploy job; a pipeline that also plans staging is refused.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { approve } from '../../src/core/decisions.ts';
import type { JobInfo } from '../../src/core/ports.ts';
import { changeRequest, stubChat, stubVcs, testDeps } from '../helpers/deps.ts';
import { PRODUCTION_APPROVER, STAGING_APPROVER, twoEnvironments } from '../helpers/environments.ts';
import { plan, vpcRule } from '../helpers/plans.ts';

const job = (id: number, name: string, status: string): JobInfo => ({ id, name, stage: name.split(':')[0]!, status, webUrl: `http://127.0.0.1/-/jobs/${id}`, failureReason: null });

/** A production request waiting on deploy:production (job 555) of pipeline 101; staging's jobs in the same pipeline when asked. */
function setup(t: { after(fn: () => void): void }, opts: { alsoStaging?: boolean } = {}) {
  const jobs = [
    job(553, 'plan:production', 'success'),
    job(554, 'compliance:production', 'success'),
    job(555, 'deploy:production', 'manual'),
    ...(opts.alsoStaging ? [job(556, 'plan:staging', 'success'), job(557, 'compliance:staging', 'success'), job(558, 'deploy:staging', 'manual')] : []),
  ];
  const played: number[] = [];
  const refusals: string[] = [];
  const request = changeRequest({ id: 'REQ-12', environment: 'production', requester: 'U0REQUESTER', awaitingSince: new Date().toISOString() });
  const deps = testDeps({
    environments: twoEnvironments(),
    vcs: stubVcs({
      branchHead: async () => request.sha,
      // Read as a child pipeline after the decision, so the follow-up sync leaves the thread alone: this test is about the decision.
      getPipeline: async (id) => ({ id, ref: request.branch, sha: request.sha!, status: 'manual', source: 'parent_pipeline', webUrl: `http://127.0.0.1/-/pipelines/${id}` }),
      listPipelineJobs: async () => jobs,
      readArtifact: async (jobId, path) => (path === 'plan.json' && (jobId === 553 || jobId === 556) ? JSON.stringify(plan([vpcRule({ request: 'REQ-12' })])) : null),
      playJob: async (jobId) => {
        played.push(jobId);
        return job(jobId, jobs.find((j) => j.id === jobId)!.name, 'pending');
      },
    }),
    chat: stubChat({ postEphemeral: async (_channel, _user, text) => void refusals.push(String(text)) }),
  });
  t.after(() => deps.store.close());
  deps.store.requests.save(request);
  const click = (user: string) => approve(deps, { requestId: request.id, pipelineId: 101, planJobId: 553, user, channel: 'C0SECOPS' });
  return { deps, played, refusals, click };
}

test("an approver of staging cannot approve a production request; production's approver can, and only production's deploy job is played", async (t) => {
  const s = setup(t);
  await s.click(STAGING_APPROVER);
  assert.deepEqual(s.played, []);
  assert.match(s.refusals.join('\n'), /approver/i);
  assert.equal(s.deps.store.requests.get('REQ-12')?.state, 'awaiting_approval');
  assert.deepEqual(s.deps.store.approvals.list('REQ-12'), []);

  await s.click(PRODUCTION_APPROVER);
  assert.deepEqual(s.played, [555], 'deploy:production, the request environment’s own deploy job');
  assert.equal(s.deps.store.requests.get('REQ-12')?.state, 'deploying');
});

test('a pipeline that also plans another environment is not deployed on either environment’s approval', async (t) => {
  const s = setup(t, { alsoStaging: true });
  await s.click(PRODUCTION_APPROVER);
  assert.deepEqual(s.played, []);
  assert.match(s.refusals.join('\n'), /also plans another environment \(plan:staging\)/);
});
