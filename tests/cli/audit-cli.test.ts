/**
 * `portcullis audit verify` against a database tampered with directly in SQLite, as
 * someone with the file would: an edited detail, a deleted entry, inserted and reordered
 * ones, the newest entries cut off. Each names the first broken entry and exits 1; an
 * untouched log exits 0; bad input exits 2. `audit list` prints the entries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { auditHash } from '../../src/store/audit-chain.ts';
import { AUDIT_CHAIN_VERSION, MIGRATIONS, openStore, readAuditEntries } from '../../src/store/index.ts';
import { runCli } from '../helpers/cli.ts';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-audit-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A database whose audit log has five entries, recorded by the store as the bot records them. */
function logOfFive(t: { after(fn: () => void): void }): string {
  const path = join(tempDir(t), 'portcullis.sqlite');
  const store = openStore(path);
  const actions = ['refuse', 'approve', 'play', 'merge', 'expire'];
  actions.forEach((action, i) =>
    store.audit.record({ at: `2025-03-01T10:0${i}:00.000Z`, requestId: i % 2 ? 'REQ-2' : 'REQ-1', actor: i === 0 ? 'U0ALICE' : 'U0BOB', action, outcome: i === 0 ? 'refused' : 'ok', detail: `${action} detail` }),
  );
  store.close();
  return path;
}

/** Opens the file as a tamperer would: with sqlite, dropping the append-only triggers first. */
function tamper(path: string, sql: (db: Database.Database) => void): void {
  const db = new Database(path);
  try {
    db.exec('DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;');
    sql(db);
  } finally {
    db.close();
  }
}

const verify = (path: string, ...more: string[]) => runCli('audit', 'verify', '--database', path, ...more);

test('an untouched log verifies: exit 0, the count and the head', async (t) => {
  const path = logOfFive(t);
  const head = readAuditEntries(new Database(path, { readonly: true })).at(-1)!;
  const r = await verify(path);
  assert.deepEqual(r, { code: 0, stdout: `Audit log intact: 5 entries; head #5 ${head.hash}\n`, stderr: '' });
  const json = await verify(path, '--format', 'json');
  assert.deepEqual(JSON.parse(json.stdout), { intact: true, entries: 5, head: { id: 5, hash: head.hash } });
});

test('verify writes nothing: the file is opened read-only', async (t) => {
  const path = logOfFive(t);
  const before = statSync(path).mtimeMs;
  await verify(path);
  assert.equal(statSync(path).mtimeMs, before);
});

const TAMPERINGS: Array<{ what: string; sql: (db: Database.Database) => void; brokenAt: number; message: RegExp }> = [
  {
    what: 'a detail edited (UPDATE)',
    sql: (db) => db.prepare("UPDATE audit SET detail = 'approve detail (nothing to see)' WHERE id = 3").run(),
    brokenAt: 3,
    message: /entry #3 does not match its hash: it was edited/,
  },
  {
    what: 'an actor edited, hash left as it was',
    sql: (db) => db.prepare("UPDATE audit SET actor = 'U0MALLORY' WHERE id = 2").run(),
    brokenAt: 2,
    message: /entry #2 does not match its hash/,
  },
  {
    what: 'an entry deleted (DELETE)',
    sql: (db) => db.prepare('DELETE FROM audit WHERE id = 3').run(),
    brokenAt: 4,
    message: /entry #4 does not follow entry #2: an entry between them was deleted/,
  },
  {
    what: 'the first entry deleted',
    sql: (db) => db.prepare('DELETE FROM audit WHERE id = 1').run(),
    brokenAt: 2,
    message: /entry #2 is the first entry but follows another one/,
  },
  {
    what: 'a forged entry inserted by hand (INSERT, no hash)',
    sql: (db) => db.prepare("INSERT INTO audit (at, request_id, actor, action, outcome, detail) VALUES ('2025-03-01T10:09:00.000Z', 'REQ-1', 'U0BOB', 'approve', 'ok', 'forged')").run(),
    brokenAt: 6,
    message: /entry #6 has no hash: it was added outside Portcullis/,
  },
  {
    what: 'a forged entry inserted in the middle with a well-made hash',
    sql: (db) => {
      for (const id of [5, 4, 3]) db.prepare('UPDATE audit SET id = id + 1 WHERE id = ?').run(id);
      const prev = (db.prepare('SELECT hash FROM audit WHERE id = 2').pluck().get() as string);
      const forged = { id: 3, at: '2025-03-01T10:01:30.000Z', request_id: 'REQ-1', actor: 'U0BOB', action: 'approve', outcome: 'ok', detail: 'forged' };
      db.prepare('INSERT INTO audit (id, at, request_id, actor, action, outcome, detail, prev_hash, hash) VALUES (@id, @at, @request_id, @actor, @action, @outcome, @detail, @prev, @hash)').run({ ...forged, prev, hash: auditHash(prev, forged) });
    },
    brokenAt: 4,
    message: /entry #4 does not match its hash: it was edited, moved or forged/,
  },
  {
    what: 'two entries swapped (reordered)',
    sql: (db) => {
      db.prepare('UPDATE audit SET id = -2 WHERE id = 2').run();
      db.prepare('UPDATE audit SET id = 2 WHERE id = 3').run();
      db.prepare('UPDATE audit SET id = 3 WHERE id = -2').run();
    },
    brokenAt: 2,
    message: /entry #2 does not match its hash: it was edited, moved/,
  },
];

for (const { what, sql, brokenAt, message } of TAMPERINGS) {
  test(`tampered, ${what}: exit 1 naming entry #${brokenAt}`, async (t) => {
    const path = logOfFive(t);
    tamper(path, sql);
    const r = await verify(path);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`^Audit log BROKEN at entry #${brokenAt}: `));
    assert.match(r.stdout, message);
    const json = JSON.parse((await verify(path, '--format', 'json')).stdout) as { intact: boolean; brokenAt: number };
    assert.deepEqual([json.intact, json.brokenAt], [false, brokenAt]);
  });
}

test('the newest entries cut off leave a whole, shorter chain; --head with the head noted before catches it', async (t) => {
  const path = logOfFive(t);
  const noted = /head #5 ([0-9a-f]{64})/.exec((await verify(path)).stdout)![1]!;
  assert.equal((await verify(path, '--head', noted)).code, 0, 'the noted head is there');
  tamper(path, (db) => db.prepare('DELETE FROM audit WHERE id >= 4').run());
  assert.equal((await verify(path)).code, 0, 'nothing in the file itself shows a cut at the end');
  const r = await verify(path, '--head', noted);
  assert.equal(r.code, 1);
  assert.match(r.stdout, new RegExp(`no entry has the head hash ${noted}`));
});

test('a log rewritten from the first entry, every hash recomputed, is caught only by --head', async (t) => {
  const path = logOfFive(t);
  const noted = /head #5 ([0-9a-f]{64})/.exec((await verify(path)).stdout)![1]!;
  tamper(path, (db) => {
    db.prepare("UPDATE audit SET actor = 'U0MALLORY' WHERE id = 2").run();
    let prev = '0'.repeat(64);
    for (const row of db.prepare('SELECT id, at, request_id, actor, action, outcome, detail FROM audit ORDER BY id').all() as Parameters<typeof auditHash>[1][]) {
      const hash = auditHash(prev, row);
      db.prepare('UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ?').run(prev, hash, row.id);
      prev = hash;
    }
  });
  assert.equal((await verify(path)).code, 0);
  assert.equal((await verify(path, '--head', noted)).code, 1);
});

test('list prints every entry, or one request\'s, as text or JSON', async (t) => {
  const path = logOfFive(t);
  const all = await runCli('audit', 'list', '--database', path);
  assert.equal(all.code, 0);
  assert.deepEqual(all.stdout.trimEnd().split('\n').map((l) => l.split('  ').slice(0, 5).join(' ')), [
    '#1 2025-03-01T10:00:00.000Z REQ-1 U0ALICE refuse',
    '#2 2025-03-01T10:01:00.000Z REQ-2 U0BOB approve',
    '#3 2025-03-01T10:02:00.000Z REQ-1 U0BOB play',
    '#4 2025-03-01T10:03:00.000Z REQ-2 U0BOB merge',
    '#5 2025-03-01T10:04:00.000Z REQ-1 U0BOB expire',
  ]);
  const one = JSON.parse((await runCli('audit', 'list', '--request', 'REQ-2', '--format', 'json', '--database', path)).stdout) as Array<{ id: number; hash: string }>;
  assert.deepEqual(one.map((e) => e.id), [2, 4]);
  assert.ok(one.every((e) => /^[0-9a-f]{64}$/.test(e.hash)));
});

test('bad input is exit 2 with one line: no database, one from before the chain, bad options', async (t) => {
  const dir = tempDir(t);
  const path = logOfFive(t);
  const old = join(dir, 'old.sqlite');
  const db = new Database(old);
  MIGRATIONS.slice(0, AUDIT_CHAIN_VERSION - 1).forEach((step, i) => {
    if (typeof step === 'string') db.exec(step);
    else step(db);
    db.pragma(`user_version = ${i + 1}`);
  });
  db.close();
  const text = join(dir, 'notes.txt');
  writeFileSync(text, 'not a database at all, just some text that is long enough. '.repeat(10));
  const cases: Array<[string[], RegExp]> = [
    [['audit', 'verify', '--database', join(dir, 'missing.sqlite')], /does not exist/],
    [['audit', 'verify', '--database', old], new RegExp(`schema version ${AUDIT_CHAIN_VERSION - 1}, from before the audit chain`)],
    [['audit', 'verify', '--database', text], /not a usable Portcullis database/],
    [['audit', 'verify', '--database', path, '--head', 'abc'], /--head takes the 64 hex digits/],
    [['audit', 'verify', '--database', path, '--request', 'REQ-1'], /--request is for list/],
    [['audit', 'list', '--database', path, '--head', '0'.repeat(64)], /--head is for verify/],
    [['audit', '--database', path], /give a subcommand/],
    [['audit', 'rewrite', '--database', path], /unknown subcommand "rewrite"/],
    [['audit', 'verify', 'extra', '--database', path], /unexpected argument "extra"/],
    [['audit', 'verify', '--database', path, '--format', 'yaml'], /--format must be text or json/],
  ];
  for (const [argv, message] of cases) {
    const r = await runCli(...argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message, argv.join(' '));
    assert.match(r.stderr, /^portcullis audit: [^\n]*\n$/);
  }
  const after = new Database(old, { readonly: true });
  assert.equal(after.pragma('user_version', { simple: true }), AUDIT_CHAIN_VERSION - 1, 'verify did not migrate the old file');
  after.close();
});
