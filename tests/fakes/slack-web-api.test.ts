// The real @slack/web-api WebClient against the Slack fake: messages, threads, edits, files,
// directory lookups, Slack's error shapes for tokens / channels / Block Kit limits, and 429s.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorCode, LogLevel, WebClient, type Logger, type WebClientOptions } from '@slack/web-api';
import { startSlackFake, type SlackFake } from '../../src/fakes/slack/index.ts';

const CHANNEL = 'C0SECOPS';

/** Keeps the client's own logging of `[ERROR]` response messages out of the test output. */
const silent: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => LogLevel.ERROR,
  setName() {},
};

function clientFor(fake: SlackFake, token: string = fake.botToken, options: WebClientOptions = {}): WebClient {
  return new WebClient(token, { slackApiUrl: fake.url, retryConfig: { retries: 0 }, logger: silent, ...options });
}

/** The Slack error code (and response_metadata.messages) a call was refused with. */
async function refusal(call: Promise<unknown>): Promise<{ error: string; messages: string[] }> {
  try {
    await call;
  } catch (error) {
    const data = (error as { data?: { error: string; response_metadata?: { messages?: string[] } } }).data;
    assert.ok(data, `expected a Slack platform error, got ${String(error)}`);
    return { error: data.error, messages: data.response_metadata?.messages ?? [] };
  }
  assert.fail('expected the call to be refused');
}

const text = (n: number) => 'x'.repeat(n);
const plain = (t: string) => ({ type: 'plain_text', text: t });
const section = (t: string) => ({ type: 'section', text: { type: 'mrkdwn', text: t } });
const button = (overrides: Record<string, unknown> = {}) => ({ type: 'button', action_id: 'go', text: plain('Go'), ...overrides });
const actions = (...elements: unknown[]) => ({ type: 'actions', elements });

describe('Slack Web API fake with the real WebClient', () => {
  let fake: SlackFake;
  let client: WebClient;

  before(async () => {
    fake = await startSlackFake();
    client = clientFor(fake);
  });
  after(() => fake.close());

  it('posts, threads and edits messages, and reads them back as a person sees them', async () => {
    const parent = await client.chat.postMessage({ channel: CHANNEL, text: 'Request sg-1: pending' });
    const reply = await client.chat.postMessage({ channel: CHANNEL, thread_ts: parent.ts!, text: 'Plan ready' });
    await client.chat.postMessage({ channel: CHANNEL, thread_ts: reply.ts!, text: 'reply to a reply joins the thread' });
    await client.chat.update({ channel: CHANNEL, ts: parent.ts!, text: 'Request sg-1: approved', blocks: [section('*approved*')] });

    const top = fake.driver.channel(CHANNEL).find((m) => m.ts === parent.ts);
    assert.equal(top?.text, 'Request sg-1: approved');
    assert.equal(top?.edited, true);
    assert.equal(top?.replyCount, 2);
    assert.equal(top?.blocks?.[0]?.type, 'section');
    assert.deepEqual(
      fake.driver.thread(CHANNEL, parent.ts!).map((m) => m.text),
      ['Plan ready', 'reply to a reply joins the thread'],
    );
    assert.equal(reply.message?.thread_ts, parent.ts);
    assert.equal(reply.message?.bot_id, 'B0BOT');
  });

  it('accepts JSON bodies as well as forms', async () => {
    const response = await fetch(`${fake.url}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fake.botToken}`, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ channel: CHANNEL, text: 'sent as JSON', blocks: [section('json')] }),
    });
    const body = (await response.json()) as { ok: boolean; ts: string };
    assert.equal(body.ok, true);
    const posted = fake.driver.channel(CHANNEL).find((m) => m.ts === body.ts);
    assert.equal(posted?.text, 'sent as JSON');
    assert.equal(posted?.blocks?.[0]?.type, 'section');
  });

  it('delivers ephemerals to one person and links to messages and thread replies', async () => {
    const posted = await client.chat.postEphemeral({ channel: CHANNEL, user: 'U0BOB', text: 'only for Bob' });
    assert.match(posted.message_ts ?? '', /^\d+\.\d{6}$/);
    assert.deepEqual(fake.driver.ephemerals('U0BOB').map((e) => e.text), ['only for Bob']);
    assert.deepEqual(fake.driver.ephemerals('U0ALICE'), []);

    const parent = await client.chat.postMessage({ channel: CHANNEL, text: 'parent' });
    const reply = await client.chat.postMessage({ channel: CHANNEL, text: 'reply', thread_ts: parent.ts! });
    const link = await client.chat.getPermalink({ channel: CHANNEL, message_ts: reply.ts! });
    assert.match(link.permalink ?? '', new RegExp(`^http://127\\.0\\.0\\.1:\\d+/archives/${CHANNEL}/p\\d{16}\\?thread_ts=${parent.ts}`));
  });

  it('answers the directory lookups the bot makes', async () => {
    const me = await client.auth.test();
    assert.deepEqual([me.user_id, me.bot_id, me.team_id], ['U0BOT', 'B0BOT', 'T0FAKE']);
    const bob = await client.users.info({ user: 'U0BOB' });
    assert.equal(bob.user?.name, 'bob');
    const channel = await client.conversations.info({ channel: CHANNEL });
    assert.equal(channel.channel?.name, 'sec-ops');
    assert.equal(channel.channel?.is_member, true);
    const approvers = await client.usergroups.users.list({ usergroup: 'S0APPROVERS' });
    assert.deepEqual(approvers.users, ['U0BOB', 'U0CAROL']);
    const byEmail = await client.users.lookupByEmail({ email: 'Bob@Example.test' });
    assert.equal(byEmail.user?.id, 'U0BOB', 'an email finds its user, in any case');
    assert.equal((await refusal(client.users.lookupByEmail({ email: 'nobody@example.test' }))).error, 'users_not_found');
  });

  it('refuses unknown things with Slack’s error codes', async () => {
    assert.equal((await refusal(client.chat.postMessage({ channel: 'C0NOPE', text: 'x' }))).error, 'channel_not_found');
    assert.equal((await refusal(client.chat.postMessage({ channel: CHANNEL } as never))).error, 'no_text');
    assert.equal((await refusal(client.chat.update({ channel: CHANNEL, ts: '1.000001', text: 'x' }))).error, 'message_not_found');
    assert.equal((await refusal(client.users.info({ user: 'U0NOBODY' }))).error, 'user_not_found');
    assert.equal((await refusal(client.usergroups.users.list({ usergroup: 'S0NONE' }))).error, 'no_such_subteam');
  });

  it('checks tokens: missing, unknown, and the wrong kind for the method', async () => {
    assert.equal((await refusal(clientFor(fake, '').auth.test())).error, 'not_authed');
    assert.equal((await refusal(clientFor(fake, 'xoxb-wrong').auth.test())).error, 'invalid_auth');
    const appClient = clientFor(fake, fake.appToken);
    assert.equal((await refusal(appClient.chat.postMessage({ channel: CHANNEL, text: 'x' }))).error, 'not_allowed_token_type');
    assert.equal((await refusal(client.apps.connections.open())).error, 'not_allowed_token_type');
    const opened = await appClient.apps.connections.open();
    assert.match(opened.url ?? '', /^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=[\w-]+&app_id=A0PORTCULLIS$/);
  });

  const tooBig: Array<[string, unknown[], string]> = [
    ['more than 50 blocks', Array.from({ length: 51 }, () => ({ type: 'divider' })), '/blocks'],
    ['section text over 3000', [section(text(3001))], '/blocks/0/text/text'],
    ['empty section text', [section('')], '/blocks/0/text/text'],
    ['header over 150', [{ type: 'header', text: plain(text(151)) }], '/blocks/0/text/text'],
    ['header in mrkdwn', [{ type: 'header', text: { type: 'mrkdwn', text: 'x' } }], '/blocks/0/text/type'],
    ['more than 10 fields', [{ type: 'section', fields: Array.from({ length: 11 }, () => plain('f')) }], '/blocks/0/fields'],
    ['field over 2000', [{ type: 'section', fields: [plain(text(2001))] }], '/blocks/0/fields/0/text'],
    ['context over 10 elements', [{ type: 'context', elements: Array.from({ length: 11 }, () => plain('c')) }], '/blocks/0/elements'],
    ['actions over 25 elements', [actions(...Array.from({ length: 26 }, (_, i) => button({ action_id: `a${i}` })))], '/blocks/0/elements'],
    ['block_id over 255', [{ ...section('x'), block_id: text(256) }], '/blocks/0/block_id'],
    ['action_id over 255', [actions(button({ action_id: text(256) }))], '/blocks/0/elements/0/action_id'],
    ['button text over 75', [actions(button({ text: plain(text(76)) }))], '/blocks/0/elements/0/text/text'],
    ['button value over 2000', [actions(button({ value: text(2001) }))], '/blocks/0/elements/0/value'],
    ['button url over 3000', [actions(button({ url: `http://127.0.0.1/${text(3000)}` }))], '/blocks/0/elements/0/url'],
    ['accessory button value over 2000', [{ ...section('x'), accessory: button({ value: text(2001) }) }], '/blocks/0/accessory/value'],
  ];
  for (const [name, blocks, pointer] of tooBig) {
    it(`refuses a message with ${name} as invalid_blocks`, async () => {
      const { error, messages } = await refusal(client.chat.postMessage({ channel: CHANNEL, text: 'x', blocks: blocks as never }));
      assert.equal(error, 'invalid_blocks');
      assert.ok(
        messages.some((m) => m.startsWith('[ERROR] ') && m.endsWith(`[json-pointer:${pointer}]`)),
        `no message for ${pointer} in ${JSON.stringify(messages)}`,
      );
    });
  }

  it('refuses a Home tab of more than 100 blocks, and accepts 100', async () => {
    const blocks = (n: number) => Array.from({ length: n }, () => ({ type: 'divider' as const }));
    const { error, messages } = await refusal(client.views.publish({ user_id: 'U0BOB', view: { type: 'home', blocks: blocks(101) } }));
    assert.equal(error, 'invalid_arguments');
    assert.deepEqual(messages, ['[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]']);
    await client.views.publish({ user_id: 'U0BOB', view: { type: 'home', blocks: blocks(100) } });
    assert.equal((fake.driver.homeView('U0BOB')?.blocks as unknown[]).length, 100);
  });

  it('answers 429 with Retry-After; the client waits that long and retries', async () => {
    fake.driver.rateLimit('chat.postMessage', { calls: 1, retryAfterSec: 1 });
    const patient = clientFor(fake, fake.botToken, { retryConfig: { retries: 1, minTimeout: 0, maxTimeout: 0 } });
    const started = Date.now();
    const posted = await patient.chat.postMessage({ channel: CHANNEL, text: 'after the limit' });
    assert.ok(Date.now() - started >= 1000, `retried after ${Date.now() - started} ms`);
    assert.equal(posted.ok, true);
    assert.deepEqual(fake.driver.calls('chat.postMessage').slice(-2).map((c) => c.status), [429, 200]);
  });

  it('with rejectRateLimitedCalls the client throws the rate-limit error instead', async () => {
    fake.driver.rateLimit('chat.update', { calls: 1, retryAfterSec: 7 });
    const impatient = clientFor(fake, fake.botToken, { rejectRateLimitedCalls: true });
    await assert.rejects(impatient.chat.update({ channel: CHANNEL, ts: '1.000001', text: 'x' }), {
      code: ErrorCode.RateLimitedError,
      retryAfter: 7,
    });
  });

  it('files.uploadV2 puts the file in the thread', async () => {
    const parent = await client.chat.postMessage({ channel: CHANNEL, text: 'Plan for sg-2' });
    const content = Buffer.from('+ aws_vpc_security_group_ingress_rule.rule["sg-2"]\n');
    const uploaded = await client.filesUploadV2({
      channel_id: CHANNEL,
      thread_ts: parent.ts!,
      file: content,
      filename: 'plan.txt',
      title: 'Full plan',
      initial_comment: 'The full plan',
    });
    assert.equal(uploaded.ok, true);
    const [reply] = fake.driver.thread(CHANNEL, parent.ts!);
    assert.equal(reply?.text, 'The full plan');
    assert.deepEqual(reply?.files.map((f) => [f.name, f.title]), [['plan.txt', 'Full plan']]);
    const stored = fake.driver.files().find((f) => f.id === reply?.files[0]?.id);
    assert.deepEqual(stored?.content, content);
  });
});
