/**
 * `portcullis inbox` on a real database file: what is pending and what failed, as text
 * and JSON, with an exit code a monitor can use; `inbox retry KEY` puts a failed delivery
 * back where the bot's worker finds it; every bad input is exit 2 with one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Io } from '../../src/cli/command.ts';
import { createInboxCommand } from '../../src/cli/inbox.ts';
import { openStore } from '../../src/store/index.ts';
import { CLI_ARGS, runCli } from '../helpers/cli.ts';

function tempDb(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-inbox-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'portcullis.sqlite');
}

const RECEIVED = '2025-03-01T10:00:00.000Z';

/** A database with one delivery done, one pending after a failure, one failed for good. */
function seeded(path: string): void {
  const store = openStore(path, { clock: () => new Date('2025-03-01T11:00:00.000Z') });
  for (const key of ['done-1', 'pending-1', 'failed-1']) store.inbox.add({ key, event: key === 'failed-1' ? 'Job Hook' : 'Pipeline Hook', body: '{}', receivedAt: RECEIVED });
  store.inbox.done(store.inbox.next(new Date(RECEIVED))!.seq);
  const pending = store.inbox.next(new Date(RECEIVED))!;
  store.inbox.retryLater(pending.seq, 'reading pipeline 7: 502 Bad Gateway', new Date('2025-03-01T10:05:00.000Z'));
  const failed = store.inbox.next(new Date(RECEIVED))!;
  store.inbox.fail(failed.seq, 'reading pipeline 8: 404 Not found\n(no such pipeline in this project)');
  store.close();
}

test('an empty inbox: exit 0 and one sentence', async (t) => {
  const path = tempDb(t);
  openStore(path).close();
  const r = await runCli('inbox', '--database', path);
  assert.deepEqual(r, { code: 0, stdout: 'The inbox is empty: nothing pending, nothing failed.\n', stderr: '' });
});

test('pending and failed deliveries are listed with key, event, status, attempts, received at and last error; exit 1 for the failed one', async (t) => {
  const path = tempDb(t);
  seeded(path);
  const r = await runCli('inbox', '--database', path);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, '');
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^KEY\s+EVENT\s+STATUS\s+ATTEMPTS\s+RECEIVED AT\s+LAST ERROR$/);
  assert.match(lines[1]!, /^pending-1\s+Pipeline Hook\s+pending\s+1\s+2025-03-01T10:00:00.000Z\s+reading pipeline 7: 502 Bad Gateway$/);
  assert.match(lines[2]!, /^failed-1\s+Job Hook\s+failed\s+1\s+2025-03-01T10:00:00.000Z\s+reading pipeline 8: 404 Not found \(no such pipeline in this project\)$/);
  assert.equal(lines[3], '2 not processed: 1 pending, 1 failed.');
  assert.ok(!r.stdout.includes('done-1'), 'processed deliveries are not listed');
});

test('--format json gives every field', async (t) => {
  const path = tempDb(t);
  seeded(path);
  const r = await runCli('inbox', '--database', path, '--format', 'json');
  assert.equal(r.code, 1);
  assert.deepEqual(JSON.parse(r.stdout), [
    { key: 'pending-1', event: 'Pipeline Hook', status: 'pending', attempts: 1, lastError: 'reading pipeline 7: 502 Bad Gateway', receivedAt: RECEIVED, nextAttemptAt: '2025-03-01T10:05:00.000Z', failedAt: null },
    { key: 'failed-1', event: 'Job Hook', status: 'failed', attempts: 1, lastError: 'reading pipeline 8: 404 Not found\n(no such pipeline in this project)', receivedAt: RECEIVED, nextAttemptAt: null, failedAt: '2025-03-01T11:00:00.000Z' },
  ]);
});

test('retry KEY puts a failed delivery back, due at once: the worker\'s next() finds it, and the listing exits 0', async (t) => {
  const path = tempDb(t);
  seeded(path);
  const r = await runCli('inbox', 'retry', 'failed-1', '--database', path);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Delivery failed-1 is back in the inbox/);
  const store = openStore(path);
  t.after(() => store.close());
  const due = store.inbox.next(new Date(RECEIVED));
  assert.deepEqual([due?.key, due?.attempts], ['failed-1', 0]);
  assert.equal((await runCli('inbox', '--database', path)).code, 0);
});

test('bad input is exit 2 with one line: unknown or processed key, missing or foreign file, bad options', async (t) => {
  const path = tempDb(t);
  seeded(path);
  const notADb = join(path, '..', 'notes.txt');
  writeFileSync(notADb, 'this is not SQLite, it is a text file with enough bytes to have a header.'.repeat(4));
  const missing = join(path, '..', 'nowhere', 'db.sqlite');
  const cases: Array<[string[], RegExp]> = [
    [['inbox', 'retry', 'nope', '--database', path], /no delivery "nope"/],
    [['inbox', 'retry', 'done-1', '--database', path], /processed already/],
    [['inbox', 'retry', '--database', path], /exactly one delivery key/],
    [['inbox', 'retry', 'a', 'b', '--database', path], /exactly one delivery key/],
    [['inbox', 'purge', '--database', path], /unknown subcommand "purge"/],
    [['inbox', '--database', path, '--format', 'xml'], /--format must be text or json/],
    [['inbox', '--database', missing], /does not exist/],
    [['inbox', '--database', notADb], /not a usable Portcullis database/],
    [['inbox', '--bogus'], /Unknown option/],
  ];
  for (const [argv, message] of cases) {
    const r = await runCli(...argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.match(r.stderr, message, argv.join(' '));
    assert.match(r.stderr, /^portcullis inbox: [^\n]*\n$/, 'one line');
  }
  assert.ok(!existsSync(missing), 'no database was created at a wrong path');
});

test('the database comes from DATABASE_PATH when --database is not given', async (t) => {
  const path = tempDb(t);
  seeded(path);
  let stdout = '';
  const io: Io = { stdout: (s) => void (stdout += s), stderr: () => undefined };
  assert.equal(await createInboxCommand({ DATABASE_PATH: path }).run([], io), 1);
  assert.match(stdout, /failed-1/);
});

test('as a process of its own, as an operator runs it', async (t) => {
  const path = tempDb(t);
  seeded(path);
  const run = promisify(execFile);
  const listed = await run(process.execPath, [...CLI_ARGS, 'inbox', '--format', 'json'], { env: { PATH: process.env.PATH ?? '', DATABASE_PATH: path }, timeout: 30_000 }).catch((err: { code: number; stdout: string }) => err);
  assert.equal((listed as { code?: number }).code, 1);
  assert.equal((JSON.parse(listed.stdout) as unknown[]).length, 2);
});
