/**
 * Service checks at scale: 1,000 loopback targets, one in ten hanging, a 2 s timeout per
 * target and 100 in flight; goal under 6 s. `services-1k` probes plain HTTP and, beside
 * it, 50 of the same targets one at a time, to show what the worker pool buys.
 * `services-1k-https` probes HTTPS by a host name, each certificate verified (a CA made
 * for the run): the TLS handshakes are the extra cost. The targets run in this process,
 * on 127.45.0.0/16 and 127.48.0.0/16, so the figures include serving them too (for TLS,
 * about as much again as making the handshakes; serving them from a worker thread was
 * no faster on two cores).
 */
import { checkServices, createProbe, loopbackOnly, type Probe, type ServiceReport, type ServiceSpec } from '../src/checks/services.ts';
import { allocateLoopbackIps, startServiceTargets, type TargetSpec } from '../src/fakes/services/index.ts';
import { createTestCa } from '../tests/helpers/certs.ts';
import type { BenchResult } from './run.ts';

const TARGETS = 1000;
const SERIAL_TARGETS = 50;
const TIMEOUT_MS = 2000;
const GOAL_MS = 6000;
const HOST = 'shop.example.test';

async function timed(run: () => Promise<ServiceReport>): Promise<{ ms: number; report: ServiceReport }> {
  const started = performance.now();
  const report = await run();
  return { ms: performance.now() - started, report };
}

interface Setup {
  block: string;
  port: number;
  tls?: TargetSpec['tls'];
  service?: ServiceSpec;
  probe?: Probe;
}

async function run1k(setup: Setup, serial: boolean) {
  const { block, port, tls, service, probe } = setup;
  const ips = allocateLoopbackIps(TARGETS, { block });
  const specs: TargetSpec[] = ips.map((ip, i) => ({ ip, port, behaviour: i % 10 === 0 ? 'hang' : 'ok', ...(tls ? { tls, host: HOST } : {}) }));
  const targets = await startServiceTargets(specs);
  try {
    const members = ips.map((ip, i) => ({ instanceId: `i-${String(i).padStart(4, '0')}`, publicIp: ip, name: null }));
    const options = { ports: [port], service, allowTarget: loopbackOnly, timeoutMs: TIMEOUT_MS, scheme: () => (tls ? ('https' as const) : ('http' as const)) };
    const pooled = await timed(() => checkServices({ ...options, members, concurrency: 100 }, probe));
    const serialRun = serial ? await timed(() => checkServices({ ...options, members: members.slice(0, SERIAL_TARGETS), concurrency: 1 }, probe)) : null;
    const timeouts = pooled.report.results.filter((r) => r.error === 'timeout').length;
    const expected = TARGETS / 10;
    return { pooled, serialRun, timeouts, expected, met: pooled.ms < GOAL_MS && timeouts === expected && pooled.report.summary.failed === expected };
  } finally {
    await targets.close();
  }
}

export async function services1k(): Promise<BenchResult> {
  const { pooled, serialRun, timeouts, expected, met } = await run1k({ block: '127.45.0.0/16', port: 18480 }, true);
  return {
    name: 'service checks: 1,000 loopback targets, 10% hanging, 2 s timeout, 100 in flight',
    figures: {
      targets: TARGETS,
      pooled_ms: pooled.ms,
      answered: pooled.report.summary.ok,
      timeouts,
      other_failures: pooled.report.summary.failed - timeouts,
      serial_targets: SERIAL_TARGETS,
      serial_ms: serialRun!.ms,
      serial_ms_per_target: serialRun!.ms / SERIAL_TARGETS,
    },
    goal: `pooled < ${GOAL_MS} ms with exactly the ${expected} hanging targets failing`,
    met,
  };
}

export async function services1kHttps(): Promise<BenchResult> {
  const ca = await createTestCa();
  const tls = await ca.issue({ names: [HOST] });
  const probe = createProbe({ extraCa: [ca.cert] });
  const { pooled, timeouts, expected, met } = await run1k({ block: '127.48.0.0/16', port: 18481, tls, service: { host: HOST }, probe }, false);
  const verified = pooled.report.results.filter((r) => r.certificate === 'verified').length;
  return {
    name: 'service checks over HTTPS by host name, certificates verified: 1,000 loopback targets, 10% hanging, 2 s timeout, 100 in flight',
    figures: { targets: TARGETS, pooled_ms: pooled.ms, verified, timeouts, other_failures: pooled.report.summary.failed - timeouts },
    goal: `pooled < ${GOAL_MS} ms with exactly the ${expected} hanging targets failing`,
    met: met && verified === TARGETS - expected,
  };
}
