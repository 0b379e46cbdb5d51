/**
 * The bot as a process: a live rule whose expiry has passed is revoked on the next
 * reconciliation pass and, with AUTO_APPROVE_EXPIRED_REVOCATIONS, deployed without a click.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { serializeRuleFile, ruleFileSchema } from '../../src/domain/rule.ts';
import { Harness, REQUESTER } from './harness.ts';

let h: Harness;
before(async () => {
  h = await Harness.start({ RECONCILE_INTERVAL: '300ms', AUTO_APPROVE_EXPIRED_REVOCATIONS: 'true' });
});
after(() => h.close());

test('an expired live rule gets its revocation thread, deployed by the bot, and is gone from EC2', async () => {
  const rule = ruleFileSchema.parse({
    id: 'REQ-70', group: 'sg-front', protocol: 'tcp', from_port: 443, to_port: 443, cidr: '203.0.113.0/24',
    description: 'partner API for the migration', requester: REQUESTER, ticket: 'NET-70', expires_at: '2026-01-01T00:00:00Z',
  });
  // Merged and deployed earlier, in one synchronous step so no pass sees it half done.
  h.fakes.gitlab.driver.push('main', { 'terraform/rules/REQ-70.json': serializeRuleFile(rule) }, 'REQ-70: partner API');
  h.fakes.gitlab.driver.deployBranch();
  assert.ok(h.fakes.aws.driver.rules().some((r) => r.tags['portcullis:request'] === 'REQ-70'), 'live before');

  await h.waitFor('the revocation parent', () => h.parentOf('REV-REQ-70'));
  assert.match(h.parentOf('REV-REQ-70')!.text, /close tcp\/443 from 203\.0\.113\.0\/24 to sg-front/);
  await h.waitFor('the deploy result', () => h.threadMessage('REV-REQ-70', /^Deployed/), 20_000);
  await h.waitFor('the rule to be gone from EC2', () => !h.fakes.aws.driver.rules().some((r) => r.tags['portcullis:request'] === 'REQ-70'));

  assert.equal(h.plays(), 1, 'the bot played the deploy once, nobody clicked');
  const decided = h.threadMessage('REV-REQ-70', /approv/i);
  assert.ok(decided, 'the approval message is in the thread');
  assert.doesNotMatch(JSON.stringify(decided.blocks), /"type":"button"/, 'decided, no buttons left');
  assert.equal(h.parents().filter((m) => m.text.includes('REV-REQ-70')).length, 1, 'one revocation, however many passes ran');
  await h.waitFor('the merge', () => h.fakes.gitlab.driver.mergeRequests().find((mr) => mr.sourceBranch === 'sg-request/REV-REQ-70' && mr.state === 'merged'));
  assert.equal(h.fakes.gitlab.driver.readFile('main', 'terraform/rules/REQ-70.json'), undefined, 'the rule file is gone from main');
});
