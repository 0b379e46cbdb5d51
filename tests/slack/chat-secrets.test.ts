/**
 * The Slack adapter is the last door: the bot's own secrets are masked in everything it
 * sends, as typed and as the builders escape them, without changing anything else.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WebClient } from '@slack/web-api';
import { createSlackChat } from '../../src/slack/chat.ts';
import { escapeMrkdwn } from '../../src/slack/mrkdwn.ts';

const WEBHOOK = 'e2e-webhook-secret-0123456789';
const AMPERSAND = 'p&ss<word>-0123';

/** A WebClient that records every call's arguments. */
function recordingClient() {
  const calls: Array<[string, unknown]> = [];
  const record = (name: string, answer: object = {}) => async (args: Record<string, unknown>) => {
    // An upload's content travels as a Buffer: record its text.
    calls.push([name, Buffer.isBuffer(args.file) ? { ...args, file: args.file.toString('utf8') } : args]);
    return { ok: true, ...answer };
  };
  const client = {
    chat: { postMessage: record('postMessage', { ts: '1.1' }), update: record('update'), postEphemeral: record('postEphemeral') },
    views: { open: record('views.open'), publish: record('views.publish') },
    filesUploadV2: record('filesUploadV2'),
  } as unknown as WebClient;
  return { client, calls };
}

async function sendEverything(chat: ReturnType<typeof createSlackChat>, secret: string) {
  const section = { type: 'section', text: { type: 'mrkdwn', text: `\`\`\`\nhook ${secret} and ${escapeMrkdwn(AMPERSAND)}\n\`\`\`` } };
  await chat.post('C0SECOPS', { text: `fallback ${secret}`, blocks: [section] }, '1.0');
  await chat.update('C0SECOPS', '1.1', { text: secret, blocks: [section] });
  await chat.postEphemeral('C0SECOPS', 'U0ALICE', `refused: ${secret}`);
  await chat.uploadText('C0SECOPS', '1.0', { filename: 'plan-1.txt', title: `plan ${secret}`, content: `variable = "${secret}"\n` });
  await chat.openModal('trigger', { type: 'modal', blocks: [section] });
  await chat.publishHome('U0ALICE', { type: 'home', blocks: [section] });
}

test('configured secrets are masked in every call, also where the builders escaped them', async () => {
  const { client, calls } = recordingClient();
  await sendEverything(createSlackChat(client, { secrets: [WEBHOOK, AMPERSAND, 'short'] }), WEBHOOK);
  assert.equal(calls.length, 6);
  for (const [name, args] of calls) {
    const sent = JSON.stringify(args);
    assert.ok(!sent.includes(WEBHOOK), `${name} sent the webhook secret: ${sent}`);
    assert.ok(!sent.includes('p&amp;ss'), `${name} sent the escaped secret`);
    assert.ok(sent.includes('[MASKED]'), name);
  }
  const posted = calls[0]![1] as { channel: string; thread_ts: string; unfurl_links: boolean; blocks: Array<{ type: string }> };
  assert.deepEqual([posted.channel, posted.thread_ts, posted.unfurl_links, posted.blocks[0]!.type], ['C0SECOPS', '1.0', false, 'section'], 'the rest is unchanged');

  // Without secrets, what is sent is what was given.
  const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: WEBHOOK } }];
  await createSlackChat(client).post('C0SECOPS', { text: WEBHOOK, blocks });
  assert.equal((calls.at(-1)![1] as { blocks: unknown }).blocks, blocks);
});
