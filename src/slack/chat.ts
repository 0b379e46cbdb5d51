/**
 * ChatPort over Slack's WebClient. Retries are the WebClient's own: it waits out a 429's
 * Retry-After and retries 5xx and network failures a few times with backoff (bounded
 * here, where the SDK's default would keep trying for half an hour), then the call fails
 * with a ChatError naming the method, and the caller tells the person.
 *
 * The last door to Slack: the bot's own secrets (`secrets`, e.g. configSecrets), as exact
 * strings, are masked in everything sent — a job log, a GitLab error echoed in a reason,
 * an uploaded plan. Masking never lengthens a text, so the builders' size budgets hold.
 */
import type { WebClient } from '@slack/web-api';
import type { ChatPort, SlackMessage } from '../core/ports.ts';
import { UpstreamError } from '../domain/errors.ts';
import { createExactScrubber } from '../domain/scrub.ts';
import { escapeCode, escapeMrkdwn } from './mrkdwn.ts';

export const SLACK_RETRY = { retries: 3, factor: 2, minTimeout: 500, maxTimeout: 4000 };
/** Per request: a Slack call that hangs must not hold a click or a webhook forever. */
export const SLACK_TIMEOUT_MS = 10_000;

/** A Slack Web API call failed after the WebClient's retries (or Slack refused it). */
export class ChatError extends UpstreamError {
  readonly code = 'SLACK_CALL_FAILED';
}

/** Runs one Web API call; any failure becomes a ChatError that names the method. */
async function calling<T>(method: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw new ChatError(`Slack ${method}: ${(err as Error).message}`, { cause: err });
  }
}

export interface SlackChatOptions {
  /** Values that must never reach Slack verbatim. */
  secrets?: readonly string[];
}

/** Every string inside `value` (a message's blocks, a view) passed through `mask`. */
function maskDeep<T>(value: T, mask: (text: string) => string): T {
  if (typeof value === 'string') return mask(value) as T;
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, mask)) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskDeep(v, mask)])) as T;
  }
  return value;
}

/** Masks `secrets` in every string of a value, as sent and as the builders escape them. */
function secretMasker(secrets: readonly string[] = []): <T>(value: T) => T {
  // Builders escape what they show (`&` is `&amp;` in mrkdwn): mask each secret as shown too.
  const scrub = createExactScrubber(secrets.flatMap((s) => [s, escapeMrkdwn(s), escapeCode(s)]));
  return <T>(value: T): T => (scrub ? maskDeep(value, scrub) : value);
}

/**
 * A private answer to the person who typed a slash command, through the command's
 * response_url: `response_type: "ephemeral"`, shown only to them ("Only visible to you"),
 * in any conversation the command was typed in — a DM, or a channel the bot is not in,
 * where chat.postEphemeral is refused. Slack accepts 5 posts to one response_url within
 * 30 minutes. Each post is a new ephemeral message: a slash command's response_url has no
 * original message, so `replace_original` cannot update an earlier answer (only a
 * response_url from a click on a message can), and ephemerals cannot be chat.update'd.
 */
export type CommandResponder = (responseUrl: string, message: SlackMessage) => Promise<void>;

export function createCommandResponder(options: SlackChatOptions & { timeoutMs?: number } = {}): CommandResponder {
  const clean = secretMasker(options.secrets);
  return async (responseUrl, message) => {
    const body = { response_type: 'ephemeral', text: clean(message.text), ...(message.blocks ? { blocks: clean(message.blocks) } : {}) };
    const res = await calling('response_url', () =>
      fetch(responseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs ?? SLACK_TIMEOUT_MS),
      }),
    );
    const answer = await res.text().catch(() => '');
    if (!res.ok) throw new ChatError(`Slack response_url: HTTP ${res.status} ${answer.slice(0, 100)}`.trim());
  };
}

export function createSlackChat(client: WebClient, options: SlackChatOptions = {}): ChatPort {
  const clean = secretMasker(options.secrets);
  return {
    async post(channel, message, threadTs) {
      const res = await calling('chat.postMessage', () =>
        client.chat.postMessage({
          channel,
          text: clean(message.text),
          ...(message.blocks ? { blocks: clean(message.blocks) as never } : {}),
          ...(threadTs ? { thread_ts: threadTs } : {}),
          unfurl_links: false,
          unfurl_media: false,
        }),
      );
      if (!res.ts) throw new ChatError('Slack chat.postMessage: the answer has no ts');
      return { ts: res.ts };
    },
    async update(channel, ts, message) {
      await calling('chat.update', () => client.chat.update({ channel, ts, text: clean(message.text), ...(message.blocks ? { blocks: clean(message.blocks) as never } : {}) }));
    },
    async postEphemeral(channel, user, text, threadTs) {
      await calling('chat.postEphemeral', () => client.chat.postEphemeral({ channel, user, text: clean(text), ...(threadTs ? { thread_ts: threadTs } : {}) }));
    },
    async uploadText(channel, threadTs, file) {
      await calling('files.uploadV2', () => client.filesUploadV2({ channel_id: channel, thread_ts: threadTs, file: Buffer.from(clean(file.content)), filename: file.filename, title: clean(file.title) }));
    },
    async openModal(triggerId, view) {
      await calling('views.open', () => client.views.open({ trigger_id: triggerId, view: clean(view) as never }));
    },
    async publishHome(user, view) {
      await calling('views.publish', () => client.views.publish({ user_id: user, view: clean(view) as never }));
    },
    async usergroupMembers(usergroupId) {
      const res = await calling('usergroups.users.list', () => client.usergroups.users.list({ usergroup: usergroupId }));
      return res.users ?? [];
    },
    async lookupUserByEmail(email) {
      try {
        const res = await client.users.lookupByEmail({ email });
        return res.user?.id ?? null;
      } catch (err) {
        // Slack's answer when nobody in the workspace has this email.
        if ((err as { data?: { error?: string } }).data?.error === 'users_not_found') return null;
        throw new ChatError(`Slack users.lookupByEmail: ${(err as Error).message}`, { cause: err });
      }
    },
  };
}
