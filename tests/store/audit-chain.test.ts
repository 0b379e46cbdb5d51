/**
 * The audit log's hash chain in the store: each entry chained to the one before it as it
 * is recorded, entries from before the chain chained by the migration in id order, two
 * connections never forking it, and SQL edits refused by triggers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { AuditEntry } from '../../src/core/ports.ts';
import { GENESIS, auditHash } from '../../src/store/audit-chain.ts';
import { AUDIT_CHAIN_VERSION, MIGRATIONS, openStore, readAuditEntries, verifyAuditChain } from '../../src/store/index.ts';

function tempDb(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-audit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'db.sqlite');
}

const entry = (n: number, overrides: Partial<AuditEntry> = {}): AuditEntry => ({
  at: `2025-03-01T10:00:0${n % 10}.000Z`, requestId: `REQ-${n % 3}`, actor: 'U0BOB', action: 'approve', outcome: 'ok', detail: `entry ${n}`, ...overrides,
});

function raw(path: string, t: { after(fn: () => void): void }): Database.Database {
  const db = new Database(path);
  t.after(() => db.close());
  return db;
}

test('each recorded entry carries the previous hash and a SHA-256 over it and every field, id included', (t) => {
  const path = tempDb(t);
  const store = openStore(path);
  for (let n = 1; n <= 3; n++) store.audit.record(entry(n, { detail: n === 2 ? 'quote " backslash \\ newline \n ünïcode' : `entry ${n}` }));
  store.close();

  const rows = readAuditEntries(raw(path, t));
  assert.deepEqual(rows.map((r) => r.id), [1, 2, 3]);
  assert.equal(rows[0]!.prevHash, GENESIS);
  assert.equal(rows[1]!.prevHash, rows[0]!.hash);
  assert.equal(rows[2]!.prevHash, rows[1]!.hash);
  // The encoding, written out: a change to it would break every chain already stored.
  const r = rows[1]!;
  const canonical = JSON.stringify(['portcullis-audit-v1', r.prevHash, 2, r.at, r.requestId, r.actor, r.action, r.outcome, r.detail]);
  assert.equal(r.hash, createHash('sha256').update(canonical).digest('hex'));
  assert.deepEqual(verifyAuditChain(raw(path, t)), { intact: true, entries: 3, head: { id: 3, hash: rows[2]!.hash } });
});

test('an empty log is intact, with no head', (t) => {
  const path = tempDb(t);
  openStore(path).close();
  assert.deepEqual(verifyAuditChain(raw(path, t)), { intact: true, entries: 0, head: null });
});

test('entries written before the chain existed are chained by the migration, in id order, and later ones follow them', (t) => {
  const path = tempDb(t);
  const before = new Database(path);
  MIGRATIONS.slice(0, AUDIT_CHAIN_VERSION - 1).forEach((step, i) => {
    if (typeof step === 'string') before.exec(step);
    else step(before);
    before.pragma(`user_version = ${i + 1}`);
  });
  const insert = before.prepare('INSERT INTO audit (at, request_id, actor, action, outcome, detail) VALUES (?, ?, ?, ?, ?, ?)');
  for (let n = 1; n <= 2500; n++) insert.run(`2025-01-01T00:00:00.000Z`, `REQ-${n % 7}`, 'bot', 'expire', 'ok', `old ${n}`);
  before.close();

  const store = openStore(path);
  store.audit.record(entry(1));
  store.close();

  const db = raw(path, t);
  const rows = readAuditEntries(db);
  assert.equal(rows.length, 2501);
  assert.equal(rows[0]!.prevHash, GENESIS);
  assert.equal(rows[0]!.hash, auditHash(GENESIS, { id: 1, at: '2025-01-01T00:00:00.000Z', request_id: 'REQ-1', actor: 'bot', action: 'expire', outcome: 'ok', detail: 'old 1' }));
  assert.equal(rows[2500]!.prevHash, rows[2499]!.hash, 'the first new entry follows the last old one (past a 1000-row batch)');
  assert.deepEqual(verifyAuditChain(db), { intact: true, entries: 2501, head: { id: 2501, hash: rows[2500]!.hash } });
});

test('two connections appending to one file never fork the chain', (t) => {
  const path = tempDb(t);
  const a = openStore(path);
  const b = openStore(path);
  t.after(() => {
    a.close();
    b.close();
  });
  for (let n = 0; n < 50; n++) (n % 2 ? a : b).audit.record(entry(n));
  const check = verifyAuditChain(raw(path, t));
  assert.equal(check.intact, true);
  assert.equal(check.intact && check.entries, 50);
});

test('UPDATE and DELETE on the audit table are refused by SQLite itself', (t) => {
  const path = tempDb(t);
  const store = openStore(path);
  store.audit.record(entry(1));
  store.close();
  const db = raw(path, t);
  assert.throws(() => db.prepare("UPDATE audit SET detail = 'nothing happened'").run(), /append-only/);
  assert.throws(() => db.prepare('DELETE FROM audit').run(), /append-only/);
  assert.equal(verifyAuditChain(db).intact, true);
});

test('the store still lists entries as before', (t) => {
  const store = openStore(':memory:');
  t.after(() => store.close());
  const entries = [entry(1), entry(2), entry(4)];
  for (const e of entries) store.audit.record({ ...e, extra: 'not stored' } as AuditEntry);
  assert.deepEqual(store.audit.list(), entries);
  assert.deepEqual(store.audit.list('REQ-1'), [entries[0], entries[2]]);
});
