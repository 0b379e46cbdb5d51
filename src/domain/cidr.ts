/**
 * CIDR parsing and the one question policy asks of a source: does it reach public
 * address space? The arithmetic is cidr-tools'; this module only names the reserved
 * ranges and fixes the spelling of a normalised CIDR.
 */
import { isIP } from 'node:net';
import { excludeCidr, normalizeCidr, parseCidr } from 'cidr-tools';

/**
 * IPv4 space that is not reachable from the internet (RFC 6890 special-purpose registry).
 * The documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32)
 * are deliberately absent: every example, test and demo uses them to stand for internet
 * addresses, so policy treats them as the public addresses they stand for.
 */
export const NON_PUBLIC_V4 = [
  '0.0.0.0/8', // "this network"
  '10.0.0.0/8', // RFC 1918
  '100.64.0.0/10', // shared address space (CGN)
  '127.0.0.0/8', // loopback
  '169.254.0.0/16', // link local
  '172.16.0.0/12', // RFC 1918
  '192.0.0.0/24', // IETF protocol assignments
  '192.168.0.0/16', // RFC 1918
  '198.18.0.0/15', // benchmarking
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, and broadcast
];

/** IPv6 space that is not reachable from the internet. */
export const NON_PUBLIC_V6 = [
  '::/128', // unspecified
  '::1/128', // loopback
  '::ffff:0:0/96', // IPv4-mapped
  '64:ff9b:1::/48', // local-use NAT64
  '100::/64', // discard-only
  'fc00::/7', // unique local
  'fe80::/10', // link local
  'ff00::/8', // multicast
];

/**
 * The normalised CIDR (network address, compressed IPv6, explicit prefix), or null when
 * the text is not an IPv4/IPv6 address or CIDR. A bare address becomes a /32 or /128.
 */
export function normalizeCidrStrict(text: string): string | null {
  const match = /^([^/\s]+)(?:\/(\d{1,3}))?$/.exec(text.trim());
  if (!match) return null;
  // node:net is strict about the address (no 300.1.1.1, no "1.2.3"); cidr-tools is not.
  const version = isIP(match[1]!);
  if (version !== 4 && version !== 6) return null;
  const max = version === 4 ? 32 : 128;
  const prefix = match[2] === undefined ? max : Number(match[2]);
  if (prefix > max) return null;
  return normalizeCidr(`${match[1]}/${prefix}`, { compress: true });
}

export function ipVersion(cidr: string): 4 | 6 {
  return parseCidr(cidr).version;
}

/**
 * True when any address of the range lies outside private and reserved space: 0.0.0.0/0
 * and ::/0 of course, but also 10.0.0.0/7, which reaches 11.0.0.0/8. Documentation
 * ranges count as public (see NON_PUBLIC_V4).
 */
export function reachesPublic(cidr: string): boolean {
  const reserved = ipVersion(cidr) === 4 ? NON_PUBLIC_V4 : NON_PUBLIC_V6;
  return excludeCidr([cidr], reserved).length > 0;
}
