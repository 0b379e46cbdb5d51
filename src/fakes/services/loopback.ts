/**
 * Loopback addresses for fake instances and their services. Every address a fake hands
 * out must stay inside 127.0.0.0/8 (the project's hard rule), and 127.0.0.1 is left to
 * the fakes' own servers. Parallel test files take disjoint blocks (e.g. 127.21.0.0/16
 * and 127.22.0.0/16) so their targets can share one port without colliding.
 */
import { containsCidr, parseCidr } from 'cidr-tools';

const LOOPBACK = '127.0.0.0/8';
const RESERVED_FOR_FAKES = '127.0.0.1';
const IPV4_TEXT = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** Throws unless `ip` is a dotted IPv4 address inside 127.0.0.0/8. */
export function assertLoopbackIpv4(ip: string): void {
  if (!IPV4_TEXT.test(ip) || ip.split('.').some((o) => Number(o) > 255) || !containsCidr(LOOPBACK, ip)) {
    throw new Error(`"${ip}" is not a loopback IPv4 address (127.0.0.0/8): fakes never touch any other network`);
  }
}

/** Throws unless `ip` is a loopback address other than 127.0.0.1, which the fakes' servers use. */
export function assertTargetIp(ip: string): void {
  assertLoopbackIpv4(ip);
  if (ip === RESERVED_FOR_FAKES) throw new Error(`${RESERVED_FOR_FAKES} is reserved for the fakes' own servers; give targets another 127.x.y.z address`);
}

function ipFromNumber(n: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((n >> shift) & 255n)).join('.');
}

/**
 * `count` distinct addresses from `block` (a CIDR inside 127.0.0.0/8), in ascending order.
 * Addresses ending in .0 or .255 and 127.0.0.1 are skipped so every address reads as a host.
 */
export function allocateLoopbackIps(count: number, options: { block: string }): string[] {
  const { block } = options;
  const parsed = parseCidr(block);
  if (parsed.version !== 4 || !containsCidr(LOOPBACK, block)) {
    throw new Error(`address block "${block}" is not inside ${LOOPBACK}: fakes never touch any other network`);
  }
  const ips: string[] = [];
  for (let n = parsed.start; n <= parsed.end && ips.length < count; n++) {
    const ip = ipFromNumber(n);
    const last = Number(n & 255n);
    if (last !== 0 && last !== 255 && ip !== RESERVED_FOR_FAKES) ips.push(ip);
  }
  if (ips.length < count) throw new Error(`address block ${block} holds only ${ips.length} usable addresses, ${count} requested`);
  return ips;
}
