// Interaction rules a Bolt app meets in the Slack fake: trigger_id lifetime and single use,
// response_url semantics and its 5-use limit, view_submission response_actions, Home tabs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { App, LogLevel, type RespondFn } from '@slack/bolt';
import { startSlackFake, type SlackFake } from '../../src/fakes/slack/index.ts';

const CHANNEL = 'C0SECOPS';
const TRIGGER_TTL_MS = 300;

const plain = (text: string) => ({ type: 'plain_text' as const, text });
const modal = (callbackId: string, title: string) => ({
  type: 'modal' as const,
  callback_id: callbackId,
  title: plain(title),
  submit: plain('OK'),
  blocks: [{ type: 'input' as const, block_id: 'reason', label: plain('Reason'), element: { type: 'plain_text_input' as const, action_id: 'text' } }],
});
const approveButton = { type: 'button' as const, action_id: 'approve', text: plain('Approve'), value: 'sg-7' };

describe('Slack fake interaction rules with a Bolt app', () => {
  let fake: SlackFake;
  let app: App;
  const triggers: string[] = [];
  const respondOutcomes: Array<'ok' | number> = [];
  const commandReplaceOutcomes: Array<'ok' | number> = [];

  async function respondSixTimes(respond: RespondFn): Promise<void> {
    for (let i = 1; i <= 6; i++) {
      try {
        await respond({ text: `update ${i}` });
        respondOutcomes.push('ok');
      } catch (error) {
        respondOutcomes.push((error as { statusCode?: number }).statusCode ?? -1);
      }
    }
  }

  before(async () => {
    fake = await startSlackFake({ timing: { triggerTtlMs: TRIGGER_TTL_MS } });
    app = new App({
      token: fake.botToken,
      appToken: fake.appToken,
      socketMode: true,
      clientOptions: { slackApiUrl: fake.url, retryConfig: { retries: 0 } },
      logLevel: LogLevel.ERROR,
    });
    app.command('/remember-trigger', async ({ ack, body }) => {
      triggers.push(body.trigger_id);
      await ack();
    });
    app.command('/announce', async ({ ack, body }) => {
      await ack({ response_type: 'in_channel', text: `Announcing: ${body.text}` });
    });
    app.command('/chatty', async ({ ack, respond }) => {
      await ack();
      await respondSixTimes(respond);
    });
    app.command('/replace-tries', async ({ ack, respond }) => {
      await ack();
      await respond({ response_type: 'ephemeral', text: 'checking…' });
      for (const body of [{ replace_original: true, text: 'done' }, { delete_original: true }]) {
        await respond(body).then(
          () => commandReplaceOutcomes.push('ok'),
          (error: { statusCode?: number }) => commandReplaceOutcomes.push(error.statusCode ?? -1),
        );
      }
    });
    app.command('/decide', async ({ ack, client, body }) => {
      await ack();
      await client.chat.postMessage({
        channel: body.channel_id,
        text: 'Decide on sg-7',
        blocks: [{ type: 'actions', elements: [approveButton, { ...approveButton, action_id: 'withdraw', text: plain('Withdraw') }] }],
      });
    });
    app.action('approve', async ({ ack, respond }) => {
      await ack();
      await respond({ replace_original: true, text: 'sg-7 approved' });
    });
    app.action('withdraw', async ({ ack, respond }) => {
      await ack();
      await respond({ delete_original: true });
    });
    app.view('step_one', async ({ ack }) => {
      await ack({ response_action: 'push', view: modal('step_two', 'Step two') });
    });
    app.view('step_two', async ({ ack }) => {
      await ack({ response_action: 'update', view: modal('step_two_done', 'Done') });
    });
    app.event('app_home_opened', async ({ event, client }) => {
      await client.views.publish({
        user_id: event.user,
        view: { type: 'home', blocks: [{ type: 'actions', elements: [{ ...approveButton, action_id: 'refresh_home' }] }] },
      });
    });
    app.action('refresh_home', async ({ ack, body, client }) => {
      await ack();
      const { container } = body as unknown as { container: { type: string; view_id: string } };
      await client.views.update({
        view_id: container.view_id,
        view: { type: 'home', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `refreshed from a ${container.type}` } }] },
      });
    });
    await app.start();
  });

  after(async () => {
    await app.stop();
    await fake.close();
  });

  it('lets a trigger_id open one modal, only within its lifetime', async () => {
    const { driver } = fake;
    const views = app.client.views;
    await driver.runSlashCommand({ user: 'U0ALICE', command: '/remember-trigger' });
    await driver.runSlashCommand({ user: 'U0ALICE', command: '/remember-trigger' });
    const [fresh, stale] = triggers;

    await views.open({ trigger_id: fresh!, view: modal('step_one', 'Step one') });
    const refusal = (triggerId: string) =>
      views.open({ trigger_id: triggerId, view: modal('x', 'x') }).then(
        () => 'opened',
        (error: { data: { error: string } }) => error.data.error,
      );
    assert.equal(await refusal(fresh!), 'exchanged_trigger_id');
    assert.equal(await refusal('1.2.made-up'), 'invalid_arguments');
    await new Promise((resolve) => setTimeout(resolve, TRIGGER_TTL_MS + 50));
    assert.equal(await refusal(stale!), 'expired_trigger_id');
  });

  it('applies response_action push and update to the modal stack', async () => {
    const { driver } = fake;
    const [first] = driver.openViews('U0ALICE');
    assert.equal(first?.view.callback_id, 'step_one');

    assert.equal((await driver.submitView({ user: 'U0ALICE', viewId: first.view.id, values: { text: 'a' } })).response_action, 'push');
    const stack = driver.openViews('U0ALICE');
    assert.deepEqual(stack.map((v) => v.view.callback_id), ['step_one', 'step_two']);
    assert.equal(stack[1]?.view.previous_view_id, first.view.id);

    await driver.submitView({ user: 'U0ALICE', viewId: stack[1]!.view.id, values: { reason: 'b' } });
    assert.deepEqual(driver.openViews('U0ALICE').map((v) => v.view.callback_id), ['step_one', 'step_two_done']);
  });

  it('shows an in_channel ack to the channel', async () => {
    await fake.driver.runSlashCommand({ user: 'U0CAROL', command: '/announce', text: 'maintenance at 18:00' });
    assert.ok(fake.driver.channel(CHANNEL).some((m) => m.text === 'Announcing: maintenance at 18:00'));
  });

  it('accepts five responses on a response_url and refuses the sixth', async () => {
    const run = await fake.driver.runSlashCommand({ user: 'U0BOB', command: '/chatty' });
    await fake.driver.waitFor(() => respondOutcomes.length === 6);
    assert.deepEqual(respondOutcomes, ['ok', 'ok', 'ok', 'ok', 'ok', 404]);
    assert.equal(run.responses.length, 6);
    assert.deepEqual(
      fake.driver.ephemerals('U0BOB').map((e) => e.text),
      ['update 1', 'update 2', 'update 3', 'update 4', 'update 5'],
    );
  });

  it('refuses replace_original / delete_original on a slash command response_url, which has no original message', async () => {
    const run = await fake.driver.runSlashCommand({ user: 'U0CAROL', command: '/replace-tries' });
    await fake.driver.waitFor(() => commandReplaceOutcomes.length === 2);
    assert.deepEqual(commandReplaceOutcomes, [400, 400]);
    assert.equal(run.responses.length, 3);
    assert.deepEqual(fake.driver.ephemerals('U0CAROL').map((e) => e.text), ['checking…']);
  });

  it('replaces or deletes the clicked message through the response_url', async () => {
    const { driver } = fake;
    await driver.runSlashCommand({ user: 'U0ALICE', command: '/decide' });
    await driver.runSlashCommand({ user: 'U0ALICE', command: '/decide' });
    const decisions = () => driver.channel(CHANNEL).filter((m) => m.text === 'Decide on sg-7');
    const [first, second] = await driver.waitFor(() => decisions().length === 2 && decisions());

    await driver.clickButton({ user: 'U0BOB', channel: CHANNEL, ts: first!.ts, actionId: 'approve', value: 'sg-7' });
    await driver.waitFor(() => driver.channel(CHANNEL).some((m) => m.ts === first!.ts && m.text === 'sg-7 approved'));

    await driver.clickButton({ user: 'U0ALICE', channel: CHANNEL, ts: second!.ts, actionId: 'withdraw' });
    await driver.waitFor(() => !driver.channel(CHANNEL).some((m) => m.ts === second!.ts));
  });

  it('publishes a Home tab on app_home_opened and handles a click in it', async () => {
    const { driver } = fake;
    await driver.openHome('U0CAROL');
    const home = await driver.waitFor(() => driver.homeView('U0CAROL'));

    await driver.clickButton({ user: 'U0CAROL', viewId: home.id, actionId: 'refresh_home' });
    const refreshed = await driver.waitFor(() => {
      const blocks = driver.homeView('U0CAROL')?.blocks as Array<{ text?: { text: string } }>;
      return blocks[0]?.text?.text;
    });
    assert.equal(refreshed, 'refreshed from a view');
  });
});
