/**
 * Service checks at scale: 1,000 loopback targets, one in ten hanging, a 2 s timeout per
 * target and 100 in flight; goal under 6 s. Beside it, 50 of the same targets one at a
 * time, to show what the worker pool buys. The targets run in this process, on
 * 127.45.0.0/16, so the figures include serving them too.
 */
import { checkServices, loopbackOnly, type ServiceReport } from '../src/checks/services.ts';
import { allocateLoopbackIps, startServiceTargets, type TargetSpec } from '../src/fakes/services/index.ts';
import type { BenchResult } from './run.ts';

const TARGETS = 1000;
const SERIAL_TARGETS = 50;
const PORT = 18480;
const TIMEOUT_MS = 2000;
const GOAL_MS = 6000;

async function timed(run: () => Promise<ServiceReport>): Promise<{ ms: number; report: ServiceReport }> {
  const started = performance.now();
  const report = await run();
  return { ms: performance.now() - started, report };
}

export async function services1k(): Promise<BenchResult> {
  const ips = allocateLoopbackIps(TARGETS, { block: '127.45.0.0/16' });
  const specs: TargetSpec[] = ips.map((ip, i) => ({ ip, port: PORT, behaviour: i % 10 === 0 ? 'hang' : 'ok' }));
  const targets = await startServiceTargets(specs);
  try {
    const members = ips.map((ip, i) => ({ instanceId: `i-${String(i).padStart(4, '0')}`, publicIp: ip, name: null }));
    const pooled = await timed(() => checkServices({ members, ports: [PORT], allowTarget: loopbackOnly, timeoutMs: TIMEOUT_MS, concurrency: 100 }));
    const serial = await timed(() =>
      checkServices({ members: members.slice(0, SERIAL_TARGETS), ports: [PORT], allowTarget: loopbackOnly, timeoutMs: TIMEOUT_MS, concurrency: 1 }),
    );
    const timeouts = pooled.report.results.filter((r) => r.error === 'timeout').length;
    const expected = TARGETS / 10;
    return {
      name: 'service checks: 1,000 loopback targets, 10% hanging, 2 s timeout, 100 in flight',
      figures: {
        targets: TARGETS,
        pooled_ms: pooled.ms,
        answered: pooled.report.summary.ok,
        timeouts,
        other_failures: pooled.report.summary.failed - timeouts,
        serial_targets: SERIAL_TARGETS,
        serial_ms: serial.ms,
        serial_ms_per_target: serial.ms / SERIAL_TARGETS,
      },
      goal: `pooled < ${GOAL_MS} ms with exactly the ${expected} hanging targets failing`,
      met: pooled.ms < GOAL_MS && timeouts === expected && pooled.report.summary.failed === expected,
    };
  } finally {
    await targets.close();
  }
}
