// What a test (or the sandbox) does as the people in the workspace, and how it reads what they
// see. Acting sends real Socket Mode envelopes and resolves with the app's ack; reading returns
// copies of the fake's state.
import {
  buttonAction,
  eventCallbackPayload,
  messageBlockActionsPayload,
  slashCommandPayload,
  viewBlockActionsPayload,
  viewClosedPayload,
  viewSubmissionPayload,
  type PayloadContext,
} from './payloads.ts';
import type { ApiArgs } from './request-body.ts';
import { showResponse, type ResponseUrls } from './response-urls.ts';
import type { AckPayload, AckRecord, Delivery, DisconnectReason, SocketModeServer } from './socket-mode.ts';
import type { SlackChannel, SlackUser } from './seed.ts';
import type { Block, EphemeralMessage, PostedMessage, SlackView, StoredFile, ViewRecord, Workspace } from './state.ts';
import { buildStateValues } from './view-state.ts';
import { applySubmissionAck, closeModal } from './views.ts';
import type { FakeUrls } from './method.ts';
import type { ApiCall, WebApi } from './web-api.ts';

/** The app's ack, and a live list of what it later POSTs to the response_url. */
export interface InteractionResult {
  ack: AckPayload;
  responses: ApiArgs[];
}

/** A message as a person sees it in the channel or thread. */
export interface VisibleMessage {
  ts: string;
  user: string;
  text: string;
  blocks?: Block[];
  threadTs?: string;
  edited: boolean;
  replyCount: number;
  files: Array<{ id: string; name: string; title: string }>;
}

export interface SlashCommandInput {
  user: string;
  /** With the slash, e.g. "/sg-request". */
  command: string;
  text?: string;
  /** Where it was typed; the first seeded channel by default. */
  channel?: string;
}

/** A button on a posted message (`channel` + `ts`) or in a modal / Home tab (`viewId`). */
export interface ButtonClickInput {
  user: string;
  actionId: string;
  /** Picks among buttons sharing the action_id. */
  value?: string;
  /** Picks the button of this block, as a click on one exact button does. */
  blockId?: string;
  channel?: string;
  ts?: string;
  viewId?: string;
}

export interface ViewSubmissionInput {
  user: string;
  viewId: string;
  /** What the person entered, keyed by action_id or block_id; several values for multi-selects. */
  values?: Record<string, string | string[]>;
}

export interface SlackFakeParts {
  ws: Workspace;
  sockets: SocketModeServer;
  webApi: WebApi;
  responseUrls: ResponseUrls;
  urls: FakeUrls;
}

export class SlackDriver {
  constructor(private readonly parts: SlackFakeParts) {}

  // ---- acting as people ----

  async runSlashCommand(input: SlashCommandInput): Promise<InteractionResult> {
    const { ws, urls, responseUrls } = this.parts;
    const channel = ws.channel(input.channel ?? ws.seed.channels[0]?.id);
    const ctx = this.context(input.user);
    const target = { user: ctx.user.id, channel: channel.id };
    const { url, responses } = responseUrls.issue(urls.http, 'commands', target);
    const payload = slashCommandPayload(ctx, {
      command: input.command,
      text: input.text ?? '',
      channel: { id: channel.id, name: channel.name },
      responseUrl: url,
    });
    const ack = await this.parts.sockets.send('slash_commands', payload, true);
    // An ack with a message is shown to the person at once, like a response_url post.
    if (ack.text !== undefined || ack.blocks !== undefined) showResponse(ws, target, ack);
    return { ack, responses };
  }

  async clickButton(input: ButtonClickInput): Promise<InteractionResult> {
    const { ws, urls, responseUrls, sockets } = this.parts;
    const ctx = this.context(input.user);
    if (input.viewId !== undefined) {
      const { view } = ws.view(input.viewId);
      const action = buttonAction(...findButton(view.blocks, input));
      const ack = await sockets.send('interactive', viewBlockActionsPayload(ctx, { view, action }), false);
      return { ack, responses: [] };
    }
    if (input.channel === undefined || input.ts === undefined) {
      throw new Error('clickButton needs channel and ts, or viewId');
    }
    const channel = ws.channel(input.channel);
    const message = ws.message(channel.id, input.ts);
    const action = buttonAction(...findButton(message.blocks, input));
    const target = { user: ctx.user.id, channel: channel.id, originalTs: message.ts, ...threadOf(message) };
    const { url, responses } = responseUrls.issue(urls.http, 'actions', target);
    const payload = messageBlockActionsPayload(ctx, {
      message,
      channel: { id: channel.id, name: channel.name },
      action,
      responseUrl: url,
    });
    const ack = await sockets.send('interactive', payload, false);
    return { ack, responses };
  }

  /** Submit the open modal `viewId` with input values keyed by action_id or block_id. */
  async submitView(input: ViewSubmissionInput): Promise<AckPayload> {
    const { ws, sockets } = this.parts;
    const record = ws.view(input.viewId);
    if (record.user !== input.user || !ws.modalStack(input.user).includes(input.viewId)) {
      throw new Error(`view ${input.viewId} is not an open modal of ${input.user}`);
    }
    record.view = { ...record.view, state: { values: buildStateValues(record.view.blocks, input.values ?? {}) } };
    const ack = await sockets.send('interactive', viewSubmissionPayload(this.context(input.user), record.view), true);
    applySubmissionAck(ws, record, ack);
    return ack;
  }

  /** The person closes their top modal (Cancel or ×); the app hears of it only with `notify_on_close`. */
  async closeView(input: { user: string; viewId: string }): Promise<void> {
    const { ws, sockets } = this.parts;
    const { view } = ws.view(input.viewId);
    const { notify, cleared } = closeModal(ws, input.user, input.viewId);
    if (notify) await sockets.send('interactive', viewClosedPayload(this.context(input.user), view, cleared), false);
  }

  /** The person opens the app's Home tab: an `app_home_opened` event. */
  openHome(user: string): Promise<AckPayload> {
    const home = this.homeView(user);
    return this.sendEvent({
      type: 'app_home_opened',
      user: this.parts.ws.user(user).id,
      channel: `D${user}`,
      tab: 'home',
      ...(home === undefined ? {} : { view: home }),
    });
  }

  /** Deliver any Events API event; resolves with the ack, after Slack's redeliveries if needed. */
  sendEvent(event: Record<string, unknown>): Promise<AckPayload> {
    return this.parts.sockets.send('events_api', eventCallbackPayload(this.parts.ws.seed, event), false);
  }

  // ---- reading what people see ----

  /** The people of the workspace (the app's bot user not included). */
  users(): SlackUser[] {
    return structuredClone(this.parts.ws.seed.users);
  }

  channels(): SlackChannel[] {
    return structuredClone(this.parts.ws.seed.channels);
  }

  /** Counts every change a person could see; `onChange` hears each one as it happens. */
  version(): number {
    return this.parts.ws.version;
  }

  onChange(listener: () => void): () => void {
    return this.parts.ws.onChange(listener);
  }

  /** The bytes of an uploaded file, or undefined before its upload finished. */
  fileContent(fileId: string): Buffer | undefined {
    const content = this.parts.ws.files.get(fileId)?.content;
    return content === undefined ? undefined : Buffer.from(content);
  }

  /** Top-level messages of a channel, oldest first, edits applied. */
  channel(channelId: string): VisibleMessage[] {
    const { ws } = this.parts;
    const id = ws.channel(channelId).id;
    return ws.messages.filter((m) => m.channel === id && (m.threadTs ?? m.ts) === m.ts).map((m) => this.visible(m));
  }

  /** Replies in the thread under `ts`, oldest first (the parent not included). */
  thread(channelId: string, ts: string): VisibleMessage[] {
    const { ws } = this.parts;
    const id = ws.channel(channelId).id;
    return ws.messages.filter((m) => m.channel === id && m.threadTs === ts && m.ts !== ts).map((m) => this.visible(m));
  }

  ephemerals(user: string): EphemeralMessage[] {
    return structuredClone(this.parts.ws.ephemeralMessages.filter((e) => e.user === user));
  }

  /** The person's open modals, bottom of the stack first, with any field errors shown. */
  openViews(user: string): ViewRecord[] {
    const { ws } = this.parts;
    return ws.modalStack(user).map((id) => structuredClone(ws.view(id)));
  }

  homeView(user: string): SlackView | undefined {
    const id = this.parts.ws.homeViews.get(user);
    return id === undefined ? undefined : structuredClone(this.parts.ws.view(id).view);
  }

  files(): StoredFile[] {
    return [...this.parts.ws.files.values()].map((f) => ({ ...f, shares: [...f.shares] }));
  }

  /** Poll `probe` until it returns something truthy; fails after `timeoutMs`. */
  async waitFor<T>(probe: () => T | undefined | null | false, timeoutMs = 2000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const result = probe();
      if (result !== undefined && result !== null && result !== false) return result;
      if (Date.now() > deadline) throw new Error(`waitFor: condition not met within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  // ---- faults ----

  /** The next `calls` requests to `method` get HTTP 429 with `Retry-After: retryAfterSec`. */
  rateLimit(method: string, options: { calls?: number; retryAfterSec?: number } = {}): void {
    this.parts.webApi.rateLimit(method, options.calls ?? 1, options.retryAfterSec ?? 1);
  }

  /** Slack's `disconnect` message on every open Socket Mode connection. */
  disconnect(reason: DisconnectReason = 'refresh_requested'): void {
    this.parts.sockets.requestDisconnect(reason);
  }

  /** Cut every Socket Mode connection without a close frame. */
  dropConnections(): void {
    this.parts.sockets.terminateConnections();
  }

  // ---- observing the protocol ----

  /** Web API requests answered so far, optionally of one method. */
  calls(method?: string): ApiCall[] {
    return this.parts.webApi.calls.filter((c) => method === undefined || c.method === method);
  }

  deliveries(): Delivery[] {
    return [...this.parts.sockets.deliveries];
  }

  acks(): AckRecord[] {
    return [...this.parts.sockets.acks];
  }

  socketStats(): { connectionsOpened: number; openConnections: number } {
    const { sockets } = this.parts;
    return { connectionsOpened: sockets.connectionsOpened, openConnections: sockets.openConnections };
  }

  private context(userId: string): PayloadContext {
    const { ws } = this.parts;
    const user = ws.user(userId);
    return { seed: ws.seed, user, triggerId: ws.issueTrigger(user.id) };
  }

  private visible(message: PostedMessage): VisibleMessage {
    const replies = this.parts.ws.messages.filter(
      (m) => m.channel === message.channel && m.threadTs === message.ts && m.ts !== message.ts,
    );
    return structuredClone({
      ts: message.ts,
      user: message.user,
      text: message.text,
      ...(message.blocks === undefined ? {} : { blocks: message.blocks }),
      ...threadOf(message),
      edited: message.edited !== undefined,
      replyCount: replies.length,
      files: (message.files ?? []).map((f) => ({ id: f.id, name: f.name, title: f.title })),
    });
  }
}

function threadOf(message: PostedMessage): { threadTs?: string } {
  return message.threadTs === undefined ? {} : { threadTs: message.threadTs };
}

/** The button with `actionId` (and `value` / `blockId`, when several share it) and its block_id. */
function findButton(blocks: unknown, { actionId, value, blockId }: { actionId: string; value?: string; blockId?: string }): [Record<string, unknown>, string] {
  for (const block of (Array.isArray(blocks) ? blocks : []) as Block[]) {
    if (blockId !== undefined && block.block_id !== blockId) continue;
    const candidates = [block.accessory, ...(Array.isArray(block.elements) ? block.elements : [])] as Array<
      Record<string, unknown> | undefined
    >;
    const button = candidates.find(
      (el) => el?.type === 'button' && el.action_id === actionId && (value === undefined || el.value === value),
    );
    if (button !== undefined) return [button, String(block.block_id)];
  }
  throw new Error(`no button with action_id "${actionId}"${value === undefined ? '' : ` and value "${value}"`}${blockId === undefined ? '' : ` in block "${blockId}"`}`);
}
