/**
 * `npm run bench [name...]`: the speed and memory targets, measured, never asserted in
 * tests. Each benchmark prints its figures beside its goal; later issues add theirs here.
 */
import { plan10k } from './plan.bench.ts';
import { ackLatency } from './ack.bench.ts';
import { webhookIngest } from './webhook.bench.ts';
import { services1k, services1kHttps } from './services.bench.ts';
import { footprint } from './footprint.bench.ts';

export interface BenchResult {
  name: string;
  figures: Record<string, string | number>;
  goal: string;
  met: boolean;
}

const BENCHMARKS: Record<string, () => Promise<BenchResult>> = {
  'plan-10k': plan10k,
  'ack-latency': ackLatency,
  'webhook-ingest': webhookIngest,
  'services-1k': services1k,
  'services-1k-https': services1kHttps,
  footprint,
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !(w in BENCHMARKS));
if (unknown.length) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}\n`);
  process.exit(2);
}
for (const name of wanted.length ? wanted : Object.keys(BENCHMARKS)) {
  const result = await BENCHMARKS[name]!();
  const figures = Object.entries(result.figures).map(([k, v]) => `${k}=${typeof v === 'number' ? Math.round(v * 10) / 10 : v}`).join(' ');
  process.stdout.write(`${result.met ? 'MET ' : 'MISS'} ${result.name}: ${figures} (goal: ${result.goal})\n`);
}
