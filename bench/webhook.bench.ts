import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { Gitlab } from '@gitbeaker/rest';
import { REPO_ROOT } from '../src/fakes/all.ts';
import { startGitLabFake } from '../src/fakes/gitlab/index.ts';
import { handleGitLabWebhook, InboxBatcher } from '../src/gitlab/webhook.ts';
import { createHttpServer, listen } from '../src/http.ts';
import { openStore } from '../src/store/index.ts';
import type { LoadResult, LoadSpec } from './http-load.ts';
import type { BenchResult } from './run.ts';
import { percentile } from './stats.ts';

const DELIVERIES = 20_000;
const WARMUP = 1_000;
const CONNECTIONS = 32;
const TIME_LIMIT_MS = 60_000;
const SECRET = 'bench-webhook-secret-0123456789';

interface Delivery {
  headers: Record<string, string>;
  body: string;
}

/** A Pipeline Hook exactly as the GitLab fake sends it for a pipeline on main, with GitLab's headers. */
async function capturePipelineHook(): Promise<Delivery> {
  let captured: Delivery | undefined;
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.headers['x-gitlab-event'] === 'Pipeline Hook') {
        const headers = Object.fromEntries(Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === 'string'));
        captured ??= { headers, body: Buffer.concat(chunks).toString('utf8') };
      }
      res.end();
    });
  });
  const port = await listen(receiver, 0, '127.0.0.1');
  const gitlab = await startGitLabFake({ seed: { dir: REPO_ROOT }, jobDurationMs: 5 });
  try {
    gitlab.driver.addHook({ url: `http://127.0.0.1:${port}/webhooks/gitlab`, token: SECRET, pipelineEvents: true });
    await new Gitlab({ host: gitlab.url, token: gitlab.token }).Pipelines.create(gitlab.projectId, 'main');
    const deadline = Date.now() + 10_000;
    while (!captured) {
      if (Date.now() > deadline) throw new Error('the GitLab fake sent no Pipeline Hook within 10 s');
      await new Promise((r) => setTimeout(r, 10));
    }
    // Each delivery of the benchmark gets its own key; the transport headers are undici's.
    const { host: _h, connection: _c, 'content-length': _l, 'idempotency-key': _k, 'x-gitlab-event-uuid': _u, ...headers } = captured.headers;
    return { headers, body: captured.body };
  } finally {
    await gitlab.close();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  }
}

function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    // tsx's --import hook does not reach worker threads on Node 20: the worker registers it itself.
    const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
    const entry = JSON.stringify(new URL('./http-load.ts', import.meta.url).href);
    const worker = new Worker(`import(${tsx}).then((t) => { t.register(); return import(${entry}); })`, { eval: true, workerData: spec });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`load worker exited with ${code} before answering`)));
  });
}

/** Warm up, then the measured run, against a server already listening at `url`. */
async function measure(url: string, delivery: Delivery, keyPrefix: string) {
  const spec = { url, ...delivery, connections: CONNECTIONS, timeLimitMs: TIME_LIMIT_MS };
  await runLoad({ ...spec, count: WARMUP, keyPrefix: `warmup-${keyPrefix}` });
  const r = await runLoad({ ...spec, count: DELIVERIES, keyPrefix });
  const ok = r.statuses[200] ?? 0;
  return { ...r, ok, perSecond: (r.latenciesMs.length / r.elapsedMs) * 1000, p50: percentile(r.latenciesMs, 50), p99: percentile(r.latenciesMs, 99) };
}

async function close(server: Server): Promise<void> {
  server.closeIdleConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Reads the inbox back: which of the measured keys are there, and how often. */
function inboxCheck(file: string, keyPrefix: string, count: number): { exactlyOnce: number; rows: number } {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare('SELECT key FROM inbox WHERE key LIKE ?').pluck().all(`${keyPrefix}%`) as string[];
    const seen = new Map<string, number>();
    for (const key of rows) seen.set(key, (seen.get(key) ?? 0) + 1);
    let exactlyOnce = 0;
    for (let i = 0; i < count; i++) if (seen.get(`${keyPrefix}${i}`) === 1) exactlyOnce += 1;
    return { exactlyOnce, rows: rows.length };
  } finally {
    db.close();
  }
}

/**
 * Authenticated GitLab deliveries into the bot's durable inbox (a file-backed SQLite store)
 * beside a bare node:http server that reads the body and answers 200, each under 32
 * keep-alive connections from a worker thread.
 */
export async function webhookIngest(): Promise<BenchResult> {
  const delivery = await capturePipelineHook();
  const headers = { ...delivery.headers, 'x-gitlab-token': SECRET };

  const bare = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  const barePort = await listen(bare, 0, '127.0.0.1');
  const bareRun = await measure(`http://127.0.0.1:${barePort}/webhooks/gitlab`, { headers, body: delivery.body }, 'bare-');
  await close(bare);

  const dir = await mkdtemp(path.join(tmpdir(), 'portcullis-bench-webhook-'));
  const file = path.join(dir, 'portcullis.sqlite');
  const store = openStore(file);
  const batcher = new InboxBatcher(store.inbox);
  // The deliveries are the fake's project's, so each passes the project check and is stored.
  const project = (JSON.parse(delivery.body) as { project: { id: number } }).project.id;
  const bot = createHttpServer({
    webhook: (req, res) => handleGitLabWebhook(req, res, { secret: SECRET, project, inbox: batcher }),
    ready: () => ({ ready: true, checks: {} }),
    onError: (err) => process.stderr.write(`webhook bench: handler failed: ${String(err)}\n`),
  });
  const botPort = await listen(bot, 0, '127.0.0.1');
  const keyPrefix = 'delivery-';
  const botRun = await measure(`http://127.0.0.1:${botPort}/webhooks/gitlab`, { headers, body: delivery.body }, keyPrefix);
  await close(bot);
  store.close();
  const inbox = inboxCheck(file, keyPrefix, DELIVERIES);
  await rm(dir, { recursive: true });

  const allStored = botRun.ok === DELIVERIES && inbox.exactlyOnce === DELIVERIES && inbox.rows === DELIVERIES;
  return {
    name: `webhook ingest: ${DELIVERIES} authenticated Pipeline Hooks (${(delivery.body.length / 1024).toFixed(1)} KB), ${CONNECTIONS} keep-alive connections`,
    figures: {
      portcullis_per_s: botRun.perSecond,
      portcullis_p50_ms: botRun.p50,
      portcullis_p99_ms: botRun.p99,
      portcullis_200: botRun.ok,
      portcullis_errors: botRun.errors,
      inbox_exactly_once: inbox.exactlyOnce,
      inbox_rows: inbox.rows,
      bare_per_s: bareRun.perSecond,
      bare_p50_ms: bareRun.p50,
      bare_p99_ms: bareRun.p99,
      bare_200: bareRun.ok,
    },
    goal: `every delivery answered 200 and in the inbox exactly once; p99 < 50 ms; at least 1,000 deliveries/s`,
    met: allStored && botRun.p99 < 50 && botRun.perSecond >= 1000,
  };
}
