/** Home tabs from the store: who sees what, and whose Homes a request's change refreshes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Block } from '../../src/core/ports.ts';
import { RECENT_SHOWN, refreshHome, refreshHomes } from '../../src/core/home.ts';
import { recordVerdict } from '../../src/core/gate.ts';
import { PRODUCTION_APPROVER, twoEnvironments } from '../helpers/environments.ts';
import { MAX_VIEWERS } from '../../src/core/home-viewers.ts';
import { HOME_EMPTY } from '../../src/slack/blocks/home.ts';
import { blockTexts } from '../slack/slack-limits.ts';
import {
  answeringVcs,
  APPROVER,
  BYSTANDER,
  GITLAB,
  GROUP_APPROVER,
  homeDeps,
  REQUESTER,
  stored,
  stubChat,
  type StubChat,
} from './home-fixtures.ts';

const textOf = (view: Record<string, unknown>): string => blockTexts(view.blocks).join('\n');

/** Request ids on the Approve buttons of a Home view. */
function buttons(view: Record<string, unknown>): string[] {
  return (view.blocks as Block[])
    .filter((b) => b.type === 'actions')
    .map((b) => String((b.elements as Block[])[0]!.value).split('@')[0]!);
}

function lastHome(chat: StubChat, user: string): Record<string, unknown> {
  const home = chat.published.findLast((p) => p.user === user);
  assert.ok(home, `no Home published for ${user}`);
  return home.view;
}

test('an approver sees only what waits for them: not their own, not one they approved, not an expired one', async (t) => {
  const chat = stubChat();
  const deps = homeDeps(t, { chat });
  stored(deps, { id: 'REQ-1' });
  stored(deps, { id: 'REQ-2' });
  deps.store.approvals.add('REQ-2', APPROVER, '2025-03-01T11:30:00.000Z');
  stored(deps, { id: 'REQ-3', requester: APPROVER });
  stored(deps, { id: 'REQ-4', awaitingSince: '2025-02-27T11:00:00.000Z' }); // past the 24 h TTL
  stored(deps, { id: 'REQ-5', state: 'planning' });
  stored(deps, { id: 'REQ-6', state: 'rejected' });

  await refreshHome(deps, APPROVER);
  const view = lastHome(chat, APPROVER);
  assert.deepEqual(buttons(view), ['REQ-1']);
  const text = textOf(view);
  assert.match(text, /\*REQ-3: open tcp\/443 .*\* · Waiting for approval/, 'their own request is under "Your open requests"');
  assert.ok(!text.includes('REQ-6'), 'a finished request is not open');
  // Links read from GitLab for the card.
  assert.ok(text.includes(`<${GITLAB}/-/pipelines/100|Pipeline>`));
  assert.ok(text.includes(`<${GITLAB}/-/jobs/1000|Deploy job>`));
});

test('a plan the bot refused gets no Approve in the Home tab; once its verdict on that plan is ok again, it does', async (t) => {
  const chat = stubChat();
  const deps = homeDeps(t, { chat });
  const request = stored(deps, { id: 'REQ-1' });
  stored(deps, { id: 'REQ-2' });
  recordVerdict(deps, request, { ok: false, problems: ["the pipeline's compliance job did not pass (it is failed)"] });
  await refreshHome(deps, APPROVER);
  assert.deepEqual(buttons(lastHome(chat, APPROVER)), ['REQ-2']);
  // Recorded once per change of verdict on a plan, in the audit trail.
  recordVerdict(deps, request, { ok: false, problems: ["the pipeline's compliance job did not pass (it is failed)"] });
  assert.deepEqual(deps.store.audit.list('REQ-1').filter((e) => e.action === 'gate').map((e) => e.outcome), ['refused']);

  recordVerdict(deps, request, { ok: true });
  await refreshHome(deps, APPROVER);
  assert.deepEqual(buttons(lastHome(chat, APPROVER)), ['REQ-1', 'REQ-2']);
  // A refusal of an earlier plan job says nothing of the current one.
  recordVerdict(deps, { ...request, planJobId: 999 }, { ok: false, problems: ['older'] });
  await refreshHome(deps, APPROVER);
  assert.deepEqual(buttons(lastHome(chat, APPROVER)), ['REQ-1', 'REQ-2']);
});

test("with several environments, each card names its request's environment, and only that environment's approvers see it", async (t) => {
  const chat = stubChat();
  const deps = homeDeps(t, { chat, environments: twoEnvironments() });
  stored(deps, { id: 'REQ-1', environment: 'production' });
  stored(deps, { id: 'REQ-2', environment: 'staging' });
  await refreshHome(deps, PRODUCTION_APPROVER);
  const view = lastHome(chat, PRODUCTION_APPROVER);
  assert.deepEqual(buttons(view), ['REQ-1']);
  assert.match(textOf(view), /\*REQ-1 \[production\]: open tcp\/443 /);
});

test('a member of the approver group gets the buttons; a bystander and the requester do not', async (t) => {
  const chat = stubChat();
  const deps = homeDeps(t, { chat });
  stored(deps, { id: 'REQ-1' });

  for (const user of [GROUP_APPROVER, BYSTANDER, REQUESTER]) await refreshHome(deps, user);
  assert.deepEqual(buttons(lastHome(chat, GROUP_APPROVER)), ['REQ-1']);
  assert.deepEqual(buttons(lastHome(chat, BYSTANDER)), []);
  assert.ok(textOf(lastHome(chat, BYSTANDER)).includes(HOME_EMPTY.awaiting));
  // Alice is an approver too, but she asked for REQ-1: it shows as hers, without buttons.
  assert.deepEqual(buttons(lastHome(chat, REQUESTER)), []);
  assert.match(textOf(lastHome(chat, REQUESTER)), /REQ-1: .* · Waiting for approval/);
});

test('recent changes: the last deployed requests, newest first, with who approved the plan that went out', async (t) => {
  const chat = stubChat();
  const deps = homeDeps(t, { chat });
  for (let i = 1; i <= RECENT_SHOWN + 2; i += 1) {
    const id = `REQ-${i}`;
    stored(deps, { id, state: 'deployed', updatedAt: `2025-03-01T11:${String(i).padStart(2, '0')}:00.000Z` });
    deps.store.approvals.add(id, i % 2 === 0 ? APPROVER : GROUP_APPROVER, '2025-03-01T11:00:00.000Z');
    deps.store.audit.record({ at: '2025-03-01T11:00:00.000Z', requestId: id, actor: APPROVER, action: 'approve', outcome: 'ok', detail: '' });
  }
  stored(deps, { id: 'REQ-99', state: 'rejected', updatedAt: '2025-03-01T11:59:00.000Z' });
  deps.store.audit.record({ at: '2025-03-01T11:59:00.000Z', requestId: 'REQ-99', actor: APPROVER, action: 'reject', outcome: 'ok', detail: 'no' });

  await refreshHome(deps, BYSTANDER);
  const text = textOf(lastHome(chat, BYSTANDER));
  const shown = [...text.matchAll(/\*(REQ-\d+): .*· deployed .* · approved by (<@\w+>)/g)].map((m) => `${m[1]} ${m[2]}`);
  assert.equal(shown.length, RECENT_SHOWN);
  assert.deepEqual(shown.slice(0, 3), [`REQ-12 <@${APPROVER}>`, `REQ-11 <@${GROUP_APPROVER}>`, `REQ-10 <@${APPROVER}>`]);
  assert.ok(!text.includes('REQ-99') && !text.includes('REQ-1:'), 'neither the rejected one nor the oldest deploys');
});

test('GitLab not answering: the Home is still published, without links', async (t) => {
  const chat = stubChat();
  const deps = homeDeps(t, { chat, vcs: answeringVcs({ getPipeline: async () => Promise.reject(new Error('502 Bad Gateway')) }) });
  stored(deps, { id: 'REQ-1' });
  await refreshHome(deps, APPROVER);
  const view = lastHome(chat, APPROVER);
  assert.deepEqual(buttons(view), ['REQ-1']);
  assert.ok(!textOf(view).includes(GITLAB));
});

test('a request changing state refreshes the open Homes of its requester and the approvers only', async (t) => {
  const chat = stubChat();
  const deps = homeDeps(t, { chat });
  const request = stored(deps, { id: 'REQ-1', state: 'planning' });

  await refreshHomes(deps, request);
  assert.equal(chat.published.length, 0, 'nobody opened their Home: nothing is published');

  for (const user of [REQUESTER, BYSTANDER, GROUP_APPROVER]) await refreshHome(deps, user);
  chat.published.length = 0;
  const waiting = stored(deps, { id: 'REQ-1', state: 'awaiting_approval' });
  await refreshHomes(deps, waiting);
  assert.deepEqual(chat.published.map((p) => p.user).sort(), [REQUESTER, GROUP_APPROVER].sort(), 'Bob never opened his Home; Dave is not concerned');
  assert.deepEqual(buttons(lastHome(chat, GROUP_APPROVER)), ['REQ-1']);

  chat.published.length = 0;
  const deployed = stored(deps, { id: 'REQ-1', state: 'deployed', updatedAt: '2025-03-01T11:59:00.000Z' });
  deps.store.audit.record({ at: '2025-03-01T11:58:00.000Z', requestId: 'REQ-1', actor: GROUP_APPROVER, action: 'approve', outcome: 'ok', detail: '' });
  await refreshHomes(deps, deployed);
  assert.deepEqual(chat.published.map((p) => p.user).sort(), [REQUESTER, BYSTANDER, GROUP_APPROVER].sort(), 'a deploy joins everyone\'s recent changes');
  assert.match(textOf(lastHome(chat, BYSTANDER)), /REQ-1: .* · deployed/);
});

test('refreshing Homes never throws: a failed publish skips one person, a failed group lookup skips the refresh', async (t) => {
  let failFor: string | null = REQUESTER;
  let groupDown = false;
  const base = stubChat();
  const chat = stubChat({
    publishHome: async (user, view) => {
      if (user === failFor) throw new Error('ratelimited');
      await base.publishHome(user, view);
    },
    usergroupMembers: async (id) => (groupDown ? Promise.reject(new Error('slack down')) : base.usergroupMembers(id)),
  });
  const deps = homeDeps(t, { chat });
  const request = stored(deps, { id: 'REQ-1' });
  await assert.rejects(refreshHome(deps, REQUESTER), /ratelimited/, 'opening a Home reports the failure to its caller');
  failFor = null;
  await refreshHome(deps, GROUP_APPROVER);
  base.published.length = 0;

  failFor = REQUESTER;
  await refreshHomes(deps, request);
  assert.deepEqual(base.published.map((p) => p.user), [GROUP_APPROVER]);

  groupDown = true;
  await refreshHomes(deps, request);
  assert.equal(base.published.length, 1);
});

test('only the most recently opened Homes are kept current', async (t) => {
  const chat = stubChat();
  const deps = homeDeps(t, { chat });
  const request = stored(deps, { id: 'REQ-1', state: 'deployed' });
  const users = Array.from({ length: MAX_VIEWERS + 3 }, (_, i) => `U0V${String(i).padStart(4, '0')}`);
  for (const user of users) await refreshHome(deps, user);
  chat.published.length = 0;
  await refreshHomes(deps, request);
  const refreshed = chat.published.map((p) => p.user);
  assert.equal(refreshed.length, MAX_VIEWERS);
  assert.ok(!refreshed.includes(users[0]!) && refreshed.includes(users.at(-1)!));
});
