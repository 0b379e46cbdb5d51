/**
 * ChatPort over Slack's WebClient. Retries are the WebClient's own: it waits out a 429's
 * Retry-After and retries 5xx and network failures a few times with backoff (bounded
 * here, where the SDK's default would keep trying for half an hour), then the call fails
 * and the caller tells the person.
 */
import type { WebClient } from '@slack/web-api';
import type { ChatPort } from '../core/ports.ts';

export const SLACK_RETRY = { retries: 3, factor: 2, minTimeout: 500, maxTimeout: 4000 };
/** Per request: a Slack call that hangs must not hold a click or a webhook forever. */
export const SLACK_TIMEOUT_MS = 10_000;

export function createSlackChat(client: WebClient): ChatPort {
  return {
    async post(channel, message, threadTs) {
      const res = await client.chat.postMessage({
        channel,
        text: message.text,
        ...(message.blocks ? { blocks: message.blocks as never } : {}),
        ...(threadTs ? { thread_ts: threadTs } : {}),
        unfurl_links: false,
        unfurl_media: false,
      });
      if (!res.ts) throw new Error('chat.postMessage returned no ts');
      return { ts: res.ts };
    },
    async update(channel, ts, message) {
      await client.chat.update({ channel, ts, text: message.text, ...(message.blocks ? { blocks: message.blocks as never } : {}) });
    },
    async postEphemeral(channel, user, text, threadTs) {
      await client.chat.postEphemeral({ channel, user, text, ...(threadTs ? { thread_ts: threadTs } : {}) });
    },
    async uploadText(channel, threadTs, file) {
      await client.filesUploadV2({ channel_id: channel, thread_ts: threadTs, file: Buffer.from(file.content), filename: file.filename, title: file.title });
    },
    async openModal(triggerId, view) {
      await client.views.open({ trigger_id: triggerId, view: view as never });
    },
    async publishHome(user, view) {
      await client.views.publish({ user_id: user, view: view as never });
    },
    async usergroupMembers(usergroupId) {
      const res = await client.usergroups.users.list({ usergroup: usergroupId });
      return res.users ?? [];
    },
  };
}
