import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, StoreMissingError, StoreVersionError, openStore } from '../../src/store/index.ts';
import { openDatabase } from '../../src/store/db.ts';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function userVersion(path: string): number {
  const raw = new Database(path, { readonly: true });
  try {
    return raw.pragma('user_version', { simple: true }) as number;
  } finally {
    raw.close();
  }
}

test('a new file gets every migration, in WAL mode, in a directory created for it', (t) => {
  const path = join(tempDir(t), 'nested', 'dir', 'portcullis.sqlite');
  openStore(path).close();
  assert.equal(userVersion(path), MIGRATIONS.length);
  const raw = new Database(path, { readonly: true });
  t.after(() => raw.close());
  assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
  const tables = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
  for (const name of ['approvals', 'audit', 'inbox', 'messages', 'requests']) assert.ok(tables.includes(name), name);
});

test('reopening applies nothing again and keeps the data', (t) => {
  const path = join(tempDir(t), 'db.sqlite');
  const first = openStore(path);
  first.inbox.add({ key: 'k1', event: 'Pipeline Hook', body: '{}', receivedAt: '2025-01-01T00:00:00.000Z' });
  first.audit.record({ at: '2025-01-01T00:00:00.000Z', requestId: 'r1', actor: 'bot', action: 'expire', outcome: 'ok', detail: '' });
  first.close();
  // A migration that ran twice would fail on CREATE TABLE; one that re-created tables would lose rows.
  for (let i = 0; i < 2; i++) {
    const again = openStore(path);
    assert.equal(again.inbox.pending(), 1);
    assert.equal(again.audit.list().length, 1);
    again.close();
  }
  assert.equal(userVersion(path), MIGRATIONS.length);
});

test('a database written by a newer release is refused, and left as it was', (t) => {
  const path = join(tempDir(t), 'db.sqlite');
  openStore(path).close();
  const newer = MIGRATIONS.length + 1;
  const raw = new Database(path);
  raw.pragma(`user_version = ${newer}`);
  raw.close();

  assert.throws(
    () => openStore(path),
    (err: unknown) =>
      err instanceof StoreVersionError &&
      err.code === 'STORE_TOO_NEW' &&
      err.message.includes(`schema version ${newer}`) &&
      err.message.includes(`knows (${MIGRATIONS.length})`),
  );
  assert.equal(userVersion(path), newer);
});

test(':memory: stores work and are independent of each other', () => {
  const a = openStore(':memory:');
  const b = openStore(':memory:');
  a.inbox.add({ key: 'k', event: 'Job Hook', body: '{}', receivedAt: '2025-01-01T00:00:00.000Z' });
  assert.equal(a.inbox.pending(), 1);
  assert.equal(b.inbox.pending(), 0);
  a.close();
  b.close();
});

test('two processes opening a new file at the same moment both succeed, migrating it once', async (t) => {
  const path = join(tempDir(t), 'db.sqlite');
  const storeModule = new URL('../../src/store/index.ts', import.meta.url).href;
  // Both children load first, then open at the same instant, so their migrations collide.
  const startAt = Date.now() + 2000;
  const child = `
    const { openStore } = await import(${JSON.stringify(storeModule)});
    while (Date.now() < ${startAt});
    openStore(process.argv[1]).close();`;
  const run = () => promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child, path], { timeout: 20_000 });
  await Promise.all([run(), run()]);
  assert.equal(userVersion(path), MIGRATIONS.length);
});

/** A file at schema version `version`, as a Portcullis of that version left it. */
function fileAtVersion(path: string, version: number): Database.Database {
  const raw = new Database(path);
  raw.pragma('journal_mode = WAL');
  MIGRATIONS.slice(0, version).forEach((step, i) => {
    if (typeof step === 'string') raw.exec(step);
    else step(raw);
    raw.pragma(`user_version = ${i + 1}`);
  });
  return raw;
}

test('version 2: deliveries waiting in a version-1 inbox stay pending, and can now be parked as failed', (t) => {
  const path = join(tempDir(t), 'db.sqlite');
  const raw = fileAtVersion(path, 1);
  raw.prepare("INSERT INTO inbox (key, event, body, received_at, attempts, last_error, next_attempt_at) VALUES ('old', 'Pipeline Hook', '{}', '2025-01-01T00:00:00.000Z', 7, '404', 0)").run();
  raw.close();

  const store = openStore(path);
  t.after(() => store.close());
  assert.equal(store.inbox.pending(), 1);
  const item = store.inbox.next(new Date())!;
  assert.deepEqual([item.key, item.attempts], ['old', 7]);
  store.inbox.fail(item.seq, 'still 404');
  assert.equal(store.inbox.pending(), 0);
  assert.equal(store.inbox.list()[0]?.status, 'failed');
});

test('mustExist refuses a path with no database instead of creating one', (t) => {
  const path = join(tempDir(t), 'missing', 'db.sqlite');
  assert.throws(() => openStore(path, { mustExist: true }), (err: unknown) => err instanceof StoreMissingError && err.message.includes(path));
  assert.throws(() => userVersion(path));
});

test('every commit is synced to disk before it returns: WAL with synchronous=FULL, so it survives a power loss', (t) => {
  const db = openDatabase(join(tempDir(t), 'db.sqlite'));
  t.after(() => db.close());
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  // 2 is FULL: the WAL is fsynced at every commit (NORMAL, 1, only at checkpoints).
  assert.equal(db.pragma('synchronous', { simple: true }), 2);
});

test('version 4: a requester the bot did not record (read from a pushed rule file) is forgotten; recorded ones stay', (t) => {
  const path = join(tempDir(t), 'db.sqlite');
  const raw = fileAtVersion(path, 1);
  const insert = raw.prepare("INSERT INTO requests (id, kind, state, requester, branch, created_at, updated_at) VALUES (?, 'request', 'awaiting_approval', ?, ?, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z')");
  insert.run('REQ-1', 'U0ALICE', 'sg-request/REQ-1');
  insert.run('REQ-2', 'U0BOB', 'sg-request/REQ-2');
  raw.prepare("INSERT INTO audit (at, request_id, actor, action, outcome, detail) VALUES ('2025-01-01T00:00:00.000Z', 'REQ-1', 'U0ALICE', 'submit', 'ok', 'submitted')").run();
  raw.close();

  const store = openStore(path);
  t.after(() => store.close());
  assert.equal(store.requests.get('REQ-1')?.requester, 'U0ALICE', 'opened by the bot: its recorded requester stays');
  assert.equal(store.requests.get('REQ-2')?.requester, null, 'rebuilt from a branch: the rule file named it, so it is not believed');
});
