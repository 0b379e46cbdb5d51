/** Where each Slack message of a request lives, by topic, so posting converges on one message. */
import type { Store } from '../core/ports.ts';
import type { Db } from './db.ts';

type MessageRef = { channel: string; ts: string; hash: string };

export function messagesTable(db: Db): Store['messages'] {
  const select = db.prepare<[string, string], MessageRef>(
    'SELECT channel, ts, hash FROM messages WHERE request_id = ? AND topic = ?',
  );
  const upsert = db.prepare(
    `INSERT INTO messages (request_id, topic, channel, ts, hash) VALUES (@requestId, @topic, @channel, @ts, @hash)
     ON CONFLICT (request_id, topic) DO UPDATE SET channel = excluded.channel, ts = excluded.ts, hash = excluded.hash`,
  );
  return {
    get(requestId, topic) {
      const row = select.get(requestId, topic);
      return row && { channel: row.channel, ts: row.ts, hash: row.hash };
    },
    put(requestId, topic, ref) {
      upsert.run({ requestId, topic, channel: ref.channel, ts: ref.ts, hash: ref.hash });
    },
  };
}
