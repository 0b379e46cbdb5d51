// A real Bolt app in Socket Mode against the Slack fake: a slash command opens a modal, the
// modal is submitted (first refused with field errors), the app posts an approval message and
// a button click on it updates the message. Everything is read back as the people see it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { App, LogLevel, type SlackCommandMiddlewareArgs } from '@slack/bolt';
import { startSlackFake, type SlackFake } from '../../src/fakes/slack/index.ts';

const CHANNEL = 'C0SECOPS';

const requestModal = {
  type: 'modal' as const,
  callback_id: 'sg_request',
  title: { type: 'plain_text' as const, text: 'Security group request' },
  submit: { type: 'plain_text' as const, text: 'Request' },
  private_metadata: CHANNEL,
  blocks: [
    {
      type: 'input' as const,
      block_id: 'cidr_block',
      label: { type: 'plain_text' as const, text: 'Source CIDR' },
      element: { type: 'plain_text_input' as const, action_id: 'cidr' },
    },
    {
      type: 'input' as const,
      block_id: 'protocol_block',
      label: { type: 'plain_text' as const, text: 'Protocol' },
      element: {
        type: 'static_select' as const,
        action_id: 'protocol',
        options: [
          { text: { type: 'plain_text' as const, text: 'TCP' }, value: 'tcp' },
          { text: { type: 'plain_text' as const, text: 'UDP' }, value: 'udp' },
        ],
      },
    },
  ],
};

describe('Bolt app in Socket Mode against the Slack fake', () => {
  let fake: SlackFake;
  let app: App;
  const seen: { command?: SlackCommandMiddlewareArgs['body']; action?: Record<string, any>; submission?: Record<string, any> } = {};

  before(async () => {
    fake = await startSlackFake();
    app = new App({
      token: fake.botToken,
      appToken: fake.appToken,
      socketMode: true,
      clientOptions: { slackApiUrl: fake.url, retryConfig: { retries: 0 } },
      logLevel: LogLevel.ERROR,
    });
    app.command('/sg-request', async ({ ack, body, client, respond }) => {
      seen.command = body;
      await ack({ text: 'Opening the request form…' });
      await client.views.open({ trigger_id: body.trigger_id, view: requestModal });
      await respond({ text: 'Form opened' });
    });
    app.view('sg_request', async ({ ack, view, body, client }) => {
      seen.submission = body;
      const cidr = view.state.values.cidr_block?.cidr?.value ?? '';
      if (!cidr.includes('/')) {
        await ack({ response_action: 'errors', errors: { cidr_block: 'Not a CIDR' } });
        return;
      }
      await ack();
      const protocol = view.state.values.protocol_block?.protocol?.selected_option?.value;
      await client.chat.postMessage({
        channel: view.private_metadata,
        text: `Request from <@${body.user.id}>: ${protocol} from ${cidr}`,
        blocks: [
          { type: 'section', text: { type: 'mrkdwn', text: `${protocol} from ${cidr}` } },
          {
            type: 'actions',
            block_id: 'decision',
            elements: [{ type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'Approve' }, value: 'req-1' }],
          },
        ],
      });
    });
    app.action('approve', async ({ ack, body, client }) => {
      await ack();
      seen.action = body;
      const { channel, message } = body as { channel: { id: string }; message: { ts: string } };
      await client.chat.update({ channel: channel.id, ts: message.ts, text: `Approved by <@${body.user.id}>`, blocks: [] });
    });
    await app.start();
  });

  after(async () => {
    await app.stop();
    await fake.close();
  });

  it('delivers a slash command with Slack’s payload, shows the ack and the response, and opens the modal', async () => {
    const { driver } = fake;
    const run = await driver.runSlashCommand({ user: 'U0ALICE', command: '/sg-request', text: 'tcp 443' });

    assert.deepEqual(run.ack, { text: 'Opening the request form…' });
    assert.equal(seen.command?.user_id, 'U0ALICE');
    assert.equal(seen.command?.user_name, 'alice');
    assert.equal(seen.command?.channel_id, CHANNEL);
    assert.equal(seen.command?.channel_name, 'sec-ops');
    assert.equal(seen.command?.text, 'tcp 443');
    assert.equal(seen.command?.is_enterprise_install, 'false');
    assert.match(seen.command?.response_url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/commands\//);

    const modal = await driver.waitFor(() => driver.openViews('U0ALICE')[0]);
    assert.equal(modal.view.callback_id, 'sg_request');
    await driver.waitFor(() => run.responses.length === 1);
    assert.deepEqual(
      driver.ephemerals('U0ALICE').map((e) => e.text),
      ['Opening the request form…', 'Form opened'],
    );
    const delivery = driver.deliveries().find((d) => d.type === 'slash_commands');
    assert.equal(delivery?.payload.command, '/sg-request');
  });

  it('keeps the modal open with field errors, then closes it and posts the request', async () => {
    const { driver } = fake;
    const viewId = driver.openViews('U0ALICE')[0]!.view.id;

    const refused = await driver.submitView({ user: 'U0ALICE', viewId, values: { cidr: 'not-a-cidr', protocol: 'tcp' } });
    assert.deepEqual(refused, { response_action: 'errors', errors: { cidr_block: 'Not a CIDR' } });
    assert.deepEqual(driver.openViews('U0ALICE')[0]?.errors, { cidr_block: 'Not a CIDR' });

    const accepted = await driver.submitView({ user: 'U0ALICE', viewId, values: { cidr: '198.51.100.0/24', protocol: 'tcp' } });
    assert.deepEqual(accepted, {});
    assert.equal(driver.openViews('U0ALICE').length, 0);
    assert.deepEqual(seen.submission?.view.state.values.protocol_block.protocol.selected_option, {
      text: { type: 'plain_text', text: 'TCP' },
      value: 'tcp',
    });

    const [posted] = await driver.waitFor(() => driver.channel(CHANNEL).length === 1 && driver.channel(CHANNEL));
    assert.equal(posted?.text, 'Request from <@U0ALICE>: tcp from 198.51.100.0/24');
  });

  it('sends a real block_actions payload for a button click and shows the app’s update', async () => {
    const { driver } = fake;
    const message = driver.channel(CHANNEL)[0]!;

    const click = await driver.clickButton({ user: 'U0BOB', channel: CHANNEL, ts: message.ts, actionId: 'approve' });
    assert.deepEqual(click.ack, {});
    assert.equal(seen.action?.type, 'block_actions');
    assert.deepEqual(seen.action?.container, { type: 'message', message_ts: message.ts, channel_id: CHANNEL, is_ephemeral: false });
    assert.equal(seen.action?.actions[0].value, 'req-1');
    assert.equal(seen.action?.actions[0].block_id, 'decision');
    assert.equal(seen.action?.message.ts, message.ts);
    assert.match(seen.action?.trigger_id, /^\d+\.\d+\.[0-9a-f]+$/);

    const updated = await driver.waitFor(() => driver.channel(CHANNEL).find((m) => m.edited));
    assert.equal(updated.text, 'Approved by <@U0BOB>');
    assert.equal(updated.ts, message.ts);
  });
});
