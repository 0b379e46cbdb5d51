/**
 * Service checks: every public member of a security group is sent an HTTP GET on each
 * service port the group opens to the internet, a bounded number at a time, each with
 * its own time limit. The result says, per target, whether it answered 2xx/3xx, how
 * fast, and otherwise why not ('timeout', 'refused' or the connection error).
 */
import type { CloudGroup, CloudMember, CloudPort, CloudRule } from '../core/ports.ts';
import { reachesPublic } from '../domain/cidr.ts';
import { ALL_PROTOCOLS } from '../domain/protocol.ts';
import { InputError } from '../domain/errors.ts';

export const DEFAULT_SERVICE_PORTS: readonly number[] = [80, 443];
export const DEFAULT_TIMEOUT_MS = 2000;
export const DEFAULT_CONCURRENCY = 100;

export interface ServiceResult {
  instanceId: string;
  ip: string;
  port: number;
  url: string;
  /** The target answered with a 2xx or 3xx status. */
  ok: boolean;
  status?: number;
  latencyMs: number;
  /** Why it failed when it did not answer: 'timeout', 'refused' or the error met. */
  error?: string;
}

export interface ServiceSummary {
  total: number;
  ok: number;
  failed: number;
  /** Slowest answer among the targets that answered at all (0 when none did). */
  slowestMs: number;
}

export interface ServiceReport {
  /** Failures first, then by instance and port. */
  results: ServiceResult[];
  summary: ServiceSummary;
}

/** Sends one request and resolves with the status; rejects when no answer came. */
export type Probe = (url: string, timeoutMs: number) => Promise<{ status: number }>;

export interface CheckServicesOptions {
  members: readonly CloudMember[];
  ports: readonly number[];
  /**
   * The guard every address passes before any packet is sent to it. Production passes
   * `anyMember` (the addresses are AWS's own public members); tests, the sandbox and any
   * run against a fake AWS pass `loopbackOnly`.
   */
  allowTarget: (ip: string) => boolean;
  timeoutMs?: number;
  concurrency?: number;
  /** Scheme per port; default https for 443 and 8443, http otherwise. */
  scheme?: (port: number) => 'http' | 'https';
}

const LOOPBACK_V4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Allows 127.0.0.0/8 only: the guard for tests, the sandbox and fake clouds. */
export function loopbackOnly(ip: string): boolean {
  const m = LOOPBACK_V4.exec(ip);
  return m !== null && m.slice(1).every((octet) => Number(octet) <= 255);
}

/** Allows any address: for production, where every target is a public member AWS listed. */
export function anyMember(): boolean {
  return true;
}

const defaultScheme = (port: number): 'http' | 'https' => (port === 443 || port === 8443 ? 'https' : 'http');

/**
 * The service ports worth checking: those of `candidates` that a live tcp (or all
 * protocols) ingress rule opens to a source reaching public address space.
 */
export function publicServicePorts(rules: readonly CloudRule[], candidates: readonly number[]): number[] {
  const open = rules.filter((r) => r.cidr !== '' && (r.protocol === 'tcp' || r.protocol === ALL_PROTOCOLS) && reachesPublic(r.cidr));
  const opens = (port: number) =>
    open.some((r) => r.protocol === ALL_PROTOCOLS || r.fromPort === null || r.toPort === null || (r.fromPort <= port && port <= r.toPort));
  return [...new Set(candidates)].filter(opens).sort((a, b) => a - b);
}

/** node's fetch (undici) with a deadline on the whole exchange; the body is not read. */
export const httpProbe: Probe = async (url, timeoutMs) => {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
  await res.body?.cancel();
  return { status: res.status };
};

/** 'timeout', 'refused', or the lowest-level reason fetch gives (e.g. a TLS error code). */
export function describeFailure(err: unknown): string {
  const e = err as Error & { cause?: Error & { code?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timeout';
  const cause = e.cause;
  if (cause?.code === 'ECONNREFUSED') return 'refused';
  if (cause?.code === 'UND_ERR_CONNECT_TIMEOUT' || cause?.code === 'UND_ERR_HEADERS_TIMEOUT') return 'timeout';
  if (cause) return cause.code ? `${cause.code}: ${cause.message}` : cause.message;
  return e.message;
}

/** Runs `work` over `items` with at most `limit` in flight; results keep the input order. */
async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

const byFailuresFirst = (a: ServiceResult, b: ServiceResult) =>
  Number(a.ok) - Number(b.ok) || a.instanceId.localeCompare(b.instanceId) || a.port - b.port;

export function summarise(results: readonly ServiceResult[]): ServiceSummary {
  const ok = results.filter((r) => r.ok).length;
  const answered = results.filter((r) => r.status !== undefined);
  return { total: results.length, ok, failed: results.length - ok, slowestMs: Math.max(0, ...answered.map((r) => r.latencyMs)) };
}

export async function checkServices(options: CheckServicesOptions, probe: Probe = httpProbe): Promise<ServiceReport> {
  const { members, ports, allowTarget, timeoutMs = DEFAULT_TIMEOUT_MS, concurrency = DEFAULT_CONCURRENCY, scheme = defaultScheme } = options;
  const targets = members.flatMap((m) => ports.map((port) => ({ member: m, port })));

  const results = await pool(targets, concurrency, async ({ member, port }): Promise<ServiceResult> => {
    const ip = member.publicIp;
    const base = { instanceId: member.instanceId, ip, port };
    if (!allowTarget(ip)) {
      return { ...base, url: `${ip}:${port}`, ok: false, latencyMs: 0, error: `not probed: ${ip} is outside the addresses this run may reach` };
    }
    const url = `${scheme(port)}://${ip.includes(':') ? `[${ip}]` : ip}:${port}/`;
    const started = performance.now();
    try {
      const { status } = await probe(url, timeoutMs);
      const ok = status >= 200 && status < 400;
      return { ...base, url, ok, status, latencyMs: performance.now() - started, ...(ok ? {} : { error: `HTTP ${status}` }) };
    } catch (err) {
      return { ...base, url, ok: false, latencyMs: performance.now() - started, error: describeFailure(err) };
    }
  });
  results.sort(byFailuresFirst);
  return { results, summary: summarise(results) };
}

// ---------------------------------------------------------------- one group, end to end

/** The group asked for does not exist in AWS. */
export class UnknownGroupError extends InputError {
  readonly code = 'UNKNOWN_GROUP';
}

export interface GroupCheckRequest {
  /** Group name (our keys, e.g. "sg-front") or id. */
  group: string;
  /** Ports worth checking if the group opens them publicly (groups.json `service_ports`). */
  servicePorts: readonly number[];
  allowTarget: (ip: string) => boolean;
  timeoutMs?: number;
  concurrency?: number;
}

export interface GroupCheck {
  group: CloudGroup;
  /** Whose AWS view this is, so a reader can tell the account apart. */
  identity: { account: string; arn: string };
  /** The service ports the group's live rules open to the internet. */
  ports: number[];
  /** Running members with a public address. */
  members: number;
  report: ServiceReport;
  /** False when nothing could be proven: no public member or no public service port. */
  provable: boolean;
}

/** Looks the group up in AWS, works out what to probe, and probes it. */
export async function checkGroupServices(cloud: CloudPort, request: GroupCheckRequest, probe: Probe = httpProbe): Promise<GroupCheck> {
  const [identity, group] = await Promise.all([cloud.callerIdentity(), cloud.findGroup(request.group)]);
  if (!group) throw new UnknownGroupError(`security group "${request.group}" does not exist in AWS account ${identity.account}`);
  const [rules, members] = await Promise.all([cloud.ingressRules(group.groupId), cloud.publicMembers(group.groupId)]);
  const ports = publicServicePorts(rules, request.servicePorts);
  const { allowTarget, timeoutMs, concurrency } = request;
  const report = await checkServices({ members, ports, allowTarget, timeoutMs, concurrency }, probe);
  return { group, identity, ports, members: members.length, report, provable: members.length > 0 && ports.length > 0 };
}

/** Why a check that probed nothing proves nothing, or null when it probed something. */
export function unprovableReason(check: GroupCheck): string | null {
  if (check.members === 0) return `${check.group.groupName} has no running member with a public address: nothing to check`;
  if (check.ports.length === 0) return `${check.group.groupName} opens none of its service ports to the internet: nothing to check`;
  return null;
}
