// Socket Mode faults against the real Bolt SocketModeClient: redelivery of a slowly acked
// event, `disconnect` messages and an abrupt close (the client reconnects through a new
// apps.connections.open), and an event sent while no connection is open.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { App, LogLevel, SocketModeReceiver, type Authorize } from '@slack/bolt';
import { startSlackFake, type SlackFake } from '../../src/fakes/slack/index.ts';
import type { DisconnectReason } from '../../src/fakes/slack/socket-mode.ts';

/** The client waits this long before reconnecting; small keeps the tests fast. */
const CLIENT_PING_TIMEOUT_MS = 300;

function socketModeApp(fake: SlackFake, authorize?: Authorize<boolean>): { app: App; receiver: SocketModeReceiver } {
  const clientOptions = { slackApiUrl: fake.url, retryConfig: { retries: 0 } };
  // Bolt's App does not pass ping timeouts to its Socket Mode client, so build the receiver here.
  const receiver = new SocketModeReceiver({
    appToken: fake.appToken,
    logLevel: LogLevel.ERROR,
    clientPingTimeout: CLIENT_PING_TIMEOUT_MS,
    installerOptions: { clientOptions: { ...clientOptions } },
  });
  const auth = authorize === undefined ? { token: fake.botToken } : { authorize };
  return { app: new App({ ...auth, receiver, clientOptions, logLevel: LogLevel.ERROR }), receiver };
}

describe('Socket Mode faults with the real Bolt client', () => {
  let fake: SlackFake;
  let app: App | undefined;

  beforeEach(async () => {
    fake = await startSlackFake({ timing: { eventRetryTimeoutMs: 150 } });
  });
  afterEach(async () => {
    await app?.stop();
    app = undefined;
    await fake.close();
  });

  it('redelivers an event acked too late with retry_attempt 1, and the app sees the retry', async () => {
    const { driver } = fake;
    const retryEvent = () => driver.deliveries().find((d) => d.type === 'events_api' && d.retryAttempt === 1);
    let firstDelivery = true;
    // Bolt acks events right after authorizing them; a slow first authorization makes the
    // first ack miss Slack's deadline.
    const authorize: Authorize<boolean> = async () => {
      if (firstDelivery) {
        firstDelivery = false;
        await driver.waitFor(retryEvent);
      }
      return { botToken: fake.botToken, botUserId: 'U0BOT', botId: 'B0BOT', teamId: 'T0FAKE' };
    };
    app = socketModeApp(fake, authorize).app;
    const seen: Array<{ retryNum: number | undefined; retryReason: string | undefined }> = [];
    app.event('app_home_opened', async ({ context }) => {
      seen.push({ retryNum: context.retryNum, retryReason: context.retryReason });
    });
    await app.start();

    await driver.openHome('U0ALICE');

    const retry = retryEvent();
    assert.equal(retry?.retryReason, 'timeout');
    assert.equal(driver.deliveries().filter((d) => d.envelopeId === retry?.envelopeId).length, 2);
    await driver.waitFor(() => seen.length === 2);
    assert.deepEqual(seen.find((s) => s.retryNum === 1), { retryNum: 1, retryReason: 'timeout' });
  });

  it('hands an envelope whose connection dropped before the ack to the next connection', async () => {
    const { driver } = fake;
    app = socketModeApp(fake).app;
    const received: string[] = [];
    app.command('/sg-status', async ({ ack, body }) => {
      received.push(body.text);
      if (received.length === 1) {
        driver.dropConnections(); // the ack below can no longer reach Slack
        await ack().catch(() => undefined);
        return;
      }
      await ack({ text: 'status: pending' });
    });
    await app.start();

    const run = await driver.runSlashCommand({ user: 'U0ALICE', command: '/sg-status', text: 'sg-1' });
    assert.deepEqual(run.ack, { text: 'status: pending' });
    assert.deepEqual(received, ['sg-1', 'sg-1']);
    assert.equal(driver.socketStats().connectionsOpened, 2);
  });

  it('fails a slash command that no app acknowledges in time, as Slack shows an error', async () => {
    const impatient = await startSlackFake({ timing: { ackTimeoutMs: 100 } });
    try {
      await assert.rejects(impatient.driver.runSlashCommand({ user: 'U0ALICE', command: '/sg-request' }), /no ack for slash_commands envelope within 100 ms/);
      assert.deepEqual(impatient.driver.deliveries(), []); // nothing was connected to receive it
    } finally {
      await impatient.close();
    }
  });

  for (const reason of ['refresh_requested', 'link_disabled', 'warning'] satisfies DisconnectReason[]) {
    it(`reconnects after a "${reason}" disconnect message and gets what was sent in the gap once`, async () => {
      await assertReconnectsAndCatchesUp(() => fake.driver.disconnect(reason));
    });
  }

  it('reconnects after the connection is cut without a close frame', async () => {
    await assertReconnectsAndCatchesUp(() => fake.driver.dropConnections());
  });

  async function assertReconnectsAndCatchesUp(breakConnection: () => void): Promise<void> {
    const { driver } = fake;
    const started = socketModeApp(fake);
    app = started.app;
    let hellos = 0; // the client emits `connected` when a hello arrives
    started.receiver.client.on('connected', () => {
      hellos += 1;
    });
    const homesOpened: string[] = [];
    app.event('app_home_opened', async ({ event }) => {
      homesOpened.push(event.user);
    });
    await app.start();
    assert.deepEqual(driver.socketStats(), { connectionsOpened: 1, openConnections: 1 });

    breakConnection();
    await driver.waitFor(() => driver.socketStats().openConnections === 0);
    const acked = driver.openHome('U0BOB'); // sent while the app has no connection

    await driver.waitFor(() => driver.socketStats().openConnections === 1);
    assert.deepEqual(await acked, {});
    assert.equal(driver.socketStats().connectionsOpened, 2);
    assert.equal(hellos, 2);
    assert.equal(driver.calls('apps.connections.open').length, 2);
    await driver.waitFor(() => homesOpened.length === 1);
    assert.deepEqual(homesOpened, ['U0BOB']);
    assert.equal(driver.deliveries().filter((d) => d.type === 'events_api').length, 1);
  }
});
