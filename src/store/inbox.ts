/**
 * The durable webhook inbox: a delivery is committed here before GitLab gets its 2xx,
 * and stays until the worker marks it done — or, after its last attempt, parks it as
 * failed, where it waits for an operator (`portcullis inbox`, `inbox retry`). Processed
 * rows are kept so a redelivery of the same key is still recognised as a duplicate.
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

/** A delivery not yet processed, as an operator sees it. */
export interface InboxEntry {
  key: string;
  event: string;
  status: 'pending' | 'failed';
  attempts: number;
  lastError: string | null;
  receivedAt: string;
  /** When a pending delivery that failed before is tried again (ISO time); null when due at once, or failed. */
  nextAttemptAt: string | null;
  failedAt: string | null;
}

/** What `retry` did with a key. */
export type RetryResult = 'requeued' | 'unknown' | 'processed';

type InboxPort = Store['inbox'];

/** The inbox as the store gives it: the core's port, and what the operator's command needs. */
export interface InboxTable extends InboxPort {
  /** Pending and failed deliveries, oldest first. */
  list(): InboxEntry[];
  /** Puts a failed (or waiting) delivery back, due now, its attempts counted from zero. */
  retry(key: string): RetryResult;
}

interface EntryRow {
  key: string;
  event: string;
  attempts: number;
  last_error: string | null;
  received_at: string;
  next_attempt_at: number;
  failed_at: string | null;
}

export function inboxTable(db: Db, clock: () => Date): InboxTable {
  const insert = db.prepare(
    `INSERT INTO inbox (key, event, body, received_at) VALUES (@key, @event, @body, @receivedAt)
     ON CONFLICT (key) DO NOTHING`,
  );
  const selectNext = db.prepare<[number], InboxRow>(
    `SELECT seq, key, event, body, received_at, attempts FROM inbox
     WHERE processed_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ? ORDER BY seq LIMIT 1`,
  );
  const markDone = db.prepare<[string, number]>('UPDATE inbox SET processed_at = ? WHERE seq = ?');
  const markRetry = db.prepare<[string, number, number]>(
    'UPDATE inbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE seq = ?',
  );
  const markFailed = db.prepare<[string, string, number]>(
    'UPDATE inbox SET attempts = attempts + 1, last_error = ?, failed_at = ? WHERE seq = ?',
  );
  const countPending = db.prepare<[], number>('SELECT count(*) FROM inbox WHERE processed_at IS NULL AND failed_at IS NULL').pluck();
  const deleteProcessed = db.prepare<[string]>('DELETE FROM inbox WHERE processed_at IS NOT NULL AND processed_at < ?');
  const selectOpen = db.prepare<[], EntryRow>(
    `SELECT key, event, attempts, last_error, received_at, next_attempt_at, failed_at FROM inbox
     WHERE processed_at IS NULL ORDER BY seq`,
  );
  const selectState = db.prepare<[string], { processed_at: string | null }>('SELECT processed_at FROM inbox WHERE key = ?');
  const requeue = db.prepare<[string]>(
    'UPDATE inbox SET failed_at = NULL, attempts = 0, next_attempt_at = 0 WHERE key = ? AND processed_at IS NULL',
  );
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
    fail(seq: number, error: string): void {
      markFailed.run(error, clock().toISOString(), seq);
    },
    prune(processedBefore: Date): number {
      return deleteProcessed.run(processedBefore.toISOString()).changes;
    },
    pending(): number {
      return countPending.get()!;
    },
    list(): InboxEntry[] {
      return selectOpen.all().map((r) => ({
        key: r.key,
        event: r.event,
        status: r.failed_at === null ? 'pending' : 'failed',
        attempts: r.attempts,
        lastError: r.last_error,
        receivedAt: r.received_at,
        nextAttemptAt: r.failed_at === null && r.next_attempt_at > 0 ? new Date(r.next_attempt_at).toISOString() : null,
        failedAt: r.failed_at,
      }));
    },
    retry(key: string): RetryResult {
      const row = selectState.get(key);
      if (!row) return 'unknown';
      if (row.processed_at !== null) return 'processed';
      requeue.run(key);
      return 'requeued';
    },
  };
}
