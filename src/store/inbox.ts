/**
 * The durable webhook inbox: a delivery is committed here before GitLab gets its 2xx,
 * and stays until the worker marks it done. Processed rows are kept so a redelivery of
 * the same key is still recognised as a duplicate.
 */
import type { InboxDelivery, InboxItem, Store } from '../core/ports.ts';
import type { Db } from './db.ts';

interface InboxRow {
  seq: number;
  key: string;
  event: string;
  body: string;
  received_at: string;
  attempts: number;
}

export function inboxTable(db: Db, clock: () => Date): Store['inbox'] {
  const insert = db.prepare(
    `INSERT INTO inbox (key, event, body, received_at) VALUES (@key, @event, @body, @receivedAt)
     ON CONFLICT (key) DO NOTHING`,
  );
  const selectNext = db.prepare<[number], InboxRow>(
    `SELECT seq, key, event, body, received_at, attempts FROM inbox
     WHERE processed_at IS NULL AND next_attempt_at <= ? ORDER BY seq LIMIT 1`,
  );
  const markDone = db.prepare<[string, number]>('UPDATE inbox SET processed_at = ? WHERE seq = ?');
  const markRetry = db.prepare<[string, number, number]>(
    'UPDATE inbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE seq = ?',
  );
  const countPending = db.prepare<[], number>('SELECT count(*) FROM inbox WHERE processed_at IS NULL').pluck();
  const deleteProcessed = db.prepare<[string]>('DELETE FROM inbox WHERE processed_at IS NOT NULL AND processed_at < ?');
  const insertOne = ({ key, event, body, receivedAt }: InboxDelivery) => insert.run({ key, event, body, receivedAt }).changes === 1;
  // One commit for many deliveries: a commit, not an insert, is what a delivery costs.
  const insertMany = db.transaction((deliveries: readonly InboxDelivery[]) => deliveries.map(insertOne));

  return {
    add(delivery: InboxDelivery): boolean {
      return insertOne(delivery);
    },
    addMany(deliveries: readonly InboxDelivery[]): boolean[] {
      return insertMany(deliveries);
    },
    next(now: Date): InboxItem | undefined {
      const row = selectNext.get(now.getTime());
      return row && { seq: row.seq, key: row.key, event: row.event, body: row.body, receivedAt: row.received_at, attempts: row.attempts };
    },
    done(seq: number): void {
      markDone.run(clock().toISOString(), seq);
    },
    retryLater(seq: number, error: string, retryAt: Date): void {
      markRetry.run(error, retryAt.getTime(), seq);
    },
    prune(processedBefore: Date): number {
      return deleteProcessed.run(processedBefore.toISOString()).changes;
    },
    pending(): number {
      return countPending.get()!;
    },
  };
}
