/**
 * Expiring rules against the GitLab fake: a rule past its expiry on the default branch
 * gets exactly one revocation (a branch deleting its file, a merge request, one
 * pipeline), queued like any request; with the setting on, the bot plays the deploy of a
 * pure removal and leaves anything else to a person.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { WebClient } from '@slack/web-api';
import { autoApproveRevocation, openDueRevocations, revocationIdFor, AUTO_APPROVAL_DETAIL } from '../../src/core/expiry.ts';
import type { BotDeps } from '../../src/core/deps.ts';
import { KeyedMutex } from '../../src/core/keyed-mutex.ts';
import { withRequest } from '../../src/core/lifecycle.ts';
import { readPipeline } from '../../src/core/pipeline.ts';
import { startNextQueued } from '../../src/core/queue.ts';
import { syncPipeline } from '../../src/core/sync.ts';
import { serializeRuleFile, ruleFileSchema, RULE_ID_PATTERN, type RuleFileInput } from '../../src/domain/rule.ts';
import type { ChangeRequest } from '../../src/domain/request.ts';
import { startFakes, type Fakes } from '../../src/fakes/all.ts';
import { createGitLabVcs } from '../../src/gitlab/client.ts';
import { createSlackChat } from '../../src/slack/chat.ts';
import { changeRequest, testDeps } from '../helpers/deps.ts';

const CHANNEL = 'C0SECOPS';
const PAST = '2026-01-01T00:00:00Z';
const FUTURE = '2099-01-01T00:00:00Z';

interface Setup {
  fakes: Fakes;
  deps: BotDeps;
}

let open: Setup[] = [];
afterEach(async () => {
  for (const s of open) {
    s.deps.store.close();
    await s.fakes.close();
  }
  open = [];
});

async function setup(autoApprove = false): Promise<Setup> {
  const fakes = await startFakes({ gitlab: { jobDurationMs: 5 } });
  const vcs = createGitLabVcs({ url: fakes.gitlab.url, token: fakes.gitlab.token, project: fakes.gitlab.projectPath, policy: { baseDelayMs: 5, maxDelayMs: 20 } });
  const deps: BotDeps = testDeps({
    vcs,
    chat: createSlackChat(new WebClient(fakes.slack.botToken, { slackApiUrl: fakes.slack.url })),
    settings: { channel: CHANNEL, autoApproveExpiredRevocations: autoApprove },
  });
  const s = { fakes, deps };
  open.push(s);
  return s;
}

function ruleText(id: string, rule: Partial<RuleFileInput> = {}): string {
  return serializeRuleFile(ruleFileSchema.parse({ id, group: 'sg-front', protocol: 'tcp', from_port: 8443, to_port: 8443, cidr: '198.51.100.0/24', description: 'temporary vendor access', requester: 'U0ALICE', ticket: 'NET-7', ...rule }));
}

/** Puts rules on main as a person's push would. */
function pushRules(s: Setup, rules: Record<string, Partial<RuleFileInput>>): void {
  const files = Object.fromEntries(Object.entries(rules).map(([id, r]) => [`terraform/rules/${id}.json`, ruleText(id, r)]));
  s.fakes.gitlab.driver.push('main', files, 'Add rules');
}

const pipelinesOn = (s: Setup, branch: string) => s.fakes.gitlab.driver.pipelines().filter((p) => p.ref === branch);
const plays = (s: Setup) => s.fakes.gitlab.driver.requests().filter((r) => r.method === 'POST' && /\/jobs\/\d+\/play$/.test(r.path)).length;

/** Syncs the request's pipeline until it waits at the manual deploy. */
async function untilAwaitingApproval(s: Setup, id: string): Promise<ChangeRequest> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const request = (await syncPipeline(s.deps, s.deps.store.requests.get(id)!.pipelineId!))!;
    if (request.state !== 'planning') return request;
    if (Date.now() > deadline) throw new Error(`${id} still planning after 5 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('revocation ids: REV-<rule id>, and a rule id too long for that keeps a head and a hash', () => {
  assert.equal(revocationIdFor('REQ-12'), 'REV-REQ-12');
  const long = 'a'.repeat(64);
  const other = `${'a'.repeat(63)}b`;
  for (const id of [long, other]) {
    assert.equal(revocationIdFor(id).length, 64);
    assert.match(revocationIdFor(id), RULE_ID_PATTERN);
  }
  assert.equal(revocationIdFor(long), revocationIdFor(long), 'deterministic');
  assert.notEqual(revocationIdFor(long), revocationIdFor(other), 'ids sharing a head stay apart');
});

test('a rule past its expiry gets exactly one revocation: a branch deleting its file, a merge request, one pipeline', async () => {
  const s = await setup();
  pushRules(s, { 'REQ-50': { expires_at: PAST }, 'REQ-51': { expires_at: FUTURE } });

  const opened = await openDueRevocations(s.deps);
  assert.deepEqual(opened.map((r) => [r.id, r.kind, r.state, r.requester, r.rule?.id]), [['REV-REQ-50', 'revocation', 'planning', null, 'REQ-50']]);
  const branch = 'sg-request/REV-REQ-50';
  assert.equal(s.fakes.gitlab.driver.readFile(branch, 'terraform/rules/REQ-50.json'), undefined, 'the branch deletes the rule file');
  assert.ok(s.fakes.gitlab.driver.readFile(branch, 'terraform/rules/REQ-51.json'), 'and nothing else');
  assert.ok(s.fakes.gitlab.driver.readFile('main', 'terraform/rules/REQ-50.json'), 'main keeps it until the merge');
  const mrs = s.fakes.gitlab.driver.mergeRequests().filter((mr) => mr.sourceBranch === branch);
  assert.equal(mrs.length, 1);
  assert.match(mrs[0]!.description, /REQ-50.*expired at 2026-01-01T00:00:00Z/);
  assert.match(mrs[0]!.description, /NET-7/);
  assert.equal(pipelinesOn(s, branch).length, 1);
  const parent = s.fakes.slack.driver.channel(CHANNEL).find((m) => m.text.startsWith('REV-REQ-50'));
  assert.match(parent!.text, /close tcp\/8443 from 198\.51\.100\.0\/24 to sg-front/);

  assert.deepEqual(await openDueRevocations(s.deps), [], 'a second pass opens none');
  const restarted: BotDeps = { ...s.deps, locks: new KeyedMutex() };
  assert.deepEqual(await openDueRevocations(restarted), [], 'nor does a restart on the same database');
  assert.equal(s.fakes.gitlab.driver.requests().filter((r) => r.method === 'POST' && /repository\/branches/.test(r.path)).length, 1);
  assert.equal(pipelinesOn(s, branch).length, 1);
});

test('a revocation waits behind an open request, then starts from the queue', async () => {
  const s = await setup();
  const at = new Date().toISOString();
  const holder = changeRequest({
    id: 'REQ-60', state: 'planning', rule: null, requester: 'U0ALICE', mergeRequestIid: null, pipelineId: null, sha: null, deployJobId: null, awaitingSince: null, createdAt: at, updatedAt: at,
  });
  s.deps.store.requests.save(holder);
  pushRules(s, { 'REQ-52': { expires_at: PAST } });

  const [queued] = await openDueRevocations(s.deps);
  assert.equal(queued?.state, 'queued');
  assert.deepEqual(pipelinesOn(s, 'sg-request/REV-REQ-52'), []);

  s.deps.store.requests.save({ ...holder, state: 'deployed' });
  const started = await startNextQueued(s.deps);
  assert.equal(started?.id, 'REV-REQ-52');
  assert.equal(started?.state, 'planning');
  assert.equal(pipelinesOn(s, 'sg-request/REV-REQ-52').length, 1);
  assert.equal(s.fakes.gitlab.driver.readFile('sg-request/REV-REQ-52', 'terraform/rules/REQ-52.json'), undefined);
});

test('with the setting on, the bot plays the deploy of a pure removal and is recorded as its approver', async () => {
  const s = await setup(true);
  pushRules(s, { 'REQ-53': { expires_at: PAST } });
  s.fakes.gitlab.driver.deployBranch(); // REQ-53 is live: the revocation's plan removes just it
  await openDueRevocations(s.deps);

  const after = await untilAwaitingApproval(s, 'REV-REQ-53');
  assert.equal(after.state, 'deploying');
  assert.equal(plays(s), 1);
  const approvals = s.deps.store.audit.list('REV-REQ-53').filter((e) => e.action === 'approve');
  assert.deepEqual(approvals.map((e) => [e.actor, e.outcome, e.detail]), [['bot', 'ok', AUTO_APPROVAL_DETAIL]]);
  const facts = await readPipeline(s.deps, after.pipelineId!);
  assert.equal(await withRequest(s.deps, 'REV-REQ-53', (tx) => autoApproveRevocation(s.deps, tx, facts)), false, 'played once');
  assert.equal(plays(s), 1);
});

test('with the setting on, a revocation whose plan does anything else waits for a person', async () => {
  const s = await setup(true);
  pushRules(s, { 'REQ-54': { expires_at: PAST } });
  s.fakes.gitlab.driver.deployBranch();
  // A rule merged but never deployed: the revocation's plan would add it too.
  pushRules(s, { 'REQ-55': { from_port: 443, to_port: 443, cidr: '203.0.113.0/24', description: 'partner API' } });
  await openDueRevocations(s.deps);

  const after = await untilAwaitingApproval(s, 'REV-REQ-54');
  assert.equal(after.state, 'awaiting_approval');
  assert.equal(plays(s), 0);
  assert.deepEqual(s.deps.store.audit.list('REV-REQ-54').filter((e) => e.action === 'approve'), []);
});

test('with the setting off, even a pure removal waits for a person', async () => {
  const s = await setup(false);
  pushRules(s, { 'REQ-56': { expires_at: PAST } });
  s.fakes.gitlab.driver.deployBranch();
  await openDueRevocations(s.deps);
  const after = await untilAwaitingApproval(s, 'REV-REQ-56');
  assert.equal(after.state, 'awaiting_approval');
  assert.equal(plays(s), 0);
});
