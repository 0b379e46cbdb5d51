/**
 * The load generator of the webhook benchmark, run in a worker thread so that sending and
 * timing requests does not share an event loop with the server being measured. It POSTs
 * `count` copies of one body over `connections` keep-alive connections, each with its own
 * Idempotency-Key, and stops at `count` or `timeLimitMs`, whichever comes first.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Agent, request } from 'undici';

export interface LoadSpec {
  url: string;
  headers: Record<string, string>;
  body: string;
  count: number;
  connections: number;
  timeLimitMs: number;
  /** Delivery i carries Idempotency-Key `${keyPrefix}${i}`. */
  keyPrefix: string;
}

export interface LoadResult {
  sent: number;
  /** Per-delivery latency, request start to response end, in ms. */
  latenciesMs: number[];
  statuses: Record<number, number>;
  errors: number;
  firstError?: string;
  elapsedMs: number;
}

async function run(spec: LoadSpec): Promise<LoadResult> {
  const dispatcher = new Agent({ connections: spec.connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const latenciesMs: number[] = [];
  const statuses: Record<number, number> = {};
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const started = performance.now();
  const deadline = started + spec.timeLimitMs;

  const client = async () => {
    while (next < spec.count && performance.now() < deadline) {
      const i = next++;
      const t0 = performance.now();
      try {
        const res = await request(spec.url, {
          method: 'POST',
          dispatcher,
          headers: { ...spec.headers, 'idempotency-key': `${spec.keyPrefix}${i}` },
          body: spec.body,
        });
        await res.body.dump();
        latenciesMs.push(performance.now() - t0);
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
      } catch (err) {
        errors += 1;
        firstError ??= String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: spec.connections }, client));
  const elapsedMs = performance.now() - started;
  await dispatcher.close();
  return { sent: next, latenciesMs, statuses, errors, ...(firstError ? { firstError } : {}), elapsedMs };
}

parentPort!.postMessage(await run(workerData as LoadSpec));
