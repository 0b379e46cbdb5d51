import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { largePlan } from './generate-plan.ts';
import type { BenchResult } from './run.ts';

const RUNS = 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Judging and summarising a 10,000-resource plan: goal under 2 s and 300 MB peak RSS. */
export async function plan10k(): Promise<BenchResult> {
  const dir = await mkdtemp(path.join(tmpdir(), 'portcullis-bench-'));
  const file = path.join(dir, 'plan.json');
  await writeFile(file, JSON.stringify(largePlan(10_000)));
  const runs: Array<{ parseMs: number; judgeAndSummariseMs: number; totalMs: number; maxRssMb: number; rules: number; violations: number }> = [];
  for (let i = 0; i < RUNS; i++) {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'plan-worker.ts'), file]);
    runs.push(JSON.parse(stdout));
  }
  const sizeMb = (await stat(file)).size / 1e6;
  await rm(dir, { recursive: true });
  const totalMs = median(runs.map((r) => r.totalMs));
  const rssMb = Math.max(...runs.map((r) => r.maxRssMb));
  return {
    name: 'plan 10,000 resources: read + judge + summarise',
    figures: {
      plan_mb: sizeMb,
      rules: runs[0]!.rules,
      violations: runs[0]!.violations,
      parse_ms: median(runs.map((r) => r.parseMs)),
      judge_summarise_ms: median(runs.map((r) => r.judgeAndSummariseMs)),
      total_ms_median: totalMs,
      peak_rss_mb: rssMb,
    },
    goal: 'total < 2000 ms, peak RSS < 300 MB',
    met: totalMs < 2000 && rssMb < 300,
  };
}
