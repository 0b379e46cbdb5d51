// chat.* methods, and the message-content rules they share with response_url posts and acks.
import { SlackApiError } from './api-error.ts';
import { validateMessageBlocks } from './blocks-validation.ts';
import { jsonArg, requiredArg, stringArg, type ApiArgs } from './request-body.ts';
import { messageJson } from './payloads.ts';
import type { Block, MessageContent } from './state.ts';
import type { MethodTable } from './method.ts';

/** Slack keeps the first 40,000 characters of a message's text and warns (Slack's changelog on truncating long messages). */
const MAX_TEXT = 40_000;

export interface CheckedContent {
  content: MessageContent;
  warnings: string[];
}

/** Text and blocks of a message as Slack accepts them, or Slack's refusal. */
export function readMessageContent(args: ApiArgs): CheckedContent {
  const blocks = jsonArg(args, 'blocks', 'invalid_blocks_format');
  const text = stringArg(args, 'text') ?? '';
  const hasBlocks = Array.isArray(blocks) ? blocks.length > 0 : blocks !== undefined;
  if (!hasBlocks && text === '' && args.attachments === undefined) throw new SlackApiError('no_text');
  if (blocks !== undefined) {
    const problems = validateMessageBlocks(blocks);
    if (problems.length > 0) throw new SlackApiError('invalid_blocks', problems);
  }
  const content: MessageContent = { text: text.slice(0, MAX_TEXT) };
  if (Array.isArray(blocks)) content.blocks = blocks as Block[];
  return { content, warnings: text.length > MAX_TEXT ? ['message_truncated'] : [] };
}

function truncationWarnings(warnings: string[]): Record<string, unknown> {
  if (warnings.length === 0) return {};
  return {
    response_metadata: {
      warnings,
      messages: [`[WARN] A message was truncated to ${MAX_TEXT} characters`],
    },
  };
}

export const chatMethods: MethodTable = {
  'chat.postMessage': {
    token: 'bot',
    scopes: ['chat:write'],
    run(args, { ws }) {
      const { content, warnings } = readMessageContent(args);
      const message = ws.post(requiredArg(args, 'channel'), content, stringArg(args, 'thread_ts'));
      return {
        channel: message.channel,
        ts: message.ts,
        message: messageJson(ws.seed, message),
        ...truncationWarnings(warnings),
      };
    },
  },
  'chat.update': {
    token: 'bot',
    scopes: ['chat:write'],
    run(args, { ws }) {
      const { content, warnings } = readMessageContent(args);
      const message = ws.update(requiredArg(args, 'channel'), requiredArg(args, 'ts'), content);
      return {
        channel: message.channel,
        ts: message.ts,
        text: message.text,
        message: messageJson(ws.seed, message),
        ...truncationWarnings(warnings),
      };
    },
  },
  'chat.postEphemeral': {
    token: 'bot',
    scopes: ['chat:write'],
    run(args, { ws }) {
      const { content } = readMessageContent(args);
      const ephemeral = ws.postEphemeral(
        requiredArg(args, 'channel'),
        requiredArg(args, 'user'),
        content,
        stringArg(args, 'thread_ts'),
      );
      return { message_ts: ephemeral.ts };
    },
  },
  'chat.getPermalink': {
    token: 'bot',
    run(args, { ws, urls }) {
      const channel = ws.channel(requiredArg(args, 'channel'));
      const message = ws.message(channel.id, requiredArg(args, 'message_ts'));
      const path = `${urls.http}/archives/${channel.id}/p${message.ts.replace('.', '')}`;
      const isReply = message.threadTs !== undefined && message.threadTs !== message.ts;
      const permalink = isReply ? `${path}?thread_ts=${message.threadTs}&cid=${channel.id}` : path;
      return { channel: channel.id, permalink };
    },
  },
};
