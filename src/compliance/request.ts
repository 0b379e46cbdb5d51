/**
 * A proposed rule, as `/sg-request` and `portcullis compliance --request` hand it to the
 * engine: {direction, protocol, from_port, to_port, description, security_group} and its
 * peer, one of `cidr`, `peer_group` (a group key or sg- id) and `prefix_list` (pl- id).
 * A rule file (terraform/rules/*.json) is accepted too, so a committed rule can be
 * checked on its own.
 */
import { z } from 'zod';
import { normalizeCidrStrict } from '../domain/cidr.ts';
import { normalizeProtocol, protocolHasPorts } from '../domain/protocol.ts';
import { GROUP_ID_PATTERN, GROUP_KEY_PATTERN, parseRuleFile, PREFIX_LIST_ID_PATTERN, rulePeer, type Peer } from '../domain/rule.ts';
import type { RuleChange, RuleView } from '../plan/rule-views.ts';
import { InputError } from '../domain/errors.ts';

const proposedRuleSchema = z
  .object({
    direction: z.enum(['ingress', 'egress']).default('ingress'),
    protocol: z.union([z.string(), z.number()]),
    from_port: z.number().int().min(-1).max(65535),
    to_port: z.number().int().min(-1).max(65535),
    cidr: z.string().optional(),
    peer_group: z.string().optional(),
    prefix_list: z.string().optional(),
    description: z.string().default(''),
    security_group: z.string().min(1),
  })
  .strict();

export class RequestError extends InputError {
  readonly code = 'REQUEST_INVALID';
}

/** Validates a proposed rule and returns it as the one rule change the engine judges. */
export function proposedRuleChange(json: unknown, name = 'request'): RuleChange {
  if (typeof json === 'object' && json !== null && 'id' in json && 'group' in json) {
    const rule = parseRuleFile(JSON.stringify(json), name);
    return change(`rule file ${rule.id}`, {
      direction: rule.direction,
      protocol: rule.protocol,
      fromPort: rule.from_port,
      toPort: rule.to_port,
      source: rulePeer(rule),
      description: rule.description,
      securityGroup: rule.group,
      requestId: rule.id,
      unknown: [],
    });
  }
  const parsed = proposedRuleSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RequestError(`${name}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const r = parsed.data;
  const protocol = normalizeProtocol(r.protocol);
  if (protocol === null) throw new RequestError(`${name}: protocol: unknown protocol "${r.protocol}"`);
  const peer = proposedPeer(r, name);
  if (protocolHasPorts(protocol) && (r.from_port < 1 || r.to_port < r.from_port)) {
    throw new RequestError(`${name}: ports: need 1 <= from_port <= to_port <= 65535, got ${r.from_port}-${r.to_port}`);
  }
  return change('proposed rule', {
    direction: r.direction,
    protocol,
    fromPort: r.from_port,
    toPort: r.to_port,
    source: peer,
    description: r.description,
    securityGroup: r.security_group,
    requestId: null,
    unknown: [],
  });
}

/** Exactly one peer, each checked for its kind. */
function proposedPeer(r: { cidr?: string | undefined; peer_group?: string | undefined; prefix_list?: string | undefined }, name: string): Peer {
  const given = [r.cidr, r.peer_group, r.prefix_list].filter((v) => v !== undefined).length;
  if (given !== 1) throw new RequestError(`${name}: give exactly one of cidr, peer_group and prefix_list`);
  if (r.peer_group !== undefined) {
    if (!GROUP_ID_PATTERN.test(r.peer_group) && !GROUP_KEY_PATTERN.test(r.peer_group)) throw new RequestError(`${name}: peer_group: "${r.peer_group}" is neither a group key nor a security group id`);
    return { kind: 'security_group', value: r.peer_group };
  }
  if (r.prefix_list !== undefined) {
    if (!PREFIX_LIST_ID_PATTERN.test(r.prefix_list)) throw new RequestError(`${name}: prefix_list: "${r.prefix_list}" is not a prefix list id such as pl-0123456789abcdef0`);
    return { kind: 'prefix_list', value: r.prefix_list };
  }
  const cidr = normalizeCidrStrict(r.cidr!);
  if (cidr === null) throw new RequestError(`${name}: cidr: "${r.cidr}" is not an IPv4 or IPv6 CIDR`);
  return { kind: 'cidr', value: cidr };
}

function change(resource: string, rule: RuleView): RuleChange {
  return { resource, resourceType: 'proposed', action: 'create', rule };
}
