/**
 * One Slack message per (request, topic), posted once and edited when its content
 * changes: a replayed webhook, a restart or a reconciliation pass re-renders the same
 * content and changes nothing.
 */
import { createHash } from 'node:crypto';
import type { ChatPort, SlackMessage, Store } from './ports.ts';

export interface Place {
  channel: string;
  /** The parent message's ts, for messages in the request's thread. */
  threadTs?: string;
}

export type ConvergeResult = 'posted' | 'updated' | 'unchanged';

export async function converge(
  deps: { store: Store; chat: ChatPort },
  requestId: string,
  topic: string,
  place: Place,
  message: SlackMessage,
): Promise<{ ts: string; result: ConvergeResult }> {
  const hash = createHash('sha256').update(JSON.stringify(message)).digest('hex');
  const known = deps.store.messages.get(requestId, topic);
  if (known && known.hash === hash) return { ts: known.ts, result: 'unchanged' };
  if (known) {
    await deps.chat.update(known.channel, known.ts, message);
    deps.store.messages.put(requestId, topic, { ...known, hash });
    return { ts: known.ts, result: 'updated' };
  }
  const { ts } = await deps.chat.post(place.channel, message, place.threadTs);
  deps.store.messages.put(requestId, topic, { channel: place.channel, ts, hash });
  return { ts, result: 'posted' };
}
