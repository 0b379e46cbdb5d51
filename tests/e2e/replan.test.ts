/**
 * A plan job run again inside the same pipeline is a new plan: the deploy job would apply
 * it, not the one the approvals were given on. Against the bot as a process, with two
 * approvals needed: the new plan is shown and judged again, the approvals given so far
 * stop counting, a click on the old message is refused, and the deploy waits for fresh
 * approvals of the new plan (and for a compliance job that judged it).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { APPROVER, Harness, OTHER_APPROVER } from './harness.ts';

let h: Harness;
before(async () => {
  h = await Harness.start({ REQUIRED_APPROVALS: '2' });
});
after(() => h.close());

async function jobOf(pipelineId: number, name: string) {
  const jobs = await h.gitlab.Jobs.all(h.fakes.gitlab.projectId, { pipelineId });
  return jobs.find((j) => j.name === name)!;
}

async function waitForJob(pipelineId: number, name: string, newerThan: number) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const job = await jobOf(pipelineId, name);
    if (job.id > newerThan && job.status === 'success') return job;
    if (Date.now() > deadline) throw new Error(`the ${name} job run again did not succeed: ${job.id} ${job.status}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('a plan job run again is shown and judged again, and the approvals given on the earlier plan no longer count', async () => {
  const { pipelineId } = await h.request('REQ-80');
  const first = await h.waitForApprovalRequest('REQ-80');
  await h.click(APPROVER, first, 'approve');
  await h.waitFor("Bob's approval counted", () => /Approvals: 1 of 2/.test(JSON.stringify(h.threadMessage('REQ-80', /waiting for approval/)?.blocks)));
  const plansShown = () => h.thread('REQ-80').filter((m) => m.text.startsWith('Plan:')).length;
  assert.equal(plansShown(), 1);

  // Someone runs the plan job again in GitLab. The bot does not hear of it at once (its
  // webhook is pointed away), so the old message still offers Approve when Carol clicks.
  const hooks = h.fakes.gitlab.driver.hooks();
  const url = hooks[0]!.url;
  for (const hook of hooks) hook.url = 'http://127.0.0.1:9/unreachable';
  const oldPlan = await jobOf(pipelineId, 'plan');
  await h.gitlab.Jobs.retry(h.fakes.gitlab.projectId, oldPlan.id);
  const newPlan = await waitForJob(pipelineId, 'plan', oldPlan.id);
  await h.click(OTHER_APPROVER, first, 'approve');
  await h.waitFor('the refusal of a click on the earlier plan', () => h.fakes.slack.driver.ephemerals(OTHER_APPROVER).find((e) => e.text.includes('plan job ran again')));
  for (const hook of hooks) hook.url = url;
  assert.equal(h.plays(), 0, 'nothing was played on the earlier approvals');

  // The click's own sync caught up: the new plan is shown, the old message lost its buttons.
  await h.waitFor('the new plan shown', () => plansShown() === 2);
  const retired = await h.waitFor('the earlier approval message retired', () => h.thread('REQ-80').find((m) => m.ts === first.ts && /plan job ran again/.test(JSON.stringify(m.blocks))));
  assert.doesNotMatch(JSON.stringify(retired.blocks), /"action_id":"approve"/);
  // The compliance job judged the earlier plan: no Approve until it runs again.
  const blocked = await h.waitFor('the new plan blocked', () => h.thread('REQ-80').find((m) => m.ts !== first.ts && /cannot be approved/.test(m.text)));
  assert.match(JSON.stringify(blocked.blocks), new RegExp(`judged an earlier plan: the plan job ran again as #${newPlan.id}`));
  assert.doesNotMatch(JSON.stringify(blocked.blocks), /"action_id":"approve"/);

  const compliance = await jobOf(pipelineId, 'compliance');
  await h.gitlab.Jobs.retry(h.fakes.gitlab.projectId, compliance.id);
  const fresh = await h.waitFor('Approve offered on the new plan', () =>
    h.thread('REQ-80').find((m) => m.ts !== first.ts && /waiting for approval/.test(m.text) && JSON.stringify(m.blocks).includes(`"value":"REQ-80@${pipelineId}.${newPlan.id}"`)),
  );
  assert.match(JSON.stringify(fresh.blocks), /Approvals: 0 of 2 \(none yet\)/, "Bob's approval of the earlier plan does not count");

  await h.click(APPROVER, fresh, 'approve');
  await h.waitFor("Bob's fresh approval", () => /Approvals: 1 of 2/.test(JSON.stringify(h.thread('REQ-80').find((m) => m.ts === fresh.ts)?.blocks)));
  assert.equal(h.plays(), 0, 'one approval of the new plan is not enough');
  await h.click(OTHER_APPROVER, fresh, 'approve');
  await h.waitFor('deployed', () => /Deployed/.test(JSON.stringify(h.parentOf('REQ-80')?.blocks)));
  assert.equal(h.plays(), 1);
  assert.ok(h.fakes.aws.driver.rules().some((r) => r.tags['portcullis:request'] === 'REQ-80'));
});
