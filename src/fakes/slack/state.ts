// The workspace the fake keeps: people, channels, messages, ephemerals, views, files and the
// short-lived trigger ids. Web API methods, response_url posts and Socket Mode acks all change
// it through these operations, so a message posted any way reads back the same.
import { randomBytes } from 'node:crypto';
import { SlackApiError } from './api-error.ts';
import type { SlackChannel, SlackSeed, SlackUser } from './seed.ts';

export type Block = Record<string, unknown>;

export interface MessageContent {
  text: string;
  blocks?: Block[];
}

export interface PostedMessage extends MessageContent {
  channel: string;
  ts: string;
  /** Set on thread replies (and on a parent once it has replies, as Slack does). */
  threadTs?: string;
  user: string;
  botId: string;
  edited?: { user: string; ts: string };
  files?: StoredFile[];
}

export interface EphemeralMessage extends MessageContent {
  user: string;
  channel: string;
  ts: string;
  threadTs?: string;
}

export interface StoredFile {
  id: string;
  name: string;
  title: string;
  length: number;
  content?: Buffer;
  shares: Array<{ channel: string; ts: string }>;
}

export type SlackView = Record<string, unknown> & { id: string; type: string; hash: string };

export interface ViewRecord {
  user: string;
  view: SlackView;
  /** Field errors from the last `response_action: "errors"` ack, keyed by block_id. */
  errors?: Record<string, string>;
}

/** Element types that carry no action_id (context/section content rather than controls). */
const PASSIVE_ELEMENTS = new Set(['mrkdwn', 'plain_text', 'image']);

/** Slack gives every block a block_id, and every control an action_id, that the app left out. */
export function withGeneratedIds(blocks: Block[]): Block[] {
  const id = () => randomBytes(3).toString('base64url');
  return blocks.map((block) => {
    const withId = (element: unknown) =>
      typeof element === 'object' && element !== null && !PASSIVE_ELEMENTS.has(String((element as Block).type))
        ? { action_id: id(), ...(element as Block) }
        : element;
    const copy: Block = { block_id: id(), ...block };
    if (copy.accessory !== undefined) copy.accessory = withId(copy.accessory);
    if (copy.element !== undefined) copy.element = withId(copy.element);
    if (Array.isArray(copy.elements)) copy.elements = copy.elements.map(withId);
    return copy;
  });
}

export class Workspace {
  readonly channels = new Map<string, Required<SlackChannel>>();
  readonly messages: PostedMessage[] = [];
  readonly ephemeralMessages: EphemeralMessage[] = [];
  readonly files = new Map<string, StoredFile>();
  readonly views = new Map<string, ViewRecord>();
  /** Open modals per user, bottom of the stack first. */
  readonly modalStacks = new Map<string, string[]>();
  readonly homeViews = new Map<string, string>();
  private readonly triggers = new Map<string, { user: string; issuedAt: number; exchanged: boolean }>();
  private readonly listeners = new Set<() => void>();
  private lastTs = 0;
  /** Counts the changes a person could see: messages, ephemerals, files, views. */
  version = 0;

  constructor(readonly seed: SlackSeed) {
    const everyone = [...seed.users.map((u) => u.id), seed.app.botUserId];
    for (const channel of seed.channels) {
      this.channels.set(channel.id, { isPrivate: false, members: everyone, ...channel });
    }
  }

  /** Call `listener` after every change a person could see; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Every operation that changes what people see ends here. */
  changed(): void {
    this.version += 1;
    for (const listener of this.listeners) listener();
  }

  /** A message timestamp: unique, increasing, in Slack's "seconds.micros" form. */
  nextTs(): string {
    this.lastTs = Math.max(this.lastTs + 1, Date.now() * 1000);
    const micros = String(this.lastTs);
    return `${micros.slice(0, -6)}.${micros.slice(-6)}`;
  }

  newId(prefix: string): string {
    return prefix + randomBytes(5).toString('hex').toUpperCase();
  }

  user(id: unknown): SlackUser {
    const user = this.seed.users.find((u) => u.id === id);
    if (user === undefined) throw new SlackApiError('user_not_found');
    return user;
  }

  /** A channel id, or a user id meaning the bot's DM with that user. */
  channel(id: unknown): Required<SlackChannel> {
    const channel = typeof id === 'string' ? this.channels.get(id) : undefined;
    if (channel !== undefined) return channel;
    const dmUser = this.seed.users.find((u) => u.id === id);
    if (dmUser === undefined) throw new SlackApiError('channel_not_found');
    const dm = { id: `D${dmUser.id}`, name: dmUser.id, isPrivate: true, members: [dmUser.id, this.seed.app.botUserId] };
    this.channels.set(dm.id, dm);
    return dm;
  }

  message(channel: string, ts: unknown): PostedMessage {
    const found = this.messages.find((m) => m.channel === channel && m.ts === ts);
    if (found === undefined) throw new SlackApiError('message_not_found');
    return found;
  }

  /** A message from the app's bot user, at the top of the channel or in the thread of `threadTs`. */
  post(channelId: unknown, content: MessageContent, threadTs?: string): PostedMessage {
    const channel = this.channel(channelId);
    const message: PostedMessage = {
      channel: channel.id,
      ts: this.nextTs(),
      user: this.seed.app.botUserId,
      botId: this.seed.app.botId,
      text: content.text,
    };
    if (content.blocks !== undefined) message.blocks = withGeneratedIds(content.blocks);
    if (threadTs !== undefined) message.threadTs = this.threadRoot(channel.id, threadTs);
    this.messages.push(message);
    this.changed();
    return message;
  }

  private threadRoot(channel: string, ts: string): string {
    const parent = this.message(channel, ts);
    // A parent carries thread_ts once it has replies, and a reply to a reply joins the same thread.
    parent.threadTs ??= parent.ts;
    return parent.threadTs;
  }

  update(channelId: unknown, ts: unknown, content: MessageContent): PostedMessage {
    const message = this.message(this.channel(channelId).id, ts);
    message.text = content.text;
    if (content.blocks === undefined) delete message.blocks;
    else message.blocks = withGeneratedIds(content.blocks);
    message.edited = { user: this.seed.app.botUserId, ts: this.nextTs() };
    this.changed();
    return message;
  }

  delete(channel: string, ts: string): void {
    const index = this.messages.findIndex((m) => m.channel === channel && m.ts === ts);
    if (index === -1) throw new SlackApiError('message_not_found');
    this.messages.splice(index, 1);
    this.changed();
  }

  postEphemeral(channelId: unknown, userId: unknown, content: MessageContent, threadTs?: string): EphemeralMessage {
    const channel = this.channel(channelId);
    const user = this.user(userId);
    if (!channel.members.includes(user.id)) throw new SlackApiError('user_not_in_channel');
    const ephemeral: EphemeralMessage = { user: user.id, channel: channel.id, ts: this.nextTs(), text: content.text };
    if (content.blocks !== undefined) ephemeral.blocks = withGeneratedIds(content.blocks);
    if (threadTs !== undefined) ephemeral.threadTs = threadTs;
    this.ephemeralMessages.push(ephemeral);
    this.changed();
    return ephemeral;
  }

  issueTrigger(user: string): string {
    const id = `${Date.now()}.${randomBytes(4).readUInt32BE()}.${randomBytes(16).toString('hex')}`;
    this.triggers.set(id, { user, issuedAt: Date.now(), exchanged: false });
    return id;
  }

  /** Spend a trigger_id on opening a modal; Slack allows this once, within a few seconds. */
  exchangeTrigger(id: unknown): { user: string } {
    const trigger = typeof id === 'string' ? this.triggers.get(id) : undefined;
    if (trigger === undefined) throw new SlackApiError('invalid_arguments', ['[ERROR] invalid `trigger_id`']);
    if (trigger.exchanged) throw new SlackApiError('exchanged_trigger_id');
    if (Date.now() - trigger.issuedAt > this.seed.timing.triggerTtlMs) throw new SlackApiError('expired_trigger_id');
    trigger.exchanged = true;
    return { user: trigger.user };
  }

  view(viewId: unknown): ViewRecord {
    const record = typeof viewId === 'string' ? this.views.get(viewId) : undefined;
    if (record === undefined) throw new SlackApiError('not_found');
    return record;
  }

  modalStack(user: string): string[] {
    const stack = this.modalStacks.get(user) ?? [];
    this.modalStacks.set(user, stack);
    return stack;
  }
}
