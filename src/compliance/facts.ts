/**
 * What a policy expression sees as `rule`: a typed CEL object, so that a policy naming a
 * field that does not exist is refused when the policy is loaded, not when it runs.
 *
 * `source.public` is the one fact every "from the internet" policy keys on, so it fails
 * closed: a source the engine cannot place in address space (a managed prefix list,
 * whose entries the plan does not show, or an unknown source) counts as public, unless
 * the policy files name that prefix list as private (`private_prefix_lists`). A security
 * group or `self` is private: its members are the account's own interfaces.
 */
import { Environment } from '@marcbachmann/cel-js';
import { ALL_PROTOCOLS } from '../domain/protocol.ts';
import { ipVersion, reachesPublic } from '../domain/cidr.ts';
import type { RuleView } from '../plan/rule-views.ts';

export class SourceFacts {
  /** cidr | prefix_list | security_group | self | unknown */
  readonly kind: string;
  /** The normalised CIDR, prefix list id or group id ("" when unknown). */
  readonly value: string;
  /**
   * Reaches beyond private and reserved address space; also true for a source the engine
   * cannot place (a prefix list the policy does not name as private, an unknown source).
   */
  readonly public: boolean;
  readonly ipv6: boolean;
  /** Prefix length of a CIDR source (-1 for other kinds). */
  readonly prefix: bigint;

  constructor(kind: string, value: string, isPublic: boolean, ipv6: boolean, prefix: bigint) {
    this.kind = kind;
    this.value = value;
    this.public = isPublic;
    this.ipv6 = ipv6;
    this.prefix = prefix;
  }
}

export class RuleFacts {
  constructor(
    readonly direction: string,
    /** tcp, udp, icmp, icmpv6, "-1" for all, or a protocol number; "" when unknown. */
    readonly protocol: string,
    readonly all_protocols: boolean,
    /** Port range (icmp: type and code); 0-65535 for all protocols; -1 when unset or unknown. */
    readonly from_port: bigint,
    readonly to_port: bigint,
    readonly source: SourceFacts,
    readonly description: string,
    readonly security_group: string,
    /** create | update | replace */
    readonly action: string,
    readonly resource: string,
    /** Names of the fields unknown until apply. */
    readonly unknown: string[],
  ) {}
}

const FIELD_TYPES = {
  Source: { kind: 'string', value: 'string', public: 'bool', ipv6: 'bool', prefix: 'int' },
  Rule: {
    direction: 'string',
    protocol: 'string',
    all_protocols: 'bool',
    from_port: 'int',
    to_port: 'int',
    source: 'Source',
    description: 'string',
    security_group: 'string',
    action: 'string',
    resource: 'string',
    unknown: 'list<string>',
  },
} as const;

/** The CEL environment every policy expression is checked and evaluated in. */
export function policyEnvironment(): Environment {
  return new Environment({ limits: { maxAstNodes: 2000, maxDepth: 50 } })
    .registerType('Source', { ctor: SourceFacts, fields: FIELD_TYPES.Source })
    .registerType('Rule', { ctor: RuleFacts, fields: FIELD_TYPES.Rule })
    .registerVariable('rule', 'Rule')
    .registerFunction('Rule.opens(int): bool', (rule: RuleFacts, port: bigint) => opens(rule, port));
}

/**
 * True when traffic to `port` (tcp or udp) passes the rule: the protocol carries ports
 * and the range covers it, or the rule allows all protocols.
 */
function opens(rule: RuleFacts, port: bigint): boolean {
  if (rule.all_protocols) return true;
  if (rule.protocol !== 'tcp' && rule.protocol !== 'udp') return false;
  return rule.from_port <= port && port <= rule.to_port;
}

const publicCache = new Map<string, boolean>();

function isPublic(cidr: string): boolean {
  let known = publicCache.get(cidr);
  if (known === undefined) {
    known = reachesPublic(cidr);
    if (publicCache.size > 50_000) publicCache.clear();
    publicCache.set(cidr, known);
  }
  return known;
}

function sourceFacts(source: RuleView['source'], privatePrefixLists: ReadonlySet<string>): SourceFacts {
  switch (source.kind) {
    case 'security_group':
    case 'self':
      return new SourceFacts(source.kind, source.value, false, false, -1n);
    case 'prefix_list':
      return new SourceFacts('prefix_list', source.value, !privatePrefixLists.has(source.value), false, -1n);
    case 'cidr':
      try {
        const prefix = BigInt(source.value.split('/')[1] ?? '-1');
        return new SourceFacts('cidr', source.value, isPublic(source.value), ipVersion(source.value) === 6, prefix);
      } catch {
        // Not a CIDR AWS would accept: an unknown source, below.
      }
  }
  return new SourceFacts('unknown', source.value, true, false, -1n);
}

/**
 * The facts of one rule. `privatePrefixLists`: the prefix-list ids the policy files name
 * as private (PolicySet.privatePrefixLists); every other prefix list is public.
 */
export function ruleFacts(rule: RuleView, action: string, resource: string, privatePrefixLists: ReadonlySet<string>): RuleFacts {
  const protocol = rule.protocol ?? '';
  const all = protocol === ALL_PROTOCOLS;
  const port = (value: number | null): bigint => (value === null ? -1n : BigInt(value));
  return new RuleFacts(
    rule.direction,
    protocol,
    all,
    all ? 0n : port(rule.fromPort),
    all ? 65535n : port(rule.toPort),
    sourceFacts(rule.source, privatePrefixLists),
    rule.description,
    rule.securityGroup ?? '',
    action,
    resource,
    rule.unknown,
  );
}
