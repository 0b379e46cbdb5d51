/**
 * Approve and Reject with the bot as a process: who may decide, what a refused click
 * gets, concurrent clicks, and GitLab failing under a click.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { APPROVER, BYSTANDER, Harness, OTHER_APPROVER } from './harness.ts';

let h: Harness;
before(async () => {
  h = await Harness.start();
});
after(() => h.close());

const ephemeral = (user: string, pattern: RegExp) => () => h.fakes.slack.driver.ephemerals(user).find((e) => pattern.test(e.text));

test('Reject asks for a reason, cancels the pipeline, closes the merge request and shows who and why', async () => {
  const { pipelineId } = await h.request('REQ-20');
  const approval = await h.waitForApprovalRequest('REQ-20');
  await h.click(OTHER_APPROVER, approval, 'reject');
  const modal = await h.waitFor('the reject modal', () => h.fakes.slack.driver.openViews(OTHER_APPROVER).at(-1));
  const empty = await h.fakes.slack.driver.submitView({ user: OTHER_APPROVER, viewId: modal.view.id, values: { reason: '  ' } });
  assert.equal((empty as { response_action?: string }).response_action, 'errors', 'an empty reason is refused in the modal');
  await h.fakes.slack.driver.submitView({ user: OTHER_APPROVER, viewId: modal.view.id, values: { reason: 'No ticket for this <!channel>' } });
  const decided = await h.waitFor('the decided message', () => h.thread('REQ-20').find((m) => m.ts === approval.ts && /Rejected/.test(JSON.stringify(m.blocks))));
  assert.match(JSON.stringify(decided.blocks), /Rejected\* by <@U0CAROL>/);
  assert.match(JSON.stringify(decided.blocks), /No ticket for this &lt;!channel&gt;/, 'the reason is shown escaped');
  await h.fakes.gitlab.driver.waitForPipeline(pipelineId, 'canceled');
  await h.waitFor('the merge request to close', () => h.fakes.gitlab.driver.mergeRequests().find((mr) => mr.sourceBranch === 'sg-request/REQ-20' && mr.state === 'closed'));
  await h.waitFor('the parent to say rejected', () => /Rejected/.test(JSON.stringify(h.parentOf('REQ-20')?.blocks)));
  assert.equal(h.plays(), 0);
});

test('a bystander cannot approve or reject; a stale commit cannot be approved', async () => {
  await h.request('REQ-21');
  const approval = await h.waitForApprovalRequest('REQ-21');
  await h.click(BYSTANDER, approval, 'approve');
  await h.waitFor('the bystander told about approving', ephemeral(BYSTANDER, /not one of the approvers/));
  await h.click(BYSTANDER, approval, 'reject');
  await h.waitFor('the bystander told about rejecting', ephemeral(BYSTANDER, /only an approver or the requester/));
  // Someone pushes a newer commit to the branch: the plan on screen is no longer the one that would apply.
  h.fakes.gitlab.driver.push('sg-request/REQ-21', { 'terraform/rules/NOTE.md': 'later edit' });
  await h.click(APPROVER, approval, 'approve');
  await h.waitFor('the approver told the commit is stale', ephemeral(APPROVER, /newer commit/));
  assert.equal(h.plays(), 0);
});

test('a double click and two approvers at once play the deploy job once', async () => {
  const { pipelineId } = await h.request('REQ-22');
  const approval = await h.waitForApprovalRequest('REQ-22');
  const before = h.plays();
  await Promise.all([h.click(APPROVER, approval, 'approve'), h.click(APPROVER, approval, 'approve'), h.click(OTHER_APPROVER, approval, 'approve')]);
  await h.fakes.gitlab.driver.waitForPipeline(pipelineId, 'success', 15_000);
  await h.waitFor('the deploy result', () => h.threadMessage('REQ-22', /^Deployed/));
  assert.equal(h.plays() - before, 1);
});

for (const [what, inject] of [
  ['a 500', () => h.fakes.gitlab.driver.failNext(1, { status: 500, path: /\/play$/ })],
  ['a 429', () => h.fakes.gitlab.driver.rateLimitNext(1, { path: /\/play$/ })],
] as const) {
  test(`GitLab answering ${what} to play: the approver is told, the buttons stay, a second click deploys`, async () => {
    const id = what === 'a 500' ? 'REQ-23' : 'REQ-24';
    const { pipelineId } = await h.request(id);
    const approval = await h.waitForApprovalRequest(id);
    inject();
    await h.click(APPROVER, approval, 'approve');
    await h.waitFor('the approver told GitLab failed', ephemeral(APPROVER, new RegExp(`did not start the deploy.*${what === 'a 500' ? '500' : '429'}`)));
    const still = h.thread(id).find((m) => m.ts === approval.ts)!;
    assert.match(JSON.stringify(still.blocks), /"action_id":"approve"/, 'the buttons stay');
    await h.click(APPROVER, still, 'approve');
    await h.fakes.gitlab.driver.waitForPipeline(pipelineId, 'success', 15_000);
    await h.waitFor('the deploy result', () => h.threadMessage(id, /^Deployed/));
  });
}

test('a newer pipeline on the request branch retires the older approval request and asks again', async () => {
  const first = await h.request('REQ-25');
  const old = await h.waitForApprovalRequest('REQ-25');
  h.fakes.gitlab.driver.push('sg-request/REQ-25', { 'terraform/rules/NOTE.md': 'a later commit' });
  const second = await h.gitlab.Pipelines.create(h.fakes.gitlab.projectId, 'sg-request/REQ-25');
  assert.notEqual(second.id, first.pipelineId);
  const retired = await h.waitFor('the old request retired', () => h.thread('REQ-25').find((m) => m.ts === old.ts && /Superseded/.test(JSON.stringify(m.blocks))));
  assert.doesNotMatch(JSON.stringify(retired.blocks), /"action_id":"approve"/);
  const fresh = await h.waitFor('a new approval request', () => h.thread('REQ-25').find((m) => m.ts !== old.ts && /waiting for approval/.test(m.text)));
  await h.click(APPROVER, fresh, 'approve');
  await h.fakes.gitlab.driver.waitForPipeline(second.id, 'success', 15_000);
});
