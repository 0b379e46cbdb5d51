/**
 * The Home tab through a real Bolt app against the Slack fake: opening it publishes the
 * view, and its Approve button reaches the very listeners and checks of the channel's.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { BotDeps } from '../../src/core/deps.ts';
import { refreshHomes } from '../../src/core/home.ts';
import type { Block } from '../../src/core/ports.ts';
import { startSlackFake, type SlackFake } from '../../src/fakes/slack/index.ts';
import { createSlackApp, type SlackApp } from '../../src/slack/app.ts';
import { createSlackChat } from '../../src/slack/chat.ts';
import { registerHome } from '../../src/slack/home.ts';
import { registerListeners } from '../../src/slack/listeners.ts';
import { plan, vpcRule } from '../helpers/plans.ts';
import { answeringVcs, APPROVER, BYSTANDER, GROUP, GROUP_APPROVER, homeDeps, REQUESTER, stored } from '../core/home-fixtures.ts';

const SHA = '0123456789abcdef0123456789abcdef01234567';

const approveValues = (blocks: unknown): string[] =>
  ((blocks ?? []) as Block[]).filter((b) => b.type === 'actions').map((b) => String((b.elements as Block[])[0]!.value));

describe('App Home through Bolt and the Slack fake', () => {
  let fake: SlackFake;
  let slack: SlackApp;
  let deps: BotDeps;
  let branchHead = SHA;
  const cleanups: Array<() => void> = [];

  before(async () => {
    fake = await startSlackFake({
      users: [REQUESTER, APPROVER, GROUP_APPROVER, BYSTANDER].map((id) => ({ id, name: id.toLowerCase(), realName: id })),
      usergroups: [{ id: GROUP, handle: 'sg-approvers', name: 'SG approvers', users: [GROUP_APPROVER] }],
    });
    const log = pino({ level: 'silent' });
    slack = createSlackApp({ botToken: fake.botToken, appToken: fake.appToken, apiUrl: fake.url, log });
    const vcs = answeringVcs({
      getPipeline: async (id) => ({ id, ref: 'sg-request/REQ-1', sha: SHA, status: 'manual', source: 'api', webUrl: `http://127.0.0.1:8929/p/${id}` }),
      branchHead: async () => branchHead,
      // A passed compliance job and a plan that adds exactly REQ-1's rule: the bot's gate lets it through.
      listPipelineJobs: async (id) => ['plan', 'compliance', 'deploy'].map((name, i) => ({ id: id * 10 + i, name, stage: name, status: name === 'deploy' ? 'manual' : 'success', webUrl: `http://127.0.0.1:8929/j/${id * 10 + i}`, failureReason: null })),
      readArtifact: async (_job, path) => (path === 'plan.json' ? JSON.stringify(plan([vpcRule({ request: 'REQ-1' })])) : null),
    });
    // Two approvals needed: a first click is recorded without playing the deploy job.
    deps = homeDeps({ after: (fn) => cleanups.push(fn) }, { vcs, chat: createSlackChat(slack.app.client), requiredApprovals: 2 });
    registerListeners(slack.app, deps);
    registerHome(slack.app, deps);
    await slack.app.start();
  });

  after(async () => {
    await slack.app.stop();
    await fake.close();
    for (const cleanup of cleanups) cleanup();
  });

  it('opening the Home publishes it; the Messages tab publishes nothing', async () => {
    stored(deps, { id: 'REQ-1', sha: SHA });
    await fake.driver.sendEvent({ type: 'app_home_opened', user: BYSTANDER, channel: `D${BYSTANDER}`, tab: 'messages' });
    await fake.driver.openHome(APPROVER);
    const home = await fake.driver.waitFor(() => fake.driver.homeView(APPROVER));
    assert.equal(home.type, 'home');
    assert.deepEqual(approveValues(home.blocks), ['REQ-1@100.1000']);
    assert.equal(fake.driver.homeView(BYSTANDER), undefined);
  });

  it('a refused Approve from the Home tab is explained privately in the configured channel (the click carries no channel)', async () => {
    branchHead = 'f'.repeat(40);
    const viewId = fake.driver.homeView(APPROVER)!.id;
    await fake.driver.clickButton({ user: APPROVER, viewId, actionId: 'approve' });
    const refusal = await fake.driver.waitFor(() => fake.driver.ephemerals(APPROVER).find((e) => e.text.includes('newer commit')));
    assert.equal(refusal.channel, deps.settings.channel);
    assert.deepEqual(deps.store.approvals.list('REQ-1'), []);
    branchHead = SHA;
  });

  it('Approve in the Home tab is recorded by the channel\'s listener, and the refreshed Home drops the button', async () => {
    const viewId = fake.driver.homeView(APPROVER)!.id;
    await fake.driver.clickButton({ user: APPROVER, viewId, actionId: 'approve', value: 'REQ-1@100.1000' });
    await fake.driver.waitFor(() => deps.store.approvals.list('REQ-1').includes(APPROVER));
    assert.ok(deps.store.audit.list('REQ-1').some((e) => e.action === 'approve' && e.outcome === 'ok' && e.actor === APPROVER));
    // The click's sync posted the request's thread in the channel, counting Bob's approval.
    const channel = deps.settings.channel;
    await fake.driver.waitFor(() => {
      const parent = fake.driver.channel(channel).find((m) => m.text.includes('REQ-1'));
      return parent && fake.driver.thread(channel, parent.ts).some((m) => JSON.stringify(m.blocks).includes('Approvals: 1 of 2 (<@U0BOB>)'));
    });

    await fake.driver.openHome(GROUP_APPROVER);
    await fake.driver.waitFor(() => fake.driver.homeView(GROUP_APPROVER));
    await refreshHomes(deps, deps.store.requests.get('REQ-1')!);
    assert.deepEqual(approveValues(fake.driver.homeView(APPROVER)!.blocks), [], 'Bob approved already');
    const carol = fake.driver.homeView(GROUP_APPROVER)!;
    assert.deepEqual(approveValues(carol.blocks), ['REQ-1@100.1000']);
    assert.match(JSON.stringify(carol.blocks), /Approvals: 1 of 2 \(<@U0BOB>\)/);
  });
});
