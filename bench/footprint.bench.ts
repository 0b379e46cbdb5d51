/**
 * What the bot costs to run: start-up (process start → `/readyz` 200) and idle RSS once
 * connected, of the compiled bot (`node dist/main.js`, what `npm start` and the image run)
 * beside a bare Bolt Socket Mode app against the same Slack fake, in the same run. The
 * sources through tsx are measured too, for what the transpile costs. `npm run build`
 * runs first, so the figures are of the current sources.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../src/fakes/all.ts';
import { Harness } from '../tests/e2e/harness.ts';
import { startBareApp } from './bare-app.ts';
import type { BenchResult } from './run.ts';
import { percentile } from './stats.ts';

/** Measured starts of each; one more first, not counted, warms the disk cache and migrates the database. */
const RUNS = 5;
/** Time left to a connected process before its RSS is read: the start's garbage collected, its timers run once. */
const SETTLE_MS = 3000;
const GOAL_READY_RATIO = 2.5;
const GOAL_RSS_RATIO = 1.5;

interface Sample {
  readyMs: number;
  rssMb: number;
}

/** Resident set size of a process from /proc (Linux), in MB. */
async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb) / 1024;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function settledRss(child: ChildProcess): Promise<number> {
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  return rssMb(child.pid!);
}

/** One start of the bot with node `args`: spawned, polled on /readyz until 200, left to settle, stopped. */
async function botSample(h: Harness, args: string[]): Promise<Sample> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: h.dir,
    env: { PATH: process.env.PATH ?? '', ...h.env, PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the bot exited with ${child.exitCode} before it was ready`);
      if (Date.now() > deadline) throw new Error('the bot was not ready within 30 s');
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status === 200, () => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const readyMs = performance.now() - started;
    return { readyMs, rssMb: await settledRss(child) };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

async function bareSample(h: Harness): Promise<Sample> {
  const app = await startBareApp(h.fakes.endpoints);
  try {
    return { readyMs: app.readyMs, rssMb: await settledRss(app.process) };
  } finally {
    await app.stop();
  }
}

const median = (samples: Sample[], key: keyof Sample) => percentile(samples.map((s) => s[key]), 50);

export async function footprint(): Promise<BenchResult> {
  await promisify(execFile)('npm', ['run', 'build'], { cwd: REPO_ROOT });
  const compiled = [path.join(REPO_ROOT, 'dist', 'main.js')];
  const sources = ['--import', import.meta.resolve('tsx'), path.join(REPO_ROOT, 'src', 'main.ts')];
  const h = await Harness.start({}, { startBot: false });
  try {
    const samples = { compiled: [] as Sample[], sources: [] as Sample[], bare: [] as Sample[] };
    // Interleaved, so that a busy moment of the machine falls on each alike.
    for (let run = 0; run <= RUNS; run++) {
      const round = { compiled: await botSample(h, compiled), sources: await botSample(h, sources), bare: await bareSample(h) };
      if (run === 0) continue;
      for (const key of ['compiled', 'sources', 'bare'] as const) samples[key].push(round[key]);
    }
    const ready = { bot: median(samples.compiled, 'readyMs'), tsx: median(samples.sources, 'readyMs'), bare: median(samples.bare, 'readyMs') };
    const rss = { bot: median(samples.compiled, 'rssMb'), tsx: median(samples.sources, 'rssMb'), bare: median(samples.bare, 'rssMb') };
    return {
      name: `footprint: start-up to /readyz 200 and idle RSS, median of ${RUNS} starts`,
      figures: {
        portcullis_ready_ms: ready.bot,
        portcullis_rss_mb: rss.bot,
        portcullis_tsx_ready_ms: ready.tsx,
        portcullis_tsx_rss_mb: rss.tsx,
        bare_ready_ms: ready.bare,
        bare_rss_mb: rss.bare,
        ready_ratio: ready.bot / ready.bare,
        rss_ratio: rss.bot / rss.bare,
      },
      goal: `compiled bot within ${GOAL_READY_RATIO}x the bare Bolt app's start-up and ${GOAL_RSS_RATIO}x its idle RSS`,
      met: ready.bot <= GOAL_READY_RATIO * ready.bare && rss.bot <= GOAL_RSS_RATIO * rss.bare,
    };
  } finally {
    await h.close();
  }
}
