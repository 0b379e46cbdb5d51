// What the web sandbox needs of the Slack fake, with a real Bolt app behind it: every
// change a person could see is announced, a person closes modals as Slack does (back one
// view, or all with clear_on_close; view_closed only with notify_on_close), and a click
// lands on the exact button of the block clicked.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { App, LogLevel } from '@slack/bolt';
import { startSlackFake, type SlackFake } from '../../src/fakes/slack/index.ts';

const CHANNEL = 'C0SECOPS';
const plain = (text: string) => ({ type: 'plain_text' as const, text });
const modal = (callbackId: string, extra: Record<string, unknown> = {}) => ({
  type: 'modal' as const,
  callback_id: callbackId,
  title: plain(callbackId),
  close: plain('Cancel'),
  blocks: [{ type: 'section' as const, text: plain(`the ${callbackId} view`) }],
  ...extra,
});

describe('Slack fake: reading and closing, for the web sandbox', () => {
  let fake: SlackFake;
  let app: App;
  const closed: Array<{ callbackId: string; isCleared: boolean }> = [];
  const clicks: Array<{ blockId: string; value: string | undefined }> = [];

  before(async () => {
    fake = await startSlackFake();
    app = new App({ token: fake.botToken, appToken: fake.appToken, socketMode: true, clientOptions: { slackApiUrl: fake.url, retryConfig: { retries: 0 } }, logLevel: LogLevel.ERROR });
    app.command('/stack', async ({ ack, body, client }) => {
      await ack();
      const pushButton = { type: 'actions', elements: [{ type: 'button', action_id: 'push', text: plain('More') }] };
      await client.views.open({ trigger_id: body.trigger_id, view: modal('first', { notify_on_close: true, blocks: [pushButton] }) });
    });
    // A trigger is good once: the view's button brings a fresh one for the push.
    app.action('push', async ({ ack, body, client }) => {
      await ack();
      await client.views.push({ trigger_id: (body as { trigger_id: string }).trigger_id, view: modal('second', { notify_on_close: true }) });
    });
    app.command('/cleared', async ({ ack, body, client }) => {
      await ack();
      await client.views.open({ trigger_id: body.trigger_id, view: modal('cleared', { notify_on_close: true, clear_on_close: true }) });
    });
    app.command('/quiet', async ({ ack, body, client }) => {
      await ack();
      await client.views.open({ trigger_id: body.trigger_id, view: modal('quiet') });
    });
    app.view({ type: 'view_closed', callback_id: /.*/ }, async ({ ack, body }) => {
      await ack();
      closed.push({ callbackId: body.view.callback_id, isCleared: (body as { is_cleared?: boolean }).is_cleared ?? false });
    });
    app.action('pick', async ({ ack, action }) => {
      await ack();
      const button = action as { block_id: string; value?: string };
      clicks.push({ blockId: button.block_id, value: button.value });
    });
    await app.start();
  });

  after(async () => {
    await app.stop();
    await fake.close();
  });

  it('announces each change a person could see, and counts them', async () => {
    const before = fake.driver.version();
    let heard = 0;
    const stop = fake.driver.onChange(() => void (heard += 1));
    const posted = await app.client.chat.postMessage({ channel: CHANNEL, text: 'one' });
    await app.client.chat.update({ channel: CHANNEL, ts: posted.ts!, text: 'one, edited' });
    await app.client.chat.postEphemeral({ channel: CHANNEL, user: 'U0BOB', text: 'for Bob' });
    stop();
    await app.client.chat.postMessage({ channel: CHANNEL, text: 'unheard' });
    assert.equal(heard, 3);
    assert.equal(fake.driver.version(), before + 4);
  });

  it('closing a view goes back to the one below; the app hears view_closed only when it asked to', async () => {
    closed.length = 0;
    await fake.driver.runSlashCommand({ user: 'U0ALICE', command: '/stack' });
    const [first] = await fake.driver.waitFor(() => (fake.driver.openViews('U0ALICE').length === 1 ? fake.driver.openViews('U0ALICE') : undefined));
    await fake.driver.clickButton({ user: 'U0ALICE', viewId: first!.view.id, actionId: 'push' });
    const stack = await fake.driver.waitFor(() => (fake.driver.openViews('U0ALICE').length === 2 ? fake.driver.openViews('U0ALICE') : undefined));
    await assert.rejects(fake.driver.closeView({ user: 'U0ALICE', viewId: stack[0]!.view.id }), /not the top modal/);
    await fake.driver.closeView({ user: 'U0ALICE', viewId: stack[1]!.view.id });
    assert.deepEqual(fake.driver.openViews('U0ALICE').map((r) => r.view.callback_id), ['first']);
    await fake.driver.closeView({ user: 'U0ALICE', viewId: stack[0]!.view.id });
    assert.deepEqual(fake.driver.openViews('U0ALICE'), []);
    await fake.driver.waitFor(() => closed.length === 2);
    assert.deepEqual(closed, [{ callbackId: 'second', isCleared: false }, { callbackId: 'first', isCleared: false }]);

    await fake.driver.runSlashCommand({ user: 'U0BOB', command: '/cleared' });
    const [cleared] = await fake.driver.waitFor(() => (fake.driver.openViews('U0BOB').length === 1 ? fake.driver.openViews('U0BOB') : undefined));
    await fake.driver.closeView({ user: 'U0BOB', viewId: cleared!.view.id });
    await fake.driver.waitFor(() => closed.length === 3);
    assert.deepEqual(closed[2], { callbackId: 'cleared', isCleared: true });

    await fake.driver.runSlashCommand({ user: 'U0CAROL', command: '/quiet' });
    const [quiet] = await fake.driver.waitFor(() => (fake.driver.openViews('U0CAROL').length === 1 ? fake.driver.openViews('U0CAROL') : undefined));
    const envelopes = fake.driver.deliveries().length;
    await fake.driver.closeView({ user: 'U0CAROL', viewId: quiet!.view.id });
    assert.deepEqual(fake.driver.openViews('U0CAROL'), []);
    assert.equal(fake.driver.deliveries().length, envelopes, 'no view_closed without notify_on_close');
  });

  it('a click names its block, so two buttons sharing an action_id and value are told apart', async () => {
    const button = { type: 'button' as const, action_id: 'pick', text: plain('Pick'), value: 'same' };
    const posted = await app.client.chat.postMessage({
      channel: CHANNEL,
      text: 'two pickers',
      blocks: [
        { type: 'actions', block_id: 'upper', elements: [button] },
        { type: 'actions', block_id: 'lower', elements: [button] },
      ],
    });
    await fake.driver.clickButton({ user: 'U0BOB', channel: CHANNEL, ts: posted.ts!, actionId: 'pick', blockId: 'lower' });
    await fake.driver.waitFor(() => clicks.length === 1);
    assert.deepEqual(clicks, [{ blockId: 'lower', value: 'same' }]);
    await assert.rejects(fake.driver.clickButton({ user: 'U0BOB', channel: CHANNEL, ts: posted.ts!, actionId: 'pick', blockId: 'middle' }), /in block "middle"/);
  });

  it('hands out an uploaded file\'s bytes, and nothing for an unknown file', async () => {
    await app.client.filesUploadV2({ channel_id: CHANNEL, filename: 'plan.txt', content: '+ ingress tcp/443' });
    const [file] = fake.driver.files();
    assert.equal(fake.driver.fileContent(file!.id)?.toString('utf8'), '+ ingress tcp/443');
    assert.equal(fake.driver.fileContent('FNOSUCHFILE'), undefined);
  });
});
