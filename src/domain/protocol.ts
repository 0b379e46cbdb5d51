/**
 * IP protocols as AWS and Terraform spell them. Rules may name a protocol ("tcp") or give
 * its number ("6"); both mean the same rule, so everything is normalised to one spelling:
 * the name where AWS has one, "-1" for all protocols, the decimal number otherwise.
 */
const BY_NUMBER: Record<string, string> = { '1': 'icmp', '6': 'tcp', '17': 'udp', '58': 'icmpv6' };
const NAMES = new Set(['tcp', 'udp', 'icmp', 'icmpv6']);

export const ALL_PROTOCOLS = '-1';

/** Normalised protocol, or null when the text is no protocol AWS accepts. */
export function normalizeProtocol(value: string | number): string | null {
  const text = String(value).trim().toLowerCase();
  if (text === '-1' || text === 'all') return ALL_PROTOCOLS;
  if (NAMES.has(text)) return text;
  if (/^\d{1,3}$/.test(text)) {
    const n = Number(text);
    if (n > 255) return null;
    return BY_NUMBER[String(n)] ?? String(n);
  }
  return null;
}

/** tcp and udp rules carry a port range; icmp carries type/code; other protocols none. */
export function protocolHasPorts(protocol: string): boolean {
  return protocol === 'tcp' || protocol === 'udp';
}

/** How a person reads the protocol and ports: "tcp/443", "udp/1000-2000", "all", "icmp". */
export function describePorts(protocol: string, from: number | null, to: number | null): string {
  if (protocol === ALL_PROTOCOLS) return 'all traffic';
  if (!protocolHasPorts(protocol)) {
    if (protocol === 'icmp' || protocol === 'icmpv6') {
      return from === null || from === -1 ? protocol : `${protocol} type ${from}${to !== null && to !== -1 ? ` code ${to}` : ''}`;
    }
    return `protocol ${protocol}`;
  }
  if (from === null || to === null) return `${protocol}/?`;
  if (from === 0 && to === 65535) return `${protocol}/all ports`;
  return from === to ? `${protocol}/${from}` : `${protocol}/${from}-${to}`;
}
