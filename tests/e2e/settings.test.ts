/**
 * Approval settings with the bot as a process: REQUIRED_APPROVALS and APPROVAL_TTL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { APPROVER, Harness, OTHER_APPROVER } from './harness.ts';

test('with REQUIRED_APPROVALS=2, the first approval is recorded and shown, the second plays the deploy', async () => {
  const h = await Harness.start({ REQUIRED_APPROVALS: '2' });
  try {
    const { pipelineId } = await h.request('REQ-40');
    const approval = await h.waitForApprovalRequest('REQ-40');
    await h.click(APPROVER, approval, 'approve');
    const counted = await h.waitFor('the count of approvals', () => h.thread('REQ-40').find((m) => m.ts === approval.ts && /Approvals: 1 of 2/.test(JSON.stringify(m.blocks))));
    assert.equal(h.plays(), 0, 'one approval is not enough');
    await h.click(APPROVER, counted, 'approve');
    await h.waitFor('Bob told he already approved', () => h.fakes.slack.driver.ephemerals(APPROVER).find((e) => /already approved/.test(e.text)));
    await h.click(OTHER_APPROVER, counted, 'approve');
    await h.fakes.gitlab.driver.waitForPipeline(pipelineId, 'success', 15_000);
    assert.equal(h.plays(), 1);
  } finally {
    await h.close();
  }
});

test('past APPROVAL_TTL the request expires: the pipeline is cancelled and the message loses its buttons', async () => {
  const h = await Harness.start({ APPROVAL_TTL: '1s', RECONCILE_INTERVAL: '300ms' });
  try {
    const { pipelineId } = await h.request('REQ-41');
    const approval = await h.waitForApprovalRequest('REQ-41');
    await h.fakes.gitlab.driver.waitForPipeline(pipelineId, 'canceled', 15_000);
    await h.waitFor('the expired message', () => h.thread('REQ-41').find((m) => m.ts === approval.ts && /Expired/.test(JSON.stringify(m.blocks))));
    await h.waitFor('the parent to say expired', () => /Expired/.test(JSON.stringify(h.parentOf('REQ-41')?.blocks)));
    const expired = h.thread('REQ-41').find((m) => m.ts === approval.ts)!;
    assert.doesNotMatch(JSON.stringify(expired.blocks), /"action_id":"approve"/, 'no button left to click');
    assert.equal(h.plays(), 0);
  } finally {
    await h.close();
  }
});

test('a configuration error names every bad variable and exits non-zero before connecting anywhere', async () => {
  const h = await Harness.start();
  try {
    await h.stopBot();
    h.env = { ...h.env, GITLAB_WEBHOOK_SECRET: 'short', REQUIRED_APPROVALS: 'two', SLACK_APP_TOKEN: '' };
    await assert.rejects(h.startBot(), (err: Error) => {
      assert.match(err.message, /exited with 1/);
      for (const name of ['GITLAB_WEBHOOK_SECRET', 'REQUIRED_APPROVALS', 'SLACK_APP_TOKEN']) assert.match(err.message, new RegExp(name));
      assert.doesNotMatch(err.message, /short/, 'the secret value is not echoed');
      return true;
    });
  } finally {
    await h.close();
  }
});

test('webhooks that never arrive: the reconciliation poll catches up on the request all the same', async () => {
  const h = await Harness.start({ RECONCILE_INTERVAL: '300ms' });
  try {
    h.fakes.gitlab.driver.injectWebhookFault({ kind: 'drop' }, { times: 100_000 });
    await h.fakes.slack.driver.runSlashCommand({ user: 'U0ALICE', command: '/sg-request', text: 'sg-front tcp 443 198.51.100.9 "partner API"' });
    const approval = await h.waitForApprovalRequest('REQ-2');
    await h.click(APPROVER, approval, 'approve');
    await h.waitFor('the deploy result', () => h.threadMessage('REQ-2', /^Deployed/));
    assert.equal(h.fakes.gitlab.driver.deliveries().length, 0, 'no webhook was even sent to the bot');
  } finally {
    await h.close();
  }
});
