/**
 * /sg-request with the bot as a process: asked in a sentence, checked, recorded in git,
 * planned, approved and deployed; a denied request creates nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { APPROVER, Harness, REQUESTER } from './harness.ts';

let h: Harness;
before(async () => {
  h = await Harness.start();
});
after(() => h.close());

test('an inline request goes from the sentence to a live rule', async () => {
  const started = Date.now();
  const { ack } = await h.fakes.slack.driver.runSlashCommand({ user: REQUESTER, command: '/sg-request', text: 'sg-front tcp 443 198.51.100.7 "payments callback" ticket=NET-7' });
  assert.ok(Date.now() - started < 3000, 'acked inside 3 s');
  assert.ok(ack, 'acked');
  const approval = await h.waitForApprovalRequest('REQ-2');
  const file = h.fakes.gitlab.driver.readFile('sg-request/REQ-2', 'terraform/rules/REQ-2.json');
  assert.equal(JSON.parse(String(file)).cidr, '198.51.100.7/32', 'the rule file holds the normalised CIDR');
  assert.equal(JSON.parse(String(file)).requester, REQUESTER);
  await h.click(APPROVER, approval, 'approve');
  await h.waitFor('the deploy result', () => h.threadMessage('REQ-2', /^Deployed/));
  assert.ok(h.fakes.aws.driver.rules().some((r) => r.tags['portcullis:request'] === 'REQ-2' && r.cidr === '198.51.100.7/32'));
});

test('a request the policy denies gets its violations at once and creates nothing in GitLab', async () => {
  const writes = () => h.fakes.gitlab.driver.requests().filter((r) => r.method !== 'GET').length;
  const before = writes();
  await h.fakes.slack.driver.runSlashCommand({ user: REQUESTER, command: '/sg-request', text: 'sg-front tcp 22 0.0.0.0/0 "debug access"' });
  const answer = await h.waitFor('the refusal', () => h.fakes.slack.driver.ephemerals(REQUESTER).find((e) => /public-ingress-no-admin-ports/.test(e.text + JSON.stringify(e.blocks ?? ''))));
  assert.match(answer.text + JSON.stringify(answer.blocks ?? ''), /bastion/i, 'with the remediation');
  assert.equal(writes(), before);
});

test('a rule that is already live, or already asked for, is refused before anything is created', async () => {
  const writes = () => h.fakes.gitlab.driver.requests().filter((r) => r.method !== 'GET').length;
  // REQ-1 (public HTTPS on sg-front) is live since the start.
  let before = writes();
  await h.fakes.slack.driver.runSlashCommand({ user: REQUESTER, command: '/sg-request', text: 'sg-front tcp 443 0.0.0.0/0 "public HTTPS again"' });
  await h.waitFor('the live duplicate refused', () => h.fakes.slack.driver.ephemerals(REQUESTER).find((e) => /already allows exactly this \(REQ-1\)/.test(e.text)));
  assert.equal(writes(), before);
  // Asked twice while the first is still open.
  await h.fakes.slack.driver.runSlashCommand({ user: REQUESTER, command: '/sg-request', text: 'sg-front tcp 443 198.51.100.77 "twice"' });
  const first = await h.waitFor('the first recorded', () => h.fakes.slack.driver.ephemerals(REQUESTER).find((e) => /Recorded as \*REQ-\d+\*/.test(e.text) && !/REQ-2\*/.test(e.text)));
  const id = /REQ-\d+/.exec(first.text)![0];
  await h.waitFor('its pipeline (the last of its GitLab writes)', () => h.fakes.gitlab.driver.pipelines().find((p) => p.ref === `sg-request/${id}`));
  before = writes();
  await h.fakes.slack.driver.runSlashCommand({ user: REQUESTER, command: '/sg-request', text: 'sg-front tcp 443 198.51.100.77 "twice"' });
  await h.waitFor('the open duplicate refused', () => h.fakes.slack.driver.ephemerals(REQUESTER).find((e) => new RegExp(`${id} already asks for exactly this rule`).test(e.text)));
  assert.equal(writes(), before);
});
