/** The Home tab builder: its sections, the channel's own buttons, empty states and limits. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Block } from '../../src/core/ports.ts';
import { validateView } from '../../src/fakes/slack/blocks-validation.ts';
import { approvalRequest, APPROVE_ACTION, decisionValue, REJECT_ACTION } from '../../src/slack/blocks/approval.ts';
import { HOME_CAPS, HOME_EMPTY, homeView, type HomeInput } from '../../src/slack/blocks/home.ts';
import { SLACK_LIMITS } from '../../src/slack/blocks/limits.ts';
import * as f from './fixtures.ts';
import { blockTexts, slackLimitProblems } from './slack-limits.ts';

const ME = 'U0APPROVER1';

function input(overrides: Partial<HomeInput> = {}): HomeInput {
  return { user: ME, awaitingMyApproval: [], mine: [], recent: [], requiredApprovals: 1, ...overrides };
}

function blocksOf(view: Record<string, unknown>): Block[] {
  return view.blocks as Block[];
}

const texts = (view: Record<string, unknown>): string => blockTexts(blocksOf(view)).join('\n');
const actionBlocks = (view: Record<string, unknown>): Block[] => blocksOf(view).filter((b) => b.type === 'actions');

/**
 * The message checker's per-block rules apply to a view as they are; its block count and
 * text budget are a message's, so a view is held to Slack's 100 blocks instead.
 */
function assertHomeWithinLimits(view: Record<string, unknown>): void {
  assert.equal(view.type, 'home');
  const blocks = blocksOf(view);
  assert.ok(blocks.length <= SLACK_LIMITS.viewBlocks, `${blocks.length} blocks`);
  const problems = slackLimitProblems({ text: 'home', blocks }).filter((p) => !p.startsWith('blocks: '));
  assert.deepEqual(problems, []);
  assert.deepEqual(validateView(view), [], 'the Slack fake refuses the view');
}

test('nothing to show: each section says so in words, and there is no button', () => {
  const view = homeView(input());
  assertHomeWithinLimits(view);
  const all = texts(view);
  for (const empty of Object.values(HOME_EMPTY)) assert.ok(all.includes(empty), `missing "${empty}"`);
  assert.deepEqual(
    blocksOf(view).filter((b) => b.type === 'header').map((b) => (b.text as { text: string }).text),
    ['Waiting for your approval', 'Your open requests', 'Recent changes'],
  );
  assert.deepEqual(actionBlocks(view), []);
});

test('a request waiting for my approval carries exactly the channel message\'s buttons, confirm dialog included', () => {
  const request = f.request();
  const view = homeView(input({ awaitingMyApproval: [{ request, approvedBy: [] }], links: new Map([['REQ-12', { ...f.LINKS, jobUrl: f.JOB_URL }]]) }));
  assertHomeWithinLimits(view);
  const channel = approvalRequest(request, f.approvalContext()).blocks!.find((b) => b.type === 'actions')!;
  const [home] = actionBlocks(view);
  assert.deepEqual(home!.elements, channel.elements);
  const [approve, reject] = home!.elements as Block[];
  assert.equal(approve!.action_id, APPROVE_ACTION);
  assert.equal(reject!.action_id, REJECT_ACTION);
  assert.equal(approve!.value, decisionValue(request));
  assert.equal(approve!.value, 'REQ-12@101.553');
  // The card shows what is asked, by whom, and links, but not the channel's banner.
  const all = texts(view);
  assert.match(all, /\*REQ-12: open tcp\/443 from 203\.0\.113\.0\/24 to sg-front\*\nRequested by <@U0REQUESTER>/);
  assert.ok(all.includes(`<${f.LINKS.pipelineUrl}|Pipeline>`));
  assert.ok(!all.includes('Approval needed'));
  assert.ok(!all.includes(HOME_EMPTY.awaiting));
});

test('several cards: each buttons block has its own block_id (Slack refuses duplicates in a view)', () => {
  const awaiting = ['REQ-1', 'REQ-2', 'REQ-3'].map((id, i) => ({ request: f.request({ id, pipelineId: 200 + i }), approvedBy: [] }));
  const view = homeView(input({ awaitingMyApproval: awaiting, requiredApprovals: 2 }));
  assertHomeWithinLimits(view);
  const ids = blocksOf(view).map((b) => b.block_id).filter((id) => id !== undefined);
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual(actionBlocks(view).map((b) => b.block_id), ['decision:REQ-1', 'decision:REQ-2', 'decision:REQ-3']);
  assert.deepEqual(actionBlocks(view).map((b) => (b.elements as Block[])[0]!.value), ['REQ-1@200.553', 'REQ-2@201.553', 'REQ-3@202.553']);
  // Two approvals needed: each card says how many are in.
  assert.match(texts(view), /Approvals: 0 of 2 \(none yet\)/);
});

test('my open requests show their status; recent changes name who approved them', () => {
  const view = homeView(
    input({
      mine: [f.request({ id: 'REQ-7', state: 'planning', updatedAt: '2024-05-01T10:00:00Z' }), f.request({ id: 'REQ-8', state: 'queued' })],
      recent: [
        { request: f.request({ id: 'REQ-5', state: 'deployed' }), approvedBy: ['U0BOB', 'U0CAROL'], at: '2024-05-02T08:00:00Z' },
        { request: f.request({ id: 'REQ-4', state: 'deployed' }), approvedBy: [], at: '2024-05-01T08:00:00Z' },
      ],
    }),
  );
  assertHomeWithinLimits(view);
  const all = texts(view);
  assert.match(all, /:gear: \*REQ-7: open tcp\/443 from 203\.0\.113\.0\/24 to sg-front\* · Planning · since <!date\^1714557600\^/);
  assert.match(all, /:double_vertical_bar: \*REQ-8: .*\* · Queued behind an earlier change/);
  assert.match(all, /:white_check_mark: \*REQ-5: .*\* · deployed <!date\^1714636800\^.* · approved by <@U0BOB>, <@U0CAROL>/);
  assert.match(all, /\*REQ-4: .*· no approval recorded/);
  assert.ok(all.indexOf('REQ-5') < all.indexOf('REQ-4'), 'recent changes keep the order given (newest first)');
  assert.ok(!all.includes(HOME_EMPTY.mine) && !all.includes(HOME_EMPTY.recent));
});

test('a branch name from a push is shown, never acted on', () => {
  const external = f.externalRequest(f.HOSTILE);
  const view = homeView(input({ awaitingMyApproval: [{ request: external, approvedBy: [] }], mine: [external], recent: [{ request: external, approvedBy: [], at: '2024-05-02T08:00:00Z' }] }));
  assertHomeWithinLimits(view);
  const all = texts(view);
  assert.ok(!all.includes('<!channel>') && !all.includes('<http://evil'), all);
  assert.ok(all.includes('&lt;!channel&gt;'));
});

test('far more than fits: every section is capped with a count of what is left out, within 100 blocks', () => {
  const many = (n: number, state: 'awaiting_approval' | 'planning' | 'deployed') =>
    Array.from({ length: n }, (_, i) => f.request({ id: `REQ-${state.slice(0, 3)}-${i}`, state, pipelineId: 1000 + i }));
  const view = homeView(
    input({
      awaitingMyApproval: many(40, 'awaiting_approval').map((request) => ({ request, approvedBy: ['U0BOB'] })),
      mine: many(300, 'planning'),
      recent: many(300, 'deployed').map((request) => ({ request, approvedBy: ['U0BOB', 'U0CAROL'], at: '2024-05-02T08:00:00Z' })),
      requiredApprovals: 3,
      links: new Map(many(40, 'awaiting_approval').map((r) => [r.id, { ...f.LINKS, jobUrl: f.JOB_URL }])),
    }),
  );
  assertHomeWithinLimits(view);
  assert.equal(actionBlocks(view).length, HOME_CAPS.awaiting);
  const all = texts(view);
  assert.match(all, new RegExp(`…and ${40 - HOME_CAPS.awaiting} more waiting for your approval`));
  assert.match(all, /…and \d+ more open requests/);
  assert.match(all, /…and \d+ more changes/);
});
