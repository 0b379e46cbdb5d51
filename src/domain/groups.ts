/**
 * terraform/groups.json, the security groups Portcullis manages, as every reader sees it:
 * the bot (groups a request may name, what /check-services and the post-deploy checks
 * probe) and `portcullis check-services --groups`. Terraform itself reads only each
 * group's key and description (main.tf).
 *
 * ```json
 * { "sg-front": { "description": "Public web front end", "service_ports": [80, 443],
 *                 "service": { "host": "shop.example.com", "path": "/healthz", "expect": [200, 204] } } }
 * ```
 *
 * A group made elsewhere is named instead of created: `"id": "sg-0abc…"`, or looked up
 * in the VPC by `"lookup": {"name": "…", "tags": {"team": "db"}}`. Portcullis manages
 * rules on it but never creates, changes or destroys the group itself.
 *
 * Checked strictly, since a misspelt key would otherwise quietly turn a verified HTTPS
 * check into an unverified one: every problem names the file, the group and the key.
 */
import { InputError } from './errors.ts';
import { GROUP_ID_PATTERN, GROUP_KEY_PATTERN } from './rule.ts';

export const GROUPS_FILE = 'terraform/groups.json';

/** groups.json `service`: how the group's service is asked whether it is up. */
export interface ServiceSpec {
  /**
   * The DNS name the service answers to. Probes still connect to each member's own
   * address, but send this name as TLS SNI and as the Host header, and an HTTPS
   * certificate must be valid for it. Without it, an HTTPS port is only proven to
   * complete a TLS handshake: its certificate is not checked by name.
   */
  host?: string;
  /** Path (and query) of the GET; default "/". */
  path?: string;
  /** HTTP statuses that count as healthy; default any 2xx or 3xx. */
  expect?: number[];
}

/** How an existing group is found: by id, or by name and/or tags in the VPC (exactly one match). */
export type ExistingGroup = { id: string } | { name?: string; tags: Record<string, string> };

export interface GroupSettings {
  /** The AWS group's description; "" for an existing group that does not give one. */
  description: string;
  /** Set for a group made elsewhere: Portcullis finds it, never creates or destroys it. */
  existing?: ExistingGroup;
  /** Ports the service checks probe where the group's live rules open them to the internet. */
  servicePorts: number[];
  service: ServiceSpec;
}

export class GroupsFileError extends InputError {
  readonly code = 'GROUPS_FILE_INVALID';
}

const GROUP_KEYS = ['description', 'id', 'lookup', 'service_ports', 'service'] as const;
const LOOKUP_KEYS = ['name', 'tags'] as const;
/** What EC2 accepts as a group name: up to 255 characters, no "sg-" prefix. */
const GROUP_NAME = /^(?!sg-)[A-Za-z0-9 ._\-:/()#,@[\]+=&;{}!$*]{1,255}$/;
const TAG_KEY = /^(?!aws:)[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;
const SERVICE_KEYS = ['host', 'path', 'expect'] as const;
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** A request target's path and query: RFC 3986 pchar, "/" and "?", with well-formed %XX escapes. */
const PATH = /^\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*$/;
const MAX_PATH = 1024;

const show = (value: unknown): string => JSON.stringify(value) ?? String(value);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A host name fit for SNI and a certificate check, lower-cased; null when it is not one:
 * dot-separated labels of letters, digits and inner hyphens, at least two labels, at most
 * 253 characters, and not an IP address (SNI never carries one).
 */
export function normalizeHostName(text: string): string | null {
  const host = text.toLowerCase();
  if (host.length > 253) return null;
  const labels = host.split('.');
  if (labels.length < 2 || !labels.every((l) => DNS_LABEL.test(l))) return null;
  if (/^\d+$/.test(labels.at(-1)!)) return null; // 10.0.0.1 is an address, not a name
  return host;
}

/** Parses and checks groups.json's text; throws GroupsFileError naming file, group and key. */
export function parseGroupsFile(text: string, name: string = GROUPS_FILE): Map<string, GroupSettings> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new GroupsFileError(`${name}: not JSON (${(err as Error).message})`);
  }
  if (!isObject(json)) throw new GroupsFileError(`${name}: expected an object of groups by key, such as {"sg-front": {...}}`);
  const groups = new Map<string, GroupSettings>();
  for (const [key, value] of Object.entries(json)) {
    const fail = (where: string, problem: string): never => {
      throw new GroupsFileError(`${name}: group ${show(key)}: ${where}: ${problem}`);
    };
    if (!GROUP_KEY_PATTERN.test(key)) fail('(key)', 'a group key is lower-case letters, digits, "-" and "_", at most 63, e.g. "sg-front"');
    if (GROUP_ID_PATTERN.test(key)) fail('(key)', 'a group key must not look like a security group id; name an existing group with "id" instead');
    groups.set(key, parseGroup(value, fail));
  }
  return groups;
}

type Fail = (where: string, problem: string) => never;

function parseGroup(value: unknown, fail: Fail): GroupSettings {
  if (!isObject(value)) return fail('(group)', `expected an object with ${GROUP_KEYS.join(', ')}`);
  const unknown = Object.keys(value).filter((k) => !(GROUP_KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) fail(unknown[0]!, `unknown key (a group has ${GROUP_KEYS.join(', ')})`);

  const { description, id, lookup, service_ports: ports = [], service = {} } = value;
  const existing = parseExisting(id, lookup, fail);
  if (existing === undefined || description !== undefined) {
    if (typeof description !== 'string' || description.trim() === '') fail('description', 'required, a non-empty string (Terraform names the AWS group with it)');
  }
  if (!Array.isArray(ports)) fail('service_ports', `expected a list of ports such as [80, 443], not ${show(ports)}`);
  for (const port of ports as unknown[]) {
    if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) fail('service_ports', `${show(port)} is not a port 1-65535`);
  }
  const settings: GroupSettings = { description: (description as string | undefined) ?? '', servicePorts: [...new Set(ports as number[])], service: parseService(service, fail) };
  if (existing) settings.existing = existing;
  return settings;
}

function parseExisting(id: unknown, lookup: unknown, fail: Fail): ExistingGroup | undefined {
  if (id !== undefined && lookup !== undefined) fail('id', 'give "id" or "lookup", not both');
  if (id !== undefined) {
    if (typeof id !== 'string' || !GROUP_ID_PATTERN.test(id)) fail('id', `${show(id)} is not a security group id such as "sg-0123456789abcdef0"`);
    return { id: id as string };
  }
  if (lookup === undefined) return undefined;
  if (!isObject(lookup)) return fail('lookup', `expected an object with ${LOOKUP_KEYS.join(', ')}`);
  const unknown = Object.keys(lookup).filter((k) => !(LOOKUP_KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) fail(`lookup.${unknown[0]!}`, `unknown key (a lookup has ${LOOKUP_KEYS.join(', ')})`);
  const { name, tags = {} } = lookup;
  if (name !== undefined && (typeof name !== 'string' || !GROUP_NAME.test(name))) fail('lookup.name', `${show(name)} is not a security group name`);
  if (!isObject(tags)) return fail('lookup.tags', `expected an object of tag values by key, not ${show(tags)}`);
  for (const [k, v] of Object.entries(tags)) {
    if (!TAG_KEY.test(k)) fail('lookup.tags', `${show(k)} is not a tag key`);
    if (typeof v !== 'string' || !TAG_VALUE.test(v)) fail('lookup.tags', `${show(v)} is not a tag value`);
  }
  if (name === undefined && Object.keys(tags).length === 0) fail('lookup', 'give a name, tags or both to find the group by');
  return { ...(name !== undefined ? { name: name as string } : {}), tags: tags as Record<string, string> };
}

function parseService(value: unknown, fail: Fail): ServiceSpec {
  if (!isObject(value)) return fail('service', `expected an object with ${SERVICE_KEYS.join(', ')} (each optional), not ${show(value)}`);
  const unknown = Object.keys(value).filter((k) => !(SERVICE_KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) fail(`service.${unknown[0]!}`, `unknown key (a service has ${SERVICE_KEYS.join(', ')})`);
  const spec: ServiceSpec = {};

  if (value.host !== undefined) {
    const host = typeof value.host === 'string' ? normalizeHostName(value.host) : null;
    if (host === null) fail('service.host', `${show(value.host)} is not a DNS host name such as "shop.example.com" (no IP address, port, scheme or wildcard)`);
    spec.host = host!;
  }
  if (value.path !== undefined) {
    const { path } = value;
    if (typeof path !== 'string' || !PATH.test(path) || path.length > MAX_PATH) {
      fail('service.path', `${show(path)} is not a request path: it starts with "/" and holds only URL characters (spaces and the like %-encoded), at most ${MAX_PATH}`);
    }
    spec.path = path as string;
  }
  if (value.expect !== undefined) {
    const { expect } = value;
    if (!Array.isArray(expect) || expect.length === 0) fail('service.expect', `expected a non-empty list of HTTP statuses such as [200, 204], not ${show(expect)}`);
    for (const status of expect as unknown[]) {
      if (!Number.isInteger(status) || (status as number) < 100 || (status as number) > 599) fail('service.expect', `${show(status)} is not an HTTP status 100-599`);
    }
    spec.expect = [...new Set(expect as number[])];
  }
  return spec;
}
