/**
 * Pipelines the bot did not start: a person's push that changes rules gets a thread and
 * the same approval flow; one whose plan changes nothing (the default branch after a
 * merge) gets none.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { APPROVER, Harness } from './harness.ts';

let h: Harness;
before(async () => {
  h = await Harness.start();
});
after(() => h.close());

const waitQuiet = async () => {
  // Every delivery so far answered, and the inbox drained: the bot has seen everything.
  await h.waitFor('the deliveries to be answered', () => h.fakes.gitlab.driver.deliveries().every((d) => d.status !== null));
  await new Promise((r) => setTimeout(r, 500));
};

test('a pipeline whose plan changes nothing gets no thread', async () => {
  const project = h.fakes.gitlab.projectId;
  h.fakes.gitlab.driver.push('docs', { 'README.md': 'docs only' });
  const pipeline = await h.gitlab.Pipelines.create(project, 'docs');
  await h.fakes.gitlab.driver.waitForPipeline(pipeline.id, 'manual', 10_000);
  await waitQuiet();
  assert.equal(h.parents().filter((m) => m.text.includes(`PL-${pipeline.id}`)).length, 0, JSON.stringify(h.parents().map((m) => m.text)));
});

test('a person\'s push that adds a rule is followed like a request: thread, approval, deploy', async () => {
  const project = h.fakes.gitlab.projectId;
  const rule = { id: 'HAND-1', group: 'sg-front', direction: 'ingress', protocol: 'tcp', from_port: 443, to_port: 443, cidr: '192.0.2.10/32', description: 'added by hand', requester: 'U0CAROL', ticket: null, expires_at: null };
  h.fakes.gitlab.driver.push('feature/hand', { 'terraform/rules/HAND-1.json': `${JSON.stringify(rule, null, 2)}\n` });
  const pipeline = await h.gitlab.Pipelines.create(project, 'feature/hand');
  const approval = await h.waitForApprovalRequest(`PL-${pipeline.id}`);
  await h.click(APPROVER, approval, 'approve');
  await h.fakes.gitlab.driver.waitForPipeline(pipeline.id, 'success', 15_000);
  assert.ok(h.fakes.aws.driver.rules().some((r) => r.tags['portcullis:request'] === 'HAND-1'));
});
