/**
 * The bot as a separate process against the fakes: a request's whole life in Slack.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { APPROVER, CHANNEL, Harness, OTHER_APPROVER, REQUESTER } from './harness.ts';

let h: Harness;
before(async () => {
  h = await Harness.start();
});
after(() => h.close());

describe('a request from pipeline to deployed', () => {
  test('one parent, a thread with compliance, plan and the approval request; Approve deploys', async () => {
    const { pipelineId } = await h.request('REQ-10');
    const approval = await h.waitForApprovalRequest('REQ-10');
    const thread = h.thread('REQ-10');
    assert.ok(thread.some((m) => /Pipeline #\d+ started/.test(m.text)), 'pipeline started');
    assert.ok(thread.some((m) => /^:white_check_mark: \*Compliant\*/.test(m.text)), 'compliance report');
    assert.ok(thread.some((m) => m.text.includes('1 to add')), `plan summary in ${JSON.stringify(thread.map((m) => m.text))}`);
    assert.equal(h.parents().filter((m) => m.text.includes('REQ-10')).length, 1, 'exactly one parent');

    await h.click(APPROVER, approval, 'approve');
    await h.waitFor('the deploy result', () => h.threadMessage('REQ-10', /^Deployed/));
    await h.fakes.gitlab.driver.waitForPipeline(pipelineId, 'success');
    await h.waitFor('the parent to say deployed', () => /Deployed/.test(JSON.stringify(h.parentOf('REQ-10')?.blocks)));
    const decided = h.thread('REQ-10').find((m) => m.ts === approval.ts)!;
    assert.match(JSON.stringify(decided.blocks), /Approved\* by <@U0BOB>/);
    assert.doesNotMatch(JSON.stringify(decided.blocks), /"type":"button"/, 'the buttons are gone');
    assert.ok(h.fakes.aws.driver.rules().some((r) => r.tags['portcullis:request'] === 'REQ-10'), 'the rule is live in EC2');
    assert.equal(h.plays(), 1);
  });
});

describe('refused clicks', () => {
  test('a non-approver, the requester, and a click on a decided request are refused privately', async () => {
    await h.request('REQ-11');
    const approval = await h.waitForApprovalRequest('REQ-11');
    const before = h.plays();
    await h.click('U0MALLORY', approval, 'approve').catch(() => undefined);
    await h.click(REQUESTER, approval, 'approve');
    await h.waitFor('the requester to be told', () => h.fakes.slack.driver.ephemerals(REQUESTER).find((e) => /someone else must approve/.test(e.text)));
    assert.equal(h.plays(), before, 'nothing was played');
  });
});

describe('failures', () => {
  test('a failing plan job is posted with its name and the tail of its log', async () => {
    h.fakes.gitlab.driver.scriptJob('plan', { fail: 'Error: Invalid provider configuration', log: 'Initializing...\nError: Invalid provider configuration' });
    try {
      await h.request('REQ-12');
      const failed = await h.waitFor('the failed job message', () => h.threadMessage('REQ-12', /Job plan failed/));
      assert.match(JSON.stringify(failed.blocks), /Invalid provider configuration/);
      await h.waitFor('the parent to say failed', () => /Failed/.test(JSON.stringify(h.parentOf('REQ-12')?.blocks)));
    } finally {
      h.fakes.gitlab.driver.clearJobScripts();
    }
  });
});

export { CHANNEL, OTHER_APPROVER };
