/**
 * Text from people and pipelines is shown, never acted on: with a hostile string in every
 * field a person or GitLab supplies, no mrkdwn the bot sends contains a control sequence
 * it did not build itself, and the hostile text appears escaped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SlackMessage } from '../../src/core/ports.ts';
import { approvalDecided, approvalRequest, refusal } from '../../src/slack/blocks/approval.ts';
import { complianceReport } from '../../src/slack/blocks/compliance.ts';
import { deployResult, jobFailed, pipelineStarted } from '../../src/slack/blocks/pipeline.ts';
import { planSummary } from '../../src/slack/blocks/plan.ts';
import { requestParent } from '../../src/slack/blocks/request.ts';
import { HOSTILE } from './fixtures.ts';
import * as f from './fixtures.ts';

const ESCAPED = '&lt;!channel&gt; &lt;@U123&gt; &lt;http://evil.example|click&gt; &amp;amp; &lt;!subteam^S1&gt;';

/**
 * The control sequences the builders make: mentions of the fixtures' user ids (all start
 * with U0, unlike the hostile U123), links to the fixtures' loopback URLs, and dates.
 */
const OURS = /<(?:@U0[A-Z0-9]+|http:\/\/127\.0\.0\.1[^\s|<>]*\|[^<>]*|!date\^\d+\^[^|<>]*\|[^<>]*)>/g;
/** A `>` opening a line is a block quote the bot made (a rejection reason); input's `>` is escaped. */
const QUOTE = /^>/gm;

const withoutOurs = (text: string): string => text.replace(OURS, '').replace(QUOTE, '');

type Json = Record<string, unknown>;

/** Every string Slack parses as mrkdwn: the fallback text and each mrkdwn text object. */
function mrkdwnStrings(message: SlackMessage): string[] {
  const found = [message.text];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (typeof v !== 'object' || v === null) return;
    const o = v as Json;
    if (o.type === 'mrkdwn' && typeof o.text === 'string') found.push(o.text);
    Object.values(o).forEach(walk);
  };
  walk(message.blocks);
  return found;
}

function plainStrings(message: SlackMessage): string[] {
  const found: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (typeof v !== 'object' || v === null) return;
    const o = v as Json;
    if (o.type === 'plain_text' && typeof o.text === 'string') found.push(o.text);
    Object.values(o).forEach(walk);
  };
  walk(message.blocks);
  return found;
}

function assertNothingSmuggled(name: string, message: SlackMessage): void {
  const texts = mrkdwnStrings(message);
  for (const text of texts) {
    const rest = withoutOurs(text);
    assert.doesNotMatch(rest, /[<>]/, `${name}: a control sequence the bot did not build: ${rest.slice(0, 300)}`);
    assert.doesNotMatch(rest, /&(?!amp;|lt;|gt;)/, `${name}: an unescaped &: ${rest.slice(0, 300)}`);
  }
  assert.ok(texts.some((t) => t.includes(ESCAPED)), `${name}: the hostile text is not shown escaped`);
}

const hostileRule = f.rule({ description: HOSTILE, ticket: HOSTILE });
const hostileRequest = f.request({ rule: hostileRule });
const ctx = f.approvalContext({ requiredApprovals: 2, approvedBy: ['U0APPROVER1'] });

const CASES: Record<string, SlackMessage> = {
  'requestParent (description, ticket)': requestParent(hostileRequest, f.LINKS),
  'requestParent external (branch)': requestParent(f.externalRequest(HOSTILE), f.LINKS),
  'pipelineStarted (branch)': pipelineStarted({ pipelineId: 1, pipelineUrl: f.LINKS.pipelineUrl, branch: HOSTILE, sha: HOSTILE }),
  'complianceReport (policy, rule, message, remediation)': complianceReport(
    f.report([f.finding({ policy: HOSTILE, rule: HOSTILE, message: HOSTILE, remediation: HOSTILE })], [f.finding({ message: HOSTILE })]),
  ),
  'planSummary (rule lines)': planSummary(f.plan([f.ruleLine(HOSTILE)]), { planFileName: HOSTILE }).message,
  'approvalDecided (reject reason)': approvalDecided(hostileRequest, { outcome: 'rejected', by: 'U0APPROVER1', at: '2024-05-01T09:30:00Z', reason: HOSTILE }, ctx),
  'jobFailed (job name, log)': jobFailed({ jobName: HOSTILE, logTail: `${HOSTILE}\n${HOSTILE}`, jobUrl: f.JOB_URL }),
  'deployResult (check name, detail)': deployResult(hostileRequest, { succeeded: true, jobUrl: f.JOB_URL, merged: true, checks: [{ name: HOSTILE, ok: false, detail: HOSTILE }] }),
};

for (const [name, message] of Object.entries(CASES)) {
  test(`escaped everywhere: ${name}`, () => assertNothingSmuggled(name, message));
}

test('a hostile title in an approval request is escaped, and the buttons stay ours', () => {
  const message = approvalRequest(f.externalRequest(HOSTILE), ctx);
  for (const text of mrkdwnStrings(message)) assert.doesNotMatch(withoutOurs(text), /[<>]/);
  assert.ok(mrkdwnStrings(message).some((t) => t.includes(ESCAPED)));
});

test('plain_text shows the text as typed: Slack does not parse it, so escaping would show entities', () => {
  const header = plainStrings(requestParent(f.externalRequest(HOSTILE), f.LINKS))[0]!;
  assert.ok(header.includes(HOSTILE), header);
});

test('a requester id that is not a user id is never turned into a mention', () => {
  for (const requester of ['<!channel>', 'U123>|<!here', 'here', 'u0lower']) {
    const message = requestParent(f.request({ requester }), f.LINKS);
    for (const text of mrkdwnStrings(message)) {
      assert.doesNotMatch(withoutOurs(text), /[<>]/, `requester ${requester}: ${text}`);
      assert.ok(!text.includes(`<@${requester}>`));
    }
  }
});

test('refusal text escapes the reason', () => {
  assert.equal(refusal(HOSTILE), `:no_entry_sign: Not done: ${ESCAPED}`);
});
