/**
 * The audit log as a hash chain: each entry carries the hash of the one before it
 * (`prev_hash`, the first one GENESIS) and its own `hash`, a SHA-256 over a canonical
 * encoding of the previous hash and every field, its id included. Editing, deleting,
 * inserting or reordering an entry breaks the chain at that entry or the next one, which
 * `verifyAuditChain` names. It is evidence against edits by hand, not a seal: whoever can
 * write the file can recompute every hash after an edit, and deleting the newest entries
 * leaves a shorter chain that is still whole — hence the head (id and hash of the newest
 * entry), which can be noted elsewhere and checked later.
 *
 * The encoding is part of the stored data: changing it makes every existing chain fail.
 */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { AuditEntry } from '../core/ports.ts';

// Not db.ts's Db: db.ts imports this module for its migration.
type Db = Database.Database;

export const GENESIS = '0'.repeat(64);
const FORMAT = 'portcullis-audit-v1';

export interface ChainedFields {
  id: number;
  at: string;
  request_id: string;
  actor: string;
  action: string;
  outcome: string;
  detail: string;
}

/** JSON of an array of strings and an integer: one text for one entry, whatever wrote it. */
export function auditHash(prevHash: string, e: ChainedFields): string {
  const canonical = JSON.stringify([FORMAT, prevHash, e.id, e.at, e.request_id, e.actor, e.action, e.outcome, e.detail]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/** Migration 3's code: the columns, the chain over the rows already there (in id order), and no more edits by SQL. */
export function chainExistingAudit(db: Db): void {
  db.exec('ALTER TABLE audit ADD COLUMN prev_hash TEXT; ALTER TABLE audit ADD COLUMN hash TEXT;');
  const batch = db.prepare<[number], ChainedFields>(
    'SELECT id, at, request_id, actor, action, outcome, detail FROM audit WHERE id > ? ORDER BY id LIMIT 1000',
  );
  const update = db.prepare<[string, string, number]>('UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ?');
  let prev = GENESIS;
  for (let rows = batch.all(0); rows.length > 0; rows = batch.all(rows.at(-1)!.id)) {
    for (const row of rows) {
      const hash = auditHash(prev, row);
      update.run(prev, hash, row.id);
      prev = hash;
    }
  }
  // Nothing in Portcullis edits or deletes an entry; these make a stray UPDATE or DELETE
  // fail loudly. They do not stop someone who drops them first: the chain is what shows that.
  db.exec(`
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  `);
}

export interface ChainHead {
  id: number;
  hash: string;
}

export type ChainCheck =
  | { intact: true; entries: number; head: ChainHead | null }
  | { intact: false; entries: number; brokenAt: number; problem: 'unhashed' | 'edited' | 'unlinked' | 'head_missing'; message: string };

interface ChainRow extends ChainedFields {
  prev_hash: string | null;
  hash: string | null;
}

/**
 * Recomputes the chain in id order and names the first entry that breaks it. With
 * `expectedHead` (a hash noted from an earlier check) the chain must still hold that entry.
 */
export function verifyAuditChain(db: Db, expectedHead?: string): ChainCheck {
  const rows = db.prepare<[], ChainRow>('SELECT id, at, request_id, actor, action, outcome, detail, prev_hash, hash FROM audit ORDER BY id');
  // One read transaction: a snapshot, even while the bot keeps appending.
  return db.transaction((): ChainCheck => {
    let entries = 0;
    let previous: ChainRow | null = null;
    let headSeen = expectedHead === undefined;
    for (const row of rows.iterate()) {
      const broken = (problem: 'unhashed' | 'edited' | 'unlinked', message: string): ChainCheck => ({ intact: false, entries, brokenAt: row.id, problem, message });
      if (row.hash === null || row.prev_hash === null) return broken('unhashed', `entry #${row.id} has no hash: it was added outside Portcullis`);
      if (auditHash(row.prev_hash, row) !== row.hash) return broken('edited', `entry #${row.id} does not match its hash: it was edited, moved or forged`);
      const expectedPrev = previous?.hash ?? GENESIS;
      if (row.prev_hash !== expectedPrev) {
        return broken(
          'unlinked',
          previous === null
            ? `entry #${row.id} is the first entry but follows another one: the entries before it were deleted`
            : `entry #${row.id} does not follow entry #${previous.id}: an entry between them was deleted, or entries were inserted or reordered`,
        );
      }
      if (row.hash === expectedHead) headSeen = true;
      entries += 1;
      previous = row;
    }
    if (!headSeen) {
      const after = previous?.id ?? 0;
      return { intact: false, entries, brokenAt: after, problem: 'head_missing', message: `no entry has the head hash ${expectedHead}: entries up to it were deleted or the log was rewritten` };
    }
    return { intact: true, entries, head: previous && { id: previous.id, hash: previous.hash! } };
  })();
}

/** An audit row as the store hands it out (AuditEntry's shape, from its columns). */
export function auditEntryOf(r: Omit<ChainedFields, 'id'>): AuditEntry {
  return { at: r.at, requestId: r.request_id, actor: r.actor, action: r.action, outcome: r.outcome as AuditEntry['outcome'], detail: r.detail };
}

export interface ChainedEntry extends AuditEntry {
  id: number;
  prevHash: string | null;
  hash: string | null;
}

/** Every entry (or one request's), oldest first, with its place in the chain. */
export function readAuditEntries(db: Db, requestId?: string): ChainedEntry[] {
  const where = requestId === undefined ? '' : 'WHERE request_id = ?';
  const rows = db.prepare<unknown[], ChainRow>(`SELECT id, at, request_id, actor, action, outcome, detail, prev_hash, hash FROM audit ${where} ORDER BY id`);
  return (requestId === undefined ? rows.all() : rows.all(requestId)).map((r) => ({ id: r.id, ...auditEntryOf(r), prevHash: r.prev_hash, hash: r.hash }));
}
