/**
 * Killed at the worst moments, the bot (a process, SIGKILL) leaves nothing stuck: a
 * request whose opening was cut short at any step is taken up where it stopped after the
 * restart, with exactly one branch, commit, merge request and pipeline; an approval whose
 * play never reached GitLab goes back to waiting for approval, and a new approval deploys.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { APPROVER, Harness, REQUESTER } from './harness.ts';

const STEPS: Array<[string, RegExp]> = [
  ['creating the branch', /^POST \/projects\/[^/]+\/repository\/branches/],
  ['committing the rule file', /^POST \/projects\/[^/]+\/repository\/commits/],
  ['opening the merge request', /^POST \/projects\/[^/]+\/merge_requests/],
  ['starting the pipeline', /^POST \/projects\/[^/]+\/pipeline/],
];

for (const [step, target] of STEPS) {
  test(`killed while ${step}, the request is taken up after the restart and opened exactly once`, async () => {
    const h = await Harness.start({ RECONCILE_INTERVAL: '300ms' });
    try {
      const held = h.fakes.gitlab.driver.holdNext(target);
      await h.fakes.slack.driver.runSlashCommand({ user: REQUESTER, command: '/sg-request', text: 'sg-front tcp 443 198.51.100.9 "partner API"' });
      await held;
      await h.stopBot('SIGKILL');
      await h.startBot();
      const approval = await h.waitForApprovalRequest('REQ-2');
      const g = h.fakes.gitlab.driver;
      const branch = 'sg-request/REQ-2';
      assert.equal(g.pipelines().filter((p) => p.ref === branch && p.source !== 'parent_pipeline').length, 1, 'one pipeline');
      assert.equal(g.mergeRequests().filter((m) => m.sourceBranch === branch).length, 1, 'one merge request');
      const commits = g.requests().filter((r) => r.method === 'POST' && /repository\/commits$/.test(r.path) && r.status === 201);
      assert.equal(commits.length, 1, 'one commit');
      await h.click(APPROVER, approval, 'approve');
      await h.waitFor('the deploy result', () => h.threadMessage('REQ-2', /^Deployed/));
    } finally {
      await h.close();
    }
  });
}

test('killed between the approval and playing the deploy job, the request waits for approval again, and a new approval deploys', async () => {
  const h = await Harness.start({ RECONCILE_INTERVAL: '300ms', DEPLOY_PLAY_TIMEOUT: '1s' });
  try {
    const { pipelineId } = await h.request('REQ-80');
    const approval = await h.waitForApprovalRequest('REQ-80');
    const held = h.fakes.gitlab.driver.holdNext(/^POST \/projects\/[^/]+\/jobs\/\d+\/play/);
    await h.click(APPROVER, approval, 'approve');
    await held;
    await h.stopBot('SIGKILL');
    await h.startBot();
    // The approval was recorded, the play never reached GitLab: refused while it is deploying...
    await h.click(APPROVER, approval, 'approve');
    await h.waitFor('the click refused as not waiting', () => h.fakes.slack.driver.ephemerals(APPROVER).find((e) => /deploying, not waiting/.test(e.text)));
    // ...until the reconciler sees the deploy job still unplayed and puts it back to waiting, audited.
    await h.waitFor('the request back to waiting', () => h.allLines.find((l) => l.includes('never started; the request waits for approval again')), 20_000);
    const again = await h.waitFor('Approve offered again', () => h.thread('REQ-80').find((m) => m.ts === approval.ts && JSON.stringify(m.blocks).includes('"action_id":"approve"')));
    await h.click(APPROVER, again, 'approve');
    await h.fakes.gitlab.driver.waitForPipeline(pipelineId, 'success', 15_000);
    assert.ok(h.fakes.aws.driver.rules().some((r) => r.tags['portcullis:request'] === 'REQ-80'));
  } finally {
    await h.close();
  }
});
