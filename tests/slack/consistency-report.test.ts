/**
 * The consistency result as a Slack thread reply: a one-line verdict when in sync, each
 * finding escaped on its own line otherwise, inside Slack's limits for any number of them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareConsistency, type LiveRule } from '../../src/checks/consistency.ts';
import { validateMessageBlocks } from '../../src/fakes/slack/blocks-validation.ts';
import { consistencyReport } from '../../src/slack/blocks/consistency.ts';
import { assertWithinSlackLimits, blockTexts } from './slack-limits.ts';

const rule = { group: 'sg-front', direction: 'ingress' as const, protocol: 'tcp', fromPort: 443, toPort: 443, peer: '203.0.113.0/24', description: 'Partner API' };
const byHand = (i: number, description = 'by hand'): LiveRule => ({ ...rule, ruleId: `sgr-${i}`, request: null, fromPort: 1000 + i, toPort: 1000 + i, description });

test('in sync: one section with the verdict and the count', () => {
  const result = compareConsistency({ git: [{ id: 'REQ-1', ...rule }], state: [{ id: 'REQ-1', ruleId: 'sgr-1', ...rule }], live: [{ ruleId: 'sgr-1', request: 'REQ-1', ...rule }] });
  const msg = consistencyReport(result);
  assert.equal(msg.blocks?.length, 1);
  assert.match(blockTexts(msg.blocks)[0]!, /^:white_check_mark: \*Consistency check\*: In sync: 1 rule in sync/);
  assert.match(msg.text, /^In sync/);
  assertWithinSlackLimits(msg);
});

test('each finding is a line naming its kind, rule and group', () => {
  const result = compareConsistency({ git: [{ id: 'REQ-2', ...rule }], state: [], live: [byHand(9)] });
  const text = blockTexts(consistencyReport(result).blocks).join('\n');
  assert.match(text, /^:warning: \*Consistency check\*: Not in sync: 2 differences \(1 not applied, 1 unmanaged in AWS\), 0 rules in sync/);
  assert.match(text, /• \*not applied\*: REQ-2 in sg-front: in git but not in the Terraform state/);
  assert.match(text, /• \*unmanaged in AWS\*: sgr-9 in sg-front: live in AWS but not in git/);
});

test('a description edited in AWS to something hostile reaches Slack escaped', () => {
  const hostile = '<!channel> <@U123> <http://evil|ok> & more';
  const result = compareConsistency({
    git: [{ id: 'REQ-1', ...rule }],
    state: [{ id: 'REQ-1', ruleId: 'sgr-1', ...rule }],
    live: [{ ruleId: 'sgr-1', request: 'REQ-1', ...rule, description: hostile }],
  });
  const text = blockTexts(consistencyReport(result).blocks).join('\n');
  assert.match(text, /description "Partner API" ≠ "&lt;!channel&gt; &lt;@U123&gt; &lt;http:\/\/evil\|ok&gt; &amp; more"/);
  assert.doesNotMatch(text, /<!channel>|<@U123>|<http/);
});

test('thousands of findings stay inside Slack limits and say how many were left out', () => {
  const live = Array.from({ length: 5000 }, (_, i) => byHand(i));
  const result = compareConsistency({ git: [], state: [], live });
  const msg = consistencyReport(result);
  assertWithinSlackLimits(msg);
  assert.deepEqual(validateMessageBlocks(msg.blocks), []);
  const texts = blockTexts(msg.blocks);
  const shown = texts.join('\n').split('\n').filter((l) => l.startsWith('• ')).length;
  assert.ok(shown > 10, `${shown} findings shown`);
  assert.match(texts.at(-1)!, new RegExp(`^…and ${5000 - shown} more differences`));
});
