/**
 * Ways around the gate, tried with push rights as an attacker would, against the bot as
 * a process: a branch that relaxes its own CI file to get a non-compliant plan to the
 * manual deploy, and a rule pushed onto a request branch to ride along with the request.
 * Neither gets an Approve button, in its thread or in the Home tab, and nothing is played.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { Gitlab } from '@gitbeaker/rest';
import { parse, stringify } from 'yaml';
import { APPROVER, Harness, REQUESTER } from './harness.ts';

let h: Harness;
before(async () => {
  h = await Harness.start();
});
after(() => h.close());

/** Bob opens his Home tab: it offers no Approve for `requestId` (a plan the bot refused is no more approvable there than in its thread). */
async function homeOffersNoApprove(requestId: string): Promise<void> {
  const slack = h.fakes.slack.driver;
  await slack.openHome(APPROVER);
  await h.waitFor(`a Home tab without an Approve for ${requestId}`, () => {
    const view = slack.homeView(APPROVER);
    return view && !JSON.stringify(view.blocks).includes(`"value":"${requestId}@`);
  });
}

const buttonsOf = (blocks: unknown): string[] => JSON.stringify(blocks ?? []).match(/"action_id":"(approve|reject)"/g) ?? [];

test('a branch that lets its compliance job fail and opens SSH to the world gets no Approve, in its thread or the Home tab', async () => {
  const project = h.fakes.gitlab.projectId;
  const ci = parse(h.fakes.gitlab.driver.readFile('main', 'terraform/.gitlab-ci.yml')!) as Record<string, Record<string, unknown>>;
  ci.compliance!.allow_failure = true;
  const rule = { id: 'SSH-1', group: 'sg-front', direction: 'ingress', protocol: 'tcp', from_port: 22, to_port: 22, cidr: '0.0.0.0/0', description: 'debugging', requester: REQUESTER, ticket: null, expires_at: null };
  h.fakes.gitlab.driver.push('feature/relaxed', { 'terraform/.gitlab-ci.yml': stringify(ci), 'terraform/rules/SSH-1.json': `${JSON.stringify(rule, null, 2)}\n` });
  const pipeline = await h.gitlab.Pipelines.create(project, 'feature/relaxed');
  await h.fakes.gitlab.driver.waitForPipeline(pipeline.id, 'manual', 15_000);
  const jobs = await h.gitlab.Jobs.all(project, { pipelineId: pipeline.id });
  assert.equal(jobs.find((j) => j.name === 'compliance')?.status, 'failed', 'the forged pipeline really reached its manual deploy past a failed compliance job');

  const id = `PL-${pipeline.id}`;
  const message = await h.waitFor('the refusal to deploy', () => h.threadMessage(id, /cannot be approved/));
  assert.deepEqual(buttonsOf(message.blocks), ['"action_id":"reject"'], 'Reject only');
  assert.match(JSON.stringify(message.blocks), /compliance job did not pass/);
  assert.match(JSON.stringify(message.blocks), /policy [a-z-]+:/);

  // Nor does the approver's Home tab offer it (a click would be judged again, and refused: tests/core/decisions.test.ts).
  await homeOffersNoApprove(id);
  assert.ok(h.fakes.slack.driver.homeView(APPROVER), 'the Home tab was published');
  assert.equal(h.plays(), 0);
  assert.ok(!h.fakes.aws.driver.rules().some((r) => r.tags['portcullis:request'] === 'SSH-1'));
});

test('a rule pushed onto a request branch is named in the approval message, and Approve is withheld (thread and Home tab) until the branch is put right', async () => {
  const project = h.fakes.gitlab.projectId;
  const { branch } = await h.request('REQ-71');
  const first = await h.waitForApprovalRequest('REQ-71');
  assert.ok(buttonsOf(first.blocks).includes('"action_id":"approve"'), 'the request alone can be approved');

  // Someone with push rights adds a second rule on the same branch: one the policy allows, so only the gate can stop it.
  const extra = { id: 'REQ-71x', group: 'sg-front', direction: 'ingress', protocol: 'tcp', from_port: 443, to_port: 443, cidr: '198.51.100.0/24', description: 'partner API', requester: REQUESTER, ticket: null, expires_at: null };
  await h.gitlab.Commits.create(project, branch, 'one more', [{ action: 'create', filePath: 'terraform/rules/REQ-71x.json', content: `${JSON.stringify(extra, null, 2)}\n` }]);
  const pipeline = await h.gitlab.Pipelines.create(project, branch);
  const blocked = await h.waitFor('the refusal to deploy the widened plan', () => h.thread('REQ-71').find((m) => /cannot be approved/.test(m.text) && JSON.stringify(m.blocks).includes(`@${pipeline.id}.`)));
  assert.match(JSON.stringify(blocked.blocks), /the plan also does: \+ ingress tcp\/443 from 198\.51\.100\.0\/24/);
  assert.deepEqual(buttonsOf(blocked.blocks), ['"action_id":"reject"']);

  await homeOffersNoApprove('REQ-71');
  assert.equal(h.plays(), 0);
  assert.ok(!h.fakes.aws.driver.rules().some((r) => r.tags['portcullis:request'] === 'REQ-71x'));
});

test('a deploy played through the GitLab API is shown as such, alerted in the channel, audited, and its merge request is not merged', async () => {
  const project = h.fakes.gitlab.projectId;
  const { pipelineId, branch } = await h.request('REQ-72');
  const approval = await h.waitForApprovalRequest('REQ-72');
  const mallory = h.fakes.gitlab.driver.addUser({ username: 'mallory', name: 'Mallory', email: 'mallory@example.test' });
  const asMallory = new Gitlab({ host: h.fakes.gitlab.url, token: mallory });
  const deploy = (await h.gitlab.Jobs.all(project, { pipelineId })).find((j) => j.name === 'deploy')!;
  await asMallory.Jobs.play(project, deploy.id);
  await h.fakes.gitlab.driver.waitForPipeline(pipelineId, 'success', 15_000);

  const alert = await h.waitFor('the alert in the channel', () => h.parents().find((m) => m.text.startsWith('Deploy played outside Slack')));
  assert.match(JSON.stringify(alert.blocks), /GitLab user `mallory` ran the deploy of REQ-72/);
  const decided = await h.waitFor('the approval message decided', () => h.thread('REQ-72').find((m) => m.ts === approval.ts && /deployed outside Slack/.test(m.text)));
  assert.deepEqual(buttonsOf(decided.blocks), [], 'no buttons left');
  const result = await h.waitFor('the deploy result', () => h.threadMessage('REQ-72', /^Deployed/));
  assert.match(JSON.stringify(result.blocks), /without approval/);
  assert.match(JSON.stringify(result.blocks), /Merge request NOT merged/);
  const mr = h.fakes.gitlab.driver.mergeRequests().find((m) => m.sourceBranch === branch)!;
  assert.equal(mr.state, 'opened');
  assert.equal(h.plays(), 1, 'only Mallory played it');
  const db = new Database(h.env.DATABASE_PATH!, { readonly: true });
  try {
    const rows = db.prepare(`SELECT action, detail FROM audit WHERE request_id = 'REQ-72' AND action LIKE 'out-of-band-deploy:%'`).all();
    assert.deepEqual(rows, [{ action: `out-of-band-deploy:${pipelineId}`, detail: 'mallory' }]);
  } finally {
    db.close();
  }
});
