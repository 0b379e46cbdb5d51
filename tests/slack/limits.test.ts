/**
 * Every builder stays inside Slack's limits for any input size, checked by one checker
 * (slack-limits.ts, itself tested here on messages that break each limit) and, as a
 * second opinion, by the Slack fake's Block Kit validator.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Block, SlackMessage } from '../../src/core/ports.ts';
import { validateMessageBlocks, validateView } from '../../src/fakes/slack/blocks-validation.ts';
import { approvalDecided, approvalRequest, rejectModal } from '../../src/slack/blocks/approval.ts';
import { complianceReport } from '../../src/slack/blocks/compliance.ts';
import { OUR_LIMITS, SLACK_LIMITS } from '../../src/slack/blocks/limits.ts';
import { deployResult, jobFailed, pipelineStarted } from '../../src/slack/blocks/pipeline.ts';
import { planSummary } from '../../src/slack/blocks/plan.ts';
import { requestParent } from '../../src/slack/blocks/request.ts';
import * as f from './fixtures.ts';
import { assertWithinSlackLimits, slackLimitProblems } from './slack-limits.ts';

const long = (n: number, unit = 'x'): string => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
const section = (text: string): Block => ({ type: 'section', text: { type: 'mrkdwn', text } });
const button = (over: Record<string, unknown> = {}): Block => ({ type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'Go' }, ...over });
const fieldsOf = (n: number, size = 1): Block => ({ type: 'section', fields: Array.from({ length: n }, () => ({ type: 'mrkdwn', text: long(size) })) });
const contextOf = (n: number): Block => ({ type: 'context', elements: Array.from({ length: n }, () => ({ type: 'mrkdwn', text: 'c' })) });
const msg = (...blocks: Block[]): SlackMessage => ({ text: 'fallback', blocks });

describe('the limits checker', () => {
  test('accepts a message at every limit', () => {
    assert.deepEqual(slackLimitProblems(msg(
      section(long(SLACK_LIMITS.sectionText)),
      { type: 'header', text: { type: 'plain_text', text: long(SLACK_LIMITS.headerText) } },
      fieldsOf(SLACK_LIMITS.sectionFields, 100),
      contextOf(SLACK_LIMITS.contextElements),
      { type: 'actions', block_id: long(SLACK_LIMITS.blockId), elements: [button({ value: long(SLACK_LIMITS.buttonValue) })] },
    )), []);
  });

  const BROKEN: Record<string, SlackMessage> = {
    'more than 50 blocks': msg(...Array.from({ length: SLACK_LIMITS.messageBlocks + 1 }, () => ({ type: 'divider' }))),
    'section text over 3000': msg(section(long(SLACK_LIMITS.sectionText + 1))),
    'empty section text': msg(section('')),
    'header over 150': msg({ type: 'header', text: { type: 'plain_text', text: long(SLACK_LIMITS.headerText + 1) } }),
    'mrkdwn header': msg({ type: 'header', text: { type: 'mrkdwn', text: 'x' } }),
    'more than 10 fields': msg(fieldsOf(SLACK_LIMITS.sectionFields + 1)),
    'field over 2000': msg(fieldsOf(1, SLACK_LIMITS.fieldText + 1)),
    'more than 10 context elements': msg(contextOf(SLACK_LIMITS.contextElements + 1)),
    'more than 25 actions': msg({ type: 'actions', elements: Array.from({ length: SLACK_LIMITS.actionsElements + 1 }, () => button()) }),
    'button value over 2000': msg({ type: 'actions', elements: [button({ value: long(SLACK_LIMITS.buttonValue + 1) })] }),
    'button text over 75': msg({ type: 'actions', elements: [button({ text: { type: 'plain_text', text: long(SLACK_LIMITS.buttonText + 1) } })] }),
    'action_id over 255': msg({ type: 'actions', elements: [button({ action_id: long(SLACK_LIMITS.actionId + 1) })] }),
    'block_id over 255': msg({ type: 'divider', block_id: long(SLACK_LIMITS.blockId + 1) }),
    'confirm title over 100': msg({ type: 'actions', elements: [button({ confirm: {
      title: { type: 'plain_text', text: long(SLACK_LIMITS.confirmTitle + 1) },
      text: { type: 'mrkdwn', text: 'sure?' },
      confirm: { type: 'plain_text', text: 'Yes' },
      deny: { type: 'plain_text', text: 'No' },
    } })] }),
    'unknown block type': msg({ type: 'carousel' }),
    'a cut surrogate pair': msg(section('ok \uD83D')),
    'too much text in all': msg(...Array.from({ length: Math.ceil(OUR_LIMITS.messageBlockText / SLACK_LIMITS.sectionText) + 1 }, () => section(long(SLACK_LIMITS.sectionText)))),
    'empty fallback text': { text: '', blocks: [] },
    'fallback text over our cap': { text: long(OUR_LIMITS.fallbackText + 1), blocks: [] },
  };
  for (const [name, message] of Object.entries(BROKEN)) {
    test(`rejects ${name}`, () => {
      assert.notDeepEqual(slackLimitProblems(message), [], `${name} passed the checker`);
      assert.throws(() => assertWithinSlackLimits(message), /breaks Slack's limits/);
    });
  }
});

/** Huge and hostile inputs for every builder, by name. */
function hugeMessages(): Record<string, SlackMessage> {
  const bigText = long(5000, 'justify <!channel> & ');
  const bigRule = f.rule({ description: bigText, ticket: long(5000, 'T-1 ') });
  const bigRequest = f.request({ rule: bigRule, branch: long(5000, 'b/') });
  const violations = Array.from({ length: 500 }, (_, i) => f.finding({ policy: `policy-${i}`, message: long(500, `violation ${i} `), remediation: long(300, 'fix ') }));
  const planLines = Array.from({ length: 10_000 }, (_, i) => f.ruleLine(`+ ingress tcp/${i % 65535} from 203.0.113.${i % 256}/32 → sg-front "rule ${i}" (REQ-${i})`));
  const megabyteLog = Array.from({ length: 20_000 }, (_, i) => `line ${i}: ${long(45, '<&>')}`).join('\n');
  const ctx = f.approvalContext({ requiredApprovals: 1000, approvedBy: Array.from({ length: 999 }, (_, i) => `U${String(i).padStart(8, '0')}`) });
  return {
    'requestParent, 5,000-char description, ticket and branch': requestParent(bigRequest, f.LINKS),
    'requestParent, external with a 5,000-char branch': requestParent(f.externalRequest(long(5000, 'feature/')), f.LINKS),
    'pipelineStarted, 5,000-char branch': pipelineStarted({ pipelineId: 1, pipelineUrl: f.LINKS.pipelineUrl, branch: long(5000, 'x'), sha: null }),
    'complianceReport, 500 violations': complianceReport(f.report(violations)),
    'complianceReport, 500 violations and 500 warnings': complianceReport(f.report(violations, violations)),
    'complianceReport, one 100 kB violation': complianceReport(f.report([f.finding({ message: long(100_000, 'm ') })])),
    'planSummary, 10,000 lines': planSummary(f.plan(planLines)).message,
    'planSummary, one 100 kB line': planSummary(f.plan([f.ruleLine(long(100_000, '+ x '))])).message,
    'approvalRequest, 5,000-char description, 999 approvals': approvalRequest(bigRequest, ctx),
    'approvalDecided, 1 MB reason': approvalDecided(bigRequest, { outcome: 'rejected', by: 'U1', at: '2024-05-01T09:30:00Z', reason: long(1_000_000, 'no\n') }, ctx),
    'jobFailed, 1 MB log in lines': jobFailed({ jobName: long(5000, 'job '), logTail: megabyteLog, jobUrl: f.JOB_URL }),
    'jobFailed, 1 MB log on one line': jobFailed({ jobName: 'plan', logTail: long(1_000_000, '<😀&'), jobUrl: null }),
    'deployResult, 5,000 checks': deployResult(bigRequest, {
      succeeded: false,
      jobUrl: f.JOB_URL,
      merged: false,
      checks: Array.from({ length: 5000 }, (_, i) => ({ name: `check ${i}`, ok: i % 2 === 0, detail: long(200, 'detail ') })),
    }),
  };
}

describe('builders stay within the limits for huge inputs', () => {
  for (const [name, message] of Object.entries(hugeMessages())) {
    test(name, () => {
      assertWithinSlackLimits(message);
      assert.deepEqual(validateMessageBlocks(message.blocks), [], 'the Slack fake refuses it');
    });
  }
});

test('planSummary: 10,000 lines overflow, the message says the plan is attached, and the first lines are shown', () => {
  const lines = Array.from({ length: 10_000 }, (_, i) => f.ruleLine(`+ rule ${i}`));
  const { message, overflow } = planSummary(f.plan(lines), { planFileName: 'plan.txt' });
  assert.equal(overflow, true);
  const all = JSON.stringify(message);
  assert.match(all, /\+ rule 0\\n\+ rule 1\\n/);
  assert.match(all, /more rule changes: the full plan is attached in this thread as plan\.txt/);
  assert.match(message.text, /full plan attached/);
  assert.equal(planSummary(f.SAMPLE_PLAN).overflow, false);
});

test('complianceReport: the note counts exactly the violations left out', () => {
  const violations = Array.from({ length: 500 }, (_, i) => f.finding({ policy: `p${i}` }));
  const all = JSON.stringify(complianceReport(f.report(violations)));
  const shown = (all.match(/`p\d+`/g) ?? []).length;
  assert.ok(shown > 10 && shown < 500, `${shown} shown`);
  assert.match(all, new RegExp(`and ${500 - shown} more violations`));
});

test('jobFailed keeps the LAST lines of a long log, marked as cut', () => {
  const log = Array.from({ length: 20_000 }, (_, i) => `line ${i}`).join('\n');
  const text = String(((jobFailed({ jobName: 'plan', logTail: log, jobUrl: null }).blocks![1] as Block).text as Block).text);
  assert.match(text, /^```\n…\nline \d+\n/);
  assert.match(text, /\nline 19999\n```$/);
  assert.doesNotMatch(text, /\nline 0\n/);
});

test('the reject modal passes the Slack fake view validator', () => {
  const view = rejectModal('REQ-12');
  assert.deepEqual(validateView(view), []);
  assert.ok(String((view.title as Block).text).length <= SLACK_LIMITS.viewTitle);
});

test('builders refuse a request id that could not travel in a button value', () => {
  assert.throws(() => rejectModal(long(3000)), /is not a request id/);
  assert.throws(() => approvalRequest(f.request({ id: 'REQ 1|<x>' }), f.approvalContext()), /is not a request id/);
});
