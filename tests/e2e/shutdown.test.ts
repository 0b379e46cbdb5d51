/**
 * SIGTERM stops the bot (a process) cleanly: no new work — webhooks answered 503 with
 * Retry-After, /readyz 503 — while the sync in flight finishes; then the socket, the HTTP
 * server and the store close (the WAL checkpointed away) and it exits 0. Work that
 * outlasts SHUTDOWN_TIMEOUT is cut at the bound (exit 1) and taken up after a restart.
 * The bot also starts without loading the AWS SDK, which it needs only for checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Harness, WEBHOOK_SECRET } from './harness.ts';
import { DRAINING_RETRY_AFTER_S } from '../../src/http.ts';

const RECORDER = fileURLToPath(new URL('../helpers/record-modules.js', import.meta.url));
const PIPELINE_READ = /^GET \/projects\/[^/]+\/pipelines\/\d+$/;

test('SIGTERM: webhooks 503 with Retry-After, the sync in flight finishes, the store closes, exit 0', async () => {
  const h = await Harness.start({ SHUTDOWN_TIMEOUT: '20s' }, { startBot: false });
  try {
    const modules = path.join(h.dir, 'modules.txt');
    h.env.RECORD_MODULES_FILE = modules;
    h.botArgs = ['--import', RECORDER, ...h.botArgs];
    const bot = await h.startBot();
    assert.ok(readFileSync(modules, 'utf8').includes('/src/main.ts'), 'the recorder saw the bot load');
    assert.doesNotMatch(readFileSync(modules, 'utf8'), /node_modules\/@aws-sdk\//, 'the AWS SDK is loaded at the first check, not at start');

    // The bot's first read of the pipeline is throttled twice (Retry-After 2 s): its sync is in flight for seconds.
    const g = h.fakes.gitlab.driver;
    g.rateLimitNext(2, { retryAfterSeconds: 2, path: PIPELINE_READ });
    await h.request('REQ-71');
    await h.waitFor('the throttled pipeline read', () => g.requests().find((r) => r.status === 429 && PIPELINE_READ.test(`${r.method} ${r.path}`)));
    bot.process.kill('SIGTERM');

    const url = (p: string) => `http://127.0.0.1:${bot.port}${p}`;
    const deadline = Date.now() + 5000;
    while ((await fetch(url('/readyz')).then((r) => r.status)) !== 503) {
      assert.ok(Date.now() < deadline, '/readyz turned 503');
      await new Promise((r) => setTimeout(r, 20));
    }
    const refused = await fetch(url('/webhooks/gitlab'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-gitlab-token': WEBHOOK_SECRET, 'x-gitlab-event': 'Pipeline Hook' },
      body: '{"object_kind":"pipeline"}',
    });
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), String(DRAINING_RETRY_AFTER_S));

    assert.equal(await bot.exited, 0);
    assert.ok(h.parentOf('REQ-71'), 'the sync in flight finished: the request is in the channel');
    const stopping = bot.lines.findIndex((l) => l.includes('stopping: no new work taken'));
    const stopped = bot.lines.findIndex((l) => l.includes('"msg":"stopped"'));
    assert.ok(stopping !== -1 && stopped > stopping, 'logged the stop, then its end');
    assert.equal(existsSync(`${h.env.DATABASE_PATH}-wal`), false, 'the store was closed (its WAL checkpointed and removed)');
  } finally {
    await h.close();
  }
});

test('work that outlasts SHUTDOWN_TIMEOUT is cut at the bound (exit 1) and taken up after a restart', async () => {
  const h = await Harness.start({ SHUTDOWN_TIMEOUT: '1s' });
  try {
    const held = h.fakes.gitlab.driver.holdNext(PIPELINE_READ);
    await h.request('REQ-72');
    await held;
    const started = Date.now();
    const bot = h.bot!;
    bot.process.kill('SIGTERM');
    assert.equal(await bot.exited, 1);
    assert.ok(Date.now() - started < 6000, `exited ${Date.now() - started} ms after SIGTERM, near its 1 s bound`);
    assert.ok(bot.lines.some((l) => l.includes('stopped before in-flight work finished') && l.includes('inbox worker')), 'said what it cut short');
    h.bot = null;

    await h.startBot();
    await h.waitFor('the delivery processed after the restart', () => h.parentOf('REQ-72'));
  } finally {
    await h.close();
  }
});
