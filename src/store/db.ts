/**
 * Opening the SQLite file and bringing its schema up to date. The schema is an ordered
 * list of migrations; PRAGMA user_version records how many have been applied, so a
 * reopen applies nothing and a database written by a newer Portcullis is refused rather
 * than misread.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { InputError } from '../domain/errors.ts';
import { chainExistingAudit } from './audit-chain.ts';

export type Db = Database.Database;

export interface OpenOptions {
  /** How long a statement waits for another connection's lock before failing (ms). */
  busyTimeoutMs?: number;
  /** Refuse to create the file: an operator's command pointed at a wrong path must not make an empty database. */
  mustExist?: boolean;
}

/** A schema step: SQL, or code for a step SQL cannot express (hashing rows, say). */
export type Migration = string | ((db: Db) => void);

/** Append only: never edit a migration that has shipped; add a new one. */
export const MIGRATIONS: readonly Migration[] = [
  `
  CREATE TABLE inbox (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    key             TEXT    NOT NULL UNIQUE,
    event           TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    received_at     TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0, -- epoch ms, so "due" is a numeric compare
    last_error      TEXT,
    processed_at    TEXT
  );
  CREATE INDEX inbox_pending ON inbox (seq) WHERE processed_at IS NULL;

  CREATE TABLE requests (
    id                TEXT PRIMARY KEY,
    kind              TEXT NOT NULL,
    state             TEXT NOT NULL,
    rule              TEXT,            -- the RuleFile as JSON
    requester         TEXT,
    branch            TEXT NOT NULL,
    merge_request_iid INTEGER,
    pipeline_id       INTEGER,
    sha               TEXT,
    deploy_job_id     INTEGER,
    awaiting_since    TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
  );
  CREATE INDEX requests_pipeline ON requests (pipeline_id);
  CREATE INDEX requests_state ON requests (state);

  CREATE TABLE messages (
    request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    topic      TEXT NOT NULL,
    channel    TEXT NOT NULL,
    ts         TEXT NOT NULL,
    hash       TEXT NOT NULL,
    PRIMARY KEY (request_id, topic)
  );

  CREATE TABLE approvals (
    request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    user       TEXT NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (request_id, user)
  );

  -- No foreign key: a refused click on a request this store never saw is still audited.
  CREATE TABLE audit (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    request_id TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    detail     TEXT NOT NULL
  );
  CREATE INDEX audit_request ON audit (request_id, id);
  `,
  // 2: a delivery that keeps failing is parked as failed (failed_at) instead of being
  // retried for ever; `portcullis inbox` lists it and `inbox retry` puts it back.
  `
  ALTER TABLE inbox ADD COLUMN failed_at TEXT;
  DROP INDEX inbox_pending;
  CREATE INDEX inbox_due ON inbox (seq) WHERE processed_at IS NULL AND failed_at IS NULL;
  CREATE INDEX inbox_failed ON inbox (seq) WHERE failed_at IS NOT NULL;
  `,
  // 3: the audit log becomes a hash chain (prev_hash, hash), the entries already there
  // chained in id order; `portcullis audit verify` checks it.
  chainExistingAudit,
  // 4: a requester is only ever the one the bot recorded when it opened the request (its
  // 'submit' audit entry). Requests rebuilt from a branch took theirs from the pushed rule
  // file, which anyone who pushes writes: forget it, so it no longer counts as who asked.
  `
  UPDATE requests SET requester = NULL
   WHERE requester IS NOT NULL
     AND id NOT IN (SELECT request_id FROM audit WHERE action = 'submit' AND outcome = 'ok');
  `,
  // 5: the plan job a request's approvals are for. A plan job run again inside the same
  // pipeline is a new plan: it is shown and judged again and needs fresh approvals.
  // Requests already waiting get theirs at their next sync.
  `
  ALTER TABLE requests ADD COLUMN plan_job_id INTEGER;
  `,
  // 6: the environment a request is for (its account, state, rules folder, approvers).
  // Requests from before environments were the one environment there was: 'default'.
  `
  ALTER TABLE requests ADD COLUMN environment TEXT NOT NULL DEFAULT 'default';
  `,
];

/** The schema version from which the audit log is a hash chain. */
export const AUDIT_CHAIN_VERSION = MIGRATIONS.indexOf(chainExistingAudit) + 1;

export class StoreVersionError extends InputError {
  readonly code = 'STORE_TOO_NEW';
}

export class StoreMissingError extends InputError {
  readonly code = 'STORE_MISSING';
}

/** Opens (creating if needed) and migrates the database at `path`; `:memory:` for tests. */
export function openDatabase(path: string, options: OpenOptions = {}): Db {
  // The default DATABASE_PATH sits in ./data, which a fresh checkout or volume lacks.
  const inMemory = path === ':memory:' || path === '';
  if (options.mustExist && !inMemory && !existsSync(path)) throw new StoreMissingError(`database ${path} does not exist (set DATABASE_PATH or --database)`);
  if (!inMemory) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    // First, so that switching a new file to WAL also waits for another opener's lock.
    const busyTimeoutMs = Math.trunc(options.busyTimeoutMs ?? 5000);
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    toWal(db, busyTimeoutMs);
    db.pragma('foreign_keys = ON');
    // FULL: in WAL mode every commit fsyncs the WAL before it returns, so a webhook
    // delivery answered 2xx, a state change or an audit entry survives a power loss or an
    // OS crash, not only a crash of this process (NORMAL syncs only at checkpoints, and
    // could drop the last commits then). The price is one fsync per commit; deliveries
    // arriving together share one commit (InboxBatcher). See `npm run bench -- webhook-ingest`.
    db.pragma('synchronous = FULL');
    migrate(db, path);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Switches the file to WAL. Two processes opening a new file at once can find each other
 * holding locks that SQLite will not wait for (it answers SQLITE_BUSY at once rather than
 * risk a deadlock, without the busy handler): try again, briefly, for up to the busy timeout.
 */
function toWal(db: Db, busyTimeoutMs: number): void {
  const deadline = Date.now() + busyTimeoutMs;
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10 + Math.floor(Math.random() * 20));
    }
  }
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function migrate(db: Db, path: string): void {
  const found = schemaVersion(db);
  if (found > MIGRATIONS.length) {
    throw new StoreVersionError(
      `database ${path} has schema version ${found}, newer than this Portcullis knows (${MIGRATIONS.length}); ` +
        'run the newer release or point DATABASE_PATH at another file',
    );
  }
  MIGRATIONS.forEach((step, index) => {
    const version = index + 1;
    // IMMEDIATE takes the write lock before re-reading the version, so two processes
    // opening the same new file cannot both apply a step.
    db.transaction(() => {
      if (schemaVersion(db) >= version) return;
      if (typeof step === 'string') db.exec(step);
      else step(db);
      db.pragma(`user_version = ${version}`);
    }).immediate();
  });
}
