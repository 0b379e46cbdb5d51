/**
 * Who asked is known, never read from the branch: the people who changed a request —
 * who started its pipeline, whose commits are on its branch — are read from GitLab and
 * mapped to Slack users by email; none of them may approve it, and one who cannot be
 * mapped makes two distinct approvers necessary. The bot as a process.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Gitlab } from '@gitbeaker/rest';
import { APPROVER, Harness, OTHER_APPROVER } from './harness.ts';

let h: Harness;
before(async () => {
  h = await Harness.start();
});
after(() => h.close());

const ephemeral = (user: string, pattern: RegExp) => () => h.fakes.slack.driver.ephemerals(user).find((e) => pattern.test(e.text));
const rule = (id: string, cidr: string, requester: string) =>
  `${JSON.stringify({ id, group: 'sg-front', direction: 'ingress', protocol: 'tcp', from_port: 443, to_port: 443, cidr, description: 'pushed by hand', requester, ticket: null, expires_at: null }, null, 2)}\n`;

/** A branch with a rule file and a pipeline, all made in GitLab by the person `gitlab` acts as. */
async function pushAndRun(gitlab: InstanceType<typeof Gitlab>, branch: string, id: string, cidr: string, requester: string): Promise<number> {
  const project = h.fakes.gitlab.projectId;
  await gitlab.Branches.create(project, branch, 'main');
  await gitlab.Commits.create(project, branch, `${id} by hand`, [{ action: 'create', filePath: `terraform/rules/${id}.json`, content: rule(id, cidr, requester) }]);
  return (await gitlab.Pipelines.create(project, branch)).id;
}

// First: the external pipelines below deploy rules main never gets, which a later request's plan would remove.
test('a sg-request branch naming someone else as requester: the pusher still cannot approve, and the one named may', async () => {
  const before = h.plays();
  // Bob pushes REQ-81 with a rule file that says Carol asked for it.
  const { pipelineId } = await h.request('REQ-81', { requester: OTHER_APPROVER }, APPROVER);
  const approval = await h.waitForApprovalRequest('REQ-81');
  assert.doesNotMatch(JSON.stringify(approval.blocks), /Requested by <@U0CAROL>/, 'the rule file does not say who asked');
  await h.click(APPROVER, approval, 'approve');
  await h.waitFor('Bob told he made part of it', ephemeral(APPROVER, /you made part of this change/));
  assert.equal(h.plays(), before);
  await h.click(OTHER_APPROVER, approval, 'approve');
  await h.fakes.gitlab.driver.waitForPipeline(pipelineId, 'success', 15_000);
  assert.equal(h.plays(), before + 1);
});

test('an approver who pushed a branch and started its pipeline cannot approve it; another approver can', async () => {
  const before = h.plays();
  const pipelineId = await pushAndRun(h.gitlabAs(APPROVER), 'feature/bob-opens', 'HAND-80', '192.0.2.80/32', 'U0NOBODY');
  const approval = await h.waitForApprovalRequest(`PL-${pipelineId}`);
  assert.match(JSON.stringify(approval.blocks), /Changed by <@U0BOB>/, 'the message names who changed it');
  await h.click(APPROVER, approval, 'approve');
  await h.waitFor('Bob told he made part of it', ephemeral(APPROVER, /you made part of this change/));
  assert.equal(h.plays(), before);
  await h.click(OTHER_APPROVER, approval, 'approve');
  await h.fakes.gitlab.driver.waitForPipeline(pipelineId, 'success', 15_000);
});

test('a pipeline started by a GitLab user no Slack user has: the message says so, and it takes two approvers', async () => {
  const token = h.fakes.gitlab.driver.addUser({ username: 'mallory', name: 'Mallory <b>Outsider</b>', email: 'mallory@example.test' });
  const before = h.plays();
  const pipelineId = await pushAndRun(h.gitlabAs(token), 'feature/mallory', 'HAND-82', '192.0.2.82/32', 'U0BOB');
  const approval = await h.waitForApprovalRequest(`PL-${pipelineId}`);
  const shown = JSON.stringify(approval.blocks);
  assert.match(shown, /could not find a Slack user for \*GitLab user mallory &lt;mallory@example.test&gt;\*/, shown);
  assert.match(shown, /2 distinct approvers\* are needed/);
  await h.click(APPROVER, approval, 'approve');
  const counted = await h.waitFor('the first approval counted', () => h.thread(`PL-${pipelineId}`).find((m) => m.ts === approval.ts && /Approvals: 1 of 2/.test(JSON.stringify(m.blocks))));
  assert.equal(h.plays(), before, 'one approval does not deploy');
  await h.click(OTHER_APPROVER, counted, 'approve');
  await h.fakes.gitlab.driver.waitForPipeline(pipelineId, 'success', 15_000);
  assert.equal(h.plays(), before + 1);
});
