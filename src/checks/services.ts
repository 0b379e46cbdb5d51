/**
 * Service checks: every public member of a security group is probed on each service port
 * the group opens to the internet, a bounded number at a time, each with its own time
 * limit. What a probe is (src/checks/probe.ts) follows the group's `service` in
 * groups.json: an HTTP GET, an HTTPS GET verified for the service's host name, or — an
 * HTTPS port without a host name — a TLS handshake whose certificate is not checked by
 * name. The result says, per target, whether it answered as a healthy service should,
 * how fast, and otherwise why not ('timeout', 'refused', a certificate problem...).
 */
import type { ExistingGroup } from '../domain/groups.ts';
import { locateGroup } from './locate.ts';
import type { CloudGroup, CloudMember, CloudPort, CloudRule } from '../core/ports.ts';
import { reachesPublic } from '../domain/cidr.ts';
import { ALL_PROTOCOLS } from '../domain/protocol.ts';
import { InputError } from '../domain/errors.ts';
import type { ServiceSpec } from '../domain/groups.ts';
import { defaultProbe, describeFailure, type Probe, type ProbeTarget } from './probe.ts';

export { createProbe, defaultProbe, describeFailure, type Probe, type ProbeAnswer, type ProbeTarget } from './probe.ts';
export type { ServiceSpec } from '../domain/groups.ts';

export const DEFAULT_SERVICE_PORTS: readonly number[] = [80, 443];
export const DEFAULT_TIMEOUT_MS = 2000;
export const DEFAULT_CONCURRENCY = 100;

/** What an HTTPS target's certificate was checked for. */
export type CertificateCheck =
  /** Chain, dates and the service's host name, all verified. */
  | 'verified'
  /** No host name in groups.json: the TLS handshake completed, the certificate was not checked by name. */
  | 'not checked by name';

export interface ServiceResult {
  instanceId: string;
  ip: string;
  port: number;
  /** What was asked: the URL of the GET (with the host name when there is one), or https://ip:port for a handshake. */
  url: string;
  /** The host name sent as SNI and Host (groups.json service.host). */
  host?: string;
  /** The target answered with a healthy status (service.expect, default 2xx/3xx), or completed a TLS handshake. */
  ok: boolean;
  status?: number;
  /** HTTPS targets that got as far as an answer. */
  certificate?: CertificateCheck;
  latencyMs: number;
  /** Why it failed: 'timeout', 'refused', an unexpected status, a certificate problem or the error met. */
  error?: string;
}

export interface ServiceSummary {
  total: number;
  ok: number;
  failed: number;
  /** Targets that passed on a TLS handshake alone: certificate not checked by name. */
  unverified: number;
  /** Slowest answer among the targets that answered at all (0 when none did). */
  slowestMs: number;
}

/** A result in words, as the CLI, JUnit and Slack show it: "HTTP 200, certificate verified for shop.example.com". */
export function describeOutcome(r: ServiceResult): string {
  if (!r.ok) return r.error ?? 'failed';
  if (r.certificate === 'not checked by name') return 'TLS handshake completed; certificate not checked by name (no service host in groups.json)';
  if (r.certificate === 'verified') return `HTTP ${r.status}, certificate verified for ${r.host}`;
  return `HTTP ${r.status}`;
}

export interface ServiceReport {
  /** Failures first, then by instance and port. */
  results: ServiceResult[];
  summary: ServiceSummary;
}

export interface CheckServicesOptions {
  members: readonly CloudMember[];
  ports: readonly number[];
  /** groups.json `service` of the group: host name, path, healthy statuses (default: none named). */
  service?: ServiceSpec;
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
  // Only ingress from a public CIDR is probed: a group or prefix-list peer says nothing of the internet.
  const open = rules.filter((r) => r.direction === 'ingress' && r.cidr !== '' && (r.protocol === 'tcp' || r.protocol === ALL_PROTOCOLS) && reachesPublic(r.cidr));
  const opens = (port: number) =>
    open.some((r) => r.protocol === ALL_PROTOCOLS || r.fromPort === null || r.toPort === null || (r.fromPort <= port && port <= r.toPort));
  return [...new Set(candidates)].filter(opens).sort((a, b) => a - b);
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
  const unverified = results.filter((r) => r.ok && r.certificate === 'not checked by name').length;
  const answered = results.filter((r) => r.status !== undefined || r.certificate !== undefined);
  return { total: results.length, ok, failed: results.length - ok, unverified, slowestMs: Math.max(0, ...answered.map((r) => r.latencyMs)) };
}

const hostPart = (ip: string) => (ip.includes(':') ? `[${ip}]` : ip);

/** What to ask a member on a port, following the group's service settings. */
export function probeTarget(ip: string, port: number, scheme: 'http' | 'https', service: ServiceSpec = {}): ProbeTarget {
  const { host, path = '/' } = service;
  if (scheme === 'http') return { kind: 'http', ip, port, path, ...(host !== undefined ? { host } : {}) };
  // Without a host name there is nothing to verify the certificate against, nor a Host to
  // ask for: the handshake alone is checked, and the result says so.
  return host !== undefined ? { kind: 'https', ip, port, path, host } : { kind: 'tls', ip, port };
}

function targetUrl(target: ProbeTarget): string {
  if (target.kind === 'tls') return `https://${hostPart(target.ip)}:${target.port}`;
  return `${target.kind}://${target.host ?? hostPart(target.ip)}:${target.port}${target.path}`;
}

function healthy(status: number, expect: readonly number[] | undefined): boolean {
  return expect ? expect.includes(status) : status >= 200 && status < 400;
}

export async function checkServices(options: CheckServicesOptions, probe: Probe = defaultProbe): Promise<ServiceReport> {
  const { members, ports, service = {}, allowTarget, timeoutMs = DEFAULT_TIMEOUT_MS, concurrency = DEFAULT_CONCURRENCY, scheme = defaultScheme } = options;
  const targets = members.flatMap((m) => ports.map((port) => ({ member: m, port })));

  const results = await pool(targets, concurrency, async ({ member, port }): Promise<ServiceResult> => {
    const ip = member.publicIp;
    const target = probeTarget(ip, port, scheme(port), service);
    const host = target.kind === 'tls' ? undefined : target.host;
    const base = { instanceId: member.instanceId, ip, port, ...(host !== undefined ? { host } : {}) };
    if (!allowTarget(ip)) {
      return { ...base, url: `${ip}:${port}`, ok: false, latencyMs: 0, error: `not probed: ${ip} is outside the addresses this run may reach` };
    }
    const url = targetUrl(target);
    const started = performance.now();
    try {
      const answer = await probe(target, timeoutMs);
      const latencyMs = performance.now() - started;
      if ('handshake' in answer) return { ...base, url, ok: true, certificate: 'not checked by name', latencyMs };
      const { status } = answer;
      const ok = healthy(status, service.expect);
      const certificate = target.kind === 'https' ? { certificate: 'verified' as const } : {};
      const error = ok ? {} : { error: service.expect ? `HTTP ${status} (expected ${service.expect.join(' or ')})` : `HTTP ${status}` };
      return { ...base, url, ok, status, ...certificate, latencyMs, ...error };
    } catch (err) {
      return { ...base, url, ok: false, latencyMs: performance.now() - started, error: describeFailure(err, host) };
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
  /** groups.json `service`: host name, path and healthy statuses. */
  service?: ServiceSpec;
  /** groups.json `id` / `lookup` of a group made elsewhere: found by it rather than by name. */
  existing?: ExistingGroup;
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
export async function checkGroupServices(cloud: CloudPort, request: GroupCheckRequest, probe: Probe = defaultProbe): Promise<GroupCheck> {
  const settings = request.existing ? { description: '', servicePorts: [], service: {}, existing: request.existing } : undefined;
  const [identity, group] = await Promise.all([cloud.callerIdentity(), locateGroup(cloud, request.group, settings)]);
  if (!group) throw new UnknownGroupError(`security group "${request.group}" does not exist in AWS account ${identity.account}`);
  const [rules, members] = await Promise.all([cloud.groupRules(group.groupId), cloud.publicMembers(group.groupId)]);
  const ports = publicServicePorts(rules, request.servicePorts);
  const { service, allowTarget, timeoutMs, concurrency } = request;
  const report = await checkServices({ members, ports, service, allowTarget, timeoutMs, concurrency }, probe);
  return { group, identity, ports, members: members.length, report, provable: members.length > 0 && ports.length > 0 };
}

/** Why a check that probed nothing proves nothing, or null when it probed something. */
export function unprovableReason(check: GroupCheck): string | null {
  if (check.members === 0) return `${check.group.groupName} has no running member with a public address: nothing to check`;
  if (check.ports.length === 0) return `${check.group.groupName} opens none of its service ports to the internet: nothing to check`;
  return null;
}
