/**
 * What a person typed (inline or in the modal), checked field by field into a request
 * the core can record. Pure: the known groups and the clock come in as arguments. Every
 * problem is reported against its field, so the modal can show it next to the input and
 * the inline path can list them all at once.
 */
import { parseDuration } from '../../config.ts';
import { normalizeCidrStrict } from '../../domain/cidr.ts';
import { normalizeProtocol, protocolHasPorts } from '../../domain/protocol.ts';
import { DESCRIPTION_PATTERN, GROUP_ID_PATTERN, PREFIX_LIST_ID_PATTERN, ruleFileSchema, type Direction, type Peer } from '../../domain/rule.ts';
import type { RequestInput } from '../../domain/request.ts';
import { DEFAULT_ENVIRONMENT } from '../../domain/environment.ts';

export const FIELDS = ['environment', 'group', 'direction', 'protocol', 'ports', 'peer', 'justification', 'ticket', 'expiry'] as const;
export type Field = (typeof FIELDS)[number];

/** The raw texts, as typed; absent optional fields are undefined or "". */
export type RawRequest = Partial<Record<Field, string>>;
export type FieldErrors = Partial<Record<Field, string>>;

export type { RequestInput };

export interface ValidationContext {
  /** The groups of the request's environment. */
  knownGroups: readonly string[];
  /** The configured environments (default: the one environment, `default`). */
  environments?: readonly string[];
  now: Date;
  /** The longest expiry a request may ask for. */
  maxTtlMs: number;
}

export const DEFAULT_MAX_TTL_MS = 90 * 86_400_000;

export type Validation = { ok: true; input: RequestInput } | { ok: false; errors: FieldErrors };

const TICKET_PATTERN = ruleFileSchema.shape.ticket.unwrap().unwrap();
const PORT_RANGE = /^(\d{1,5})(?:-(\d{1,5}))?$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

export function validateRequest(raw: RawRequest, ctx: ValidationContext): Validation {
  const errors: FieldErrors = {};
  const text = (f: Field) => raw[f]?.trim() ?? '';

  const environment = resolveEnvironment(raw.environment, ctx.environments ?? [DEFAULT_ENVIRONMENT]);
  if (typeof environment === 'object') errors.environment = environment.error;

  const group = text('group');
  if (group === '') errors.group = 'Choose a security group.';
  else if (!ctx.knownGroups.includes(group)) errors.group = `Unknown security group "${group}"; known: ${ctx.knownGroups.join(', ') || 'none'}.`;

  const protocol = normalizeProtocol(text('protocol'));
  if (protocol === null) errors.protocol = `Unknown protocol "${text('protocol')}": use tcp, udp, icmp or a protocol number 0-255.`;
  else if (protocol === '-1') errors.protocol = 'All protocols cannot be requested; name one protocol.';

  let ports: [number, number] = [-1, -1];
  if (protocol !== null && protocolHasPorts(protocol)) {
    const parsed = parsePorts(text('ports'));
    if (typeof parsed === 'string') errors.ports = parsed;
    else ports = parsed;
  } else if (text('ports') !== '' && protocol !== null) {
    errors.ports = `${protocol} has no ports; leave them out.`;
  }

  const direction = text('direction') === '' ? 'ingress' : text('direction').toLowerCase();
  if (direction !== 'ingress' && direction !== 'egress') errors.direction = `"${text('direction')}" is neither ingress nor egress.`;

  const peer = parsePeer(text('peer'), ctx.knownGroups);
  if (typeof peer === 'string') errors.peer = peer;

  const justification = text('justification').replace(/\s+/g, ' ');
  if (justification === '') errors.justification = 'Say why the rule is needed (it becomes the rule description).';
  else if (!DESCRIPTION_PATTERN.test(justification)) {
    errors.justification = 'At most 255 characters: letters, digits, spaces and ._-:/()#,@[]+=&;{}!$* only (AWS rule descriptions allow no others).';
  }

  const ticket = text('ticket');
  if (ticket !== '' && !TICKET_PATTERN.safeParse(ticket).success) errors.ticket = `"${ticket}" is not a ticket reference such as NET-42.`;

  const expiry = parseExpiry(text('expiry'), ctx);
  if (typeof expiry === 'object' && expiry !== null) errors.expiry = expiry.error;

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    input: {
      environment: environment as string,
      group,
      direction: direction as Direction,
      protocol: protocol!,
      fromPort: ports[0],
      toPort: ports[1],
      peer: peer as Peer,
      justification,
      ticket: ticket === '' ? null : ticket,
      expiresAt: expiry as string | null,
    },
  };
}

/**
 * The other end of the rule: a CIDR, a security group (a known group key or an sg- id) or
 * a prefix list (pl- id); a problem's text otherwise. Whether the group or list exists in
 * AWS (and in the same VPC) is asked when the request is submitted.
 */
export function parsePeer(text: string, knownGroups: readonly string[]): Peer | string {
  if (text === '') return 'Give the source (ingress) or destination (egress): a CIDR, a security group or a prefix list.';
  if (GROUP_ID_PATTERN.test(text)) return { kind: 'security_group', value: text };
  if (PREFIX_LIST_ID_PATTERN.test(text)) return { kind: 'prefix_list', value: text };
  if (knownGroups.includes(text)) return { kind: 'security_group', value: text };
  const cidr = normalizeCidrStrict(text);
  if (cidr !== null) return { kind: 'cidr', value: cidr };
  return `"${text}" is not an IPv4 or IPv6 CIDR such as 203.0.113.0/24, a known security group (${knownGroups.join(', ') || 'none'}), an sg- id or a pl- prefix list id.`;
}

/**
 * The environment asked for: one of those configured; the only one when there is one and
 * none is named. With several, a request must name it: no environment is anybody's default.
 */
export function resolveEnvironment(given: string | undefined, environments: readonly string[]): string | { error: string } {
  const name = given?.trim() ?? '';
  if (name === '') return environments.length === 1 ? environments[0]! : { error: `Choose an environment: ${environments.join(', ')}.` };
  if (environments.includes(name)) return name;
  return { error: `Unknown environment "${name}"; known: ${environments.join(', ')}.` };
}

function parsePorts(text: string): [number, number] | string {
  if (text === '') return 'Give a port (443) or a range (8000-8100).';
  const m = PORT_RANGE.exec(text);
  if (!m) return `"${text}" is not a port (443) or a range (8000-8100).`;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from < 1 || from > 65535 || to < 1 || to > 65535) return 'Ports are 1-65535.';
  if (from > to) return `The range starts after it ends (${from}-${to}).`;
  return [from, to];
}

/** ISO time of the expiry; null for none; { error } when unreadable, past or too far. */
function parseExpiry(text: string, ctx: ValidationContext): string | null | { error: string } {
  if (text === '' || text === 'none') return null;
  let at: number;
  if (ISO_DATE.test(text)) {
    // A date means "through that day" (UTC).
    const day = Date.parse(`${text}T00:00:00Z`);
    // Date.parse rolls 2026-02-30 over into March; a real date reads back the same.
    if (Number.isNaN(day) || new Date(day).toISOString().slice(0, 10) !== text) return { error: `"${text}" is not a date.` };
    at = day + 86_400_000;
  } else {
    const ms = parseDuration(text);
    if (ms === null || ms <= 0) return { error: `"${text}" is neither a duration (7d, 12h) nor a date (2026-12-31).` };
    at = ctx.now.getTime() + ms;
  }
  if (at <= ctx.now.getTime()) return { error: `${text} is in the past.` };
  if (at - ctx.now.getTime() > ctx.maxTtlMs) return { error: `At most ${Math.round(ctx.maxTtlMs / 86_400_000)} days ahead.` };
  return new Date(at).toISOString();
}
