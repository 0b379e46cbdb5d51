// response_url: handed out with slash commands and message button clicks, served on the fake's
// own HTTP server, usable 5 times within 30 minutes (Slack's response_url docs). A response (or a slash
// command ack carrying text) shows up as an ephemeral to the person, a channel message with
// `response_type: "in_channel"`, or replaces / deletes the clicked message.
// A slash command's response_url has no original message: Slack documents replace_original /
// delete_original for the message an interaction came from, and on a command's URL real Slack
// ignores them or posts a new message (slackapi/bolt-js#2287, slackapi/bolt-python#1268). The
// fake is stricter and refuses such a post (400 no_original_message), so no app can lean on it.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SlackApiError } from './api-error.ts';
import { readMessageContent } from './methods-chat.ts';
import { readBody, type ApiArgs } from './request-body.ts';
import type { Workspace } from './state.ts';

const MAX_USES = 5;
const LIFETIME_MS = 30 * 60 * 1000;

export interface ResponseTarget {
  user: string;
  channel: string;
  threadTs?: string;
  /** The message whose button was clicked, for replace_original / delete_original. */
  originalTs?: string;
}

interface ResponseUrlRecord {
  target: ResponseTarget;
  issuedAt: number;
  /** Every body POSTed, including refused ones, in order. */
  responses: ApiArgs[];
}

const isTrue = (value: unknown): boolean => value === true || value === 'true';

/** Make a response (or a slash command ack's text) visible the way Slack does. */
export function showResponse(ws: Workspace, target: ResponseTarget, body: ApiArgs): void {
  if (isTrue(body.delete_original) && target.originalTs !== undefined) {
    ws.delete(target.channel, target.originalTs);
    return;
  }
  const { content } = readMessageContent(body);
  if (isTrue(body.replace_original) && target.originalTs !== undefined) {
    ws.update(target.channel, target.originalTs, content);
  } else if (body.response_type === 'in_channel') {
    ws.post(target.channel, content, target.threadTs);
  } else {
    ws.postEphemeral(target.channel, target.user, content, target.threadTs);
  }
}

export class ResponseUrls {
  private readonly records = new Map<string, ResponseUrlRecord>();

  constructor(private readonly ws: Workspace) {}

  /** A new response_url below `httpBase`; `responses` fills as the app posts to it. */
  issue(httpBase: string, kind: 'commands' | 'actions', target: ResponseTarget): { url: string; responses: ApiArgs[] } {
    const path = `/${kind}/${this.ws.seed.team.id}/${Date.now()}/${randomBytes(12).toString('hex')}`;
    const record: ResponseUrlRecord = { target, issuedAt: Date.now(), responses: [] };
    this.records.set(path, record);
    return { url: `${httpBase}${path}`, responses: record.responses };
  }

  owns(path: string): boolean {
    return this.records.has(path);
  }

  async handle(path: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const record = this.records.get(path);
    if (record === undefined) return reply(response, 404, 'no_such_url');
    let body: ApiArgs;
    try {
      body = JSON.parse((await readBody(request)).toString('utf8')) as ApiArgs;
    } catch {
      return reply(response, 400, 'invalid_payload');
    }
    record.responses.push(body);
    if (record.responses.length > MAX_USES || Date.now() - record.issuedAt > LIFETIME_MS) {
      return reply(response, 404, 'used_url');
    }
    if (record.target.originalTs === undefined && (isTrue(body.replace_original) || isTrue(body.delete_original))) {
      return reply(response, 400, 'no_original_message');
    }
    try {
      showResponse(this.ws, record.target, body);
    } catch (error) {
      if (error instanceof SlackApiError) return reply(response, 400, error.code);
      throw error;
    }
    reply(response, 200, 'ok');
  }
}

function reply(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain' });
  response.end(text);
}
