/**
 * Every way an AWS security-group rule appears in a Terraform plan, read into one shape.
 *
 * - aws_vpc_security_group_ingress_rule / _egress_rule: one rule per resource;
 * - aws_security_group_rule: one rule per source (cidr_blocks, ipv6_cidr_blocks,
 *   prefix_list_ids, source_security_group_id, self);
 * - aws_security_group (and aws_default_security_group, the VPC's default group, same
 *   schema) with inline ingress/egress blocks: the blocks are sets, so an update is read
 *   as the rules added and the rules removed.
 *
 * A value Terraform will only know after apply (after_unknown) is recorded in
 * `unknown` by the name policy uses, so policy can refuse what it cannot verify. A
 * source attribute the provider merely computes is not a source: aws_security_group_rule
 * shows `source_security_group_id` unknown on every new rule from `cidr_blocks` or
 * `self` (see legacyRuleViews). A rule whose source cannot be read at all is judged as
 * having an unknown source, never as having none.
 */
import { normalizeProtocol } from '../domain/protocol.ts';
import { normalizeCidrStrict } from '../domain/cidr.ts';
import type { ResourceAction, ResourceChange } from './plan-json.ts';
import { blockConfigured } from './configuration.ts';

export type Direction = 'ingress' | 'egress';
export type SourceKind = 'cidr' | 'prefix_list' | 'security_group' | 'self' | 'unknown';

export interface RuleView {
  direction: Direction;
  /** Normalised protocol (see domain/protocol.ts); null when unknown at plan time. */
  protocol: string | null;
  fromPort: number | null;
  toPort: number | null;
  source: { kind: SourceKind; value: string };
  description: string;
  /** Group key (portcullis:group tag), else group id or name; null when unknown. */
  securityGroup: string | null;
  /** Request id (portcullis:request tag), when Portcullis made the rule. */
  requestId: string | null;
  /** Fields policy needs whose values are unknown until apply. */
  unknown: UnknownField[];
}

export type UnknownField = 'protocol' | 'from_port' | 'to_port' | 'source' | 'description';

/** What happens to one rule: created, changed in place, replaced, or removed. */
export interface RuleChange {
  resource: string;
  resourceType: string;
  action: ResourceAction;
  /** The rule as it will be; for a delete, the rule as it was. */
  rule: RuleView;
  /** The rule as it was, for an update in place. */
  before?: RuleView;
}

type Obj = Record<string, unknown>;

const asObj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const asString = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const asPort = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : null);
const isUnknown = (unknown: Obj, key: string): boolean => unknown[key] === true;

export const RULE_TYPES = new Set([
  'aws_security_group',
  'aws_default_security_group',
  'aws_security_group_rule',
  'aws_vpc_security_group_ingress_rule',
  'aws_vpc_security_group_egress_rule',
]);

/**
 * The rule changes one resource change makes; empty for anything that is not a rule.
 * `configuration` is the plan's configuration section (see configuration.ts).
 */
export function ruleChangesOf(rc: ResourceChange, action: ResourceAction, configuration: unknown = null): RuleChange[] {
  if (rc.mode === 'data' || !RULE_TYPES.has(rc.type)) return [];
  const before = asObj(rc.change.before);
  const after = asObj(rc.change.after);
  const unknown = asObj(rc.change.after_unknown);
  const base = { resource: rc.address, resourceType: rc.type };

  if (rc.type === 'aws_security_group' || rc.type === 'aws_default_security_group') {
    // A group that writes no inline blocks has them computed (unknown) until apply: its
    // rules are separate resources, judged on their own.
    const computed = (block: string) => unknown[block] === true && blockConfigured(configuration, rc.address, block) === false;
    const flags = { ...unknown, ...(computed('ingress') ? { ingress: [] } : {}), ...(computed('egress') ? { egress: [] } : {}) };
    return inlineChanges(base, action, before, after, flags);
  }

  const read = rc.type === 'aws_security_group_rule'
    ? legacyRuleViews(() => blockConfigured(configuration, rc.address, 'source_security_group_id'))
    : vpcRuleView(rc.type);
  const beforeViews = action === 'create' ? [] : read(before, {});
  const afterViews = action === 'delete' ? [] : read(after, unknown);
  if (action === 'delete') return beforeViews.map((rule) => ({ ...base, action, rule }));
  if (action === 'update' && beforeViews.length === 1 && afterViews.length === 1) {
    return [{ ...base, action, rule: afterViews[0]!, before: beforeViews[0]! }];
  }
  return afterViews.map((rule) => ({ ...base, action, rule }));
}

function groupOf(attrs: Obj, unknown: Obj, idKey: string): string | null {
  const tags = asObj(attrs.tags);
  return asString(tags['portcullis:group']) ?? (isUnknown(unknown, idKey) ? null : asString(attrs[idKey]));
}

function vpcRuleView(type: string) {
  const direction: Direction = type.endsWith('_egress_rule') ? 'egress' : 'ingress';
  return (attrs: Obj, unknown: Obj): RuleView[] => {
    const sourceKeys: Array<[string, SourceKind]> = [
      ['cidr_ipv4', 'cidr'],
      ['cidr_ipv6', 'cidr'],
      ['prefix_list_id', 'prefix_list'],
      ['referenced_security_group_id', 'security_group'],
    ];
    // None of these is computed by the provider: an unknown one is configured, so it is
    // (one of) the rule's source(s). A rule naming no source at all is not judged as safe.
    let entry: SourceEntry = UNKNOWN_SOURCE;
    if (!sourceKeys.some(([key]) => isUnknown(unknown, key))) {
      for (const [key, kind] of sourceKeys) {
        const value = asString(attrs[key]);
        if (value !== null) {
          entry = sourceEntry(kind, value);
          break;
        }
      }
    }
    const tags = asObj(attrs.tags);
    return [
      finish({
        direction,
        protocol: attrs.ip_protocol,
        fromPort: attrs.from_port,
        toPort: attrs.to_port,
        source: entry.source,
        description: attrs.description,
        securityGroup: groupOf(attrs, unknown, 'security_group_id'),
        requestId: asString(tags['portcullis:request']),
        unknown: entry.unknown,
        unknownFlags: unknown,
        protocolKey: 'ip_protocol',
      }),
    ];
  };
}

/**
 * aws_security_group_rule, one view per source. `groupIdConfigured` says whether the
 * configuration writes `source_security_group_id` (null: the plan does not say); asked
 * only when it matters, since it searches the configuration.
 */
function legacyRuleViews(groupIdConfigured: () => boolean | null) {
  return (attrs: Obj, unknown: Obj): RuleView[] => {
    const direction: Direction = attrs.type === 'egress' ? 'egress' : 'ingress';
    const listed = listedSources(attrs, unknown, LIST_SOURCES);
    let unknownSource = listed.unknown;
    if (isUnknown(unknown, 'source_security_group_id')) {
      // The provider computes source_security_group_id (Optional + Computed), so a real
      // plan shows it unknown on every new rule, whatever its source. It is this rule's
      // source only when configured: never beside cidr_blocks, ipv6_cidr_blocks or self
      // (the provider's ConflictsWith), possibly beside prefix_list_ids.
      const conflicting = listed.sources.some((s) => s.source.kind === 'cidr' || s.source.kind === 'self');
      if (!conflicting && groupIdConfigured() !== false) unknownSource = true;
    } else {
      const id = asString(attrs.source_security_group_id);
      if (id !== null) listed.sources.push({ source: { kind: 'security_group', value: id }, unknown: [] });
    }
    const common = {
      direction,
      protocol: attrs.protocol,
      fromPort: attrs.from_port,
      toPort: attrs.to_port,
      description: attrs.description,
      securityGroup: groupOf(attrs, unknown, 'security_group_id'),
      requestId: null,
      unknownFlags: unknown,
      protocolKey: 'protocol',
    };
    return withUnknown(listed.sources, unknownSource).map((s) => finish({ ...common, source: s.source, unknown: s.unknown }));
  };
}

type SourceEntry = { source: RuleView['source']; unknown: UnknownField[] };

const UNKNOWN_SOURCE: SourceEntry = { source: { kind: 'unknown', value: '' }, unknown: ['source'] };

/** The source lists of aws_security_group_rule and of inline blocks (which add `security_groups`). */
const LIST_SOURCES: ReadonlyArray<readonly [string, SourceKind]> = [
  ['cidr_blocks', 'cidr'],
  ['ipv6_cidr_blocks', 'cidr'],
  ['prefix_list_ids', 'prefix_list'],
];
const INLINE_SOURCES: ReadonlyArray<readonly [string, SourceKind]> = [...LIST_SOURCES, ['security_groups', 'security_group']];

/** One known source. A CIDR that does not parse is not a source policy can judge: unknown. */
function sourceEntry(kind: SourceKind, value: string): SourceEntry {
  if (kind !== 'cidr') return { source: { kind, value }, unknown: [] };
  const cidr = normalizeCidrStrict(value);
  return cidr === null ? { source: { kind, value }, unknown: ['source'] } : { source: { kind, value: cidr }, unknown: [] };
}

/**
 * The sources the lists and `self` name, and whether any of them is unknown: a whole
 * list (`cidr_blocks: true` in after_unknown) or one element (`cidr_blocks: [false, true]`,
 * the element null in `after`). Known elements beside an unknown one are still sources.
 */
function listedSources(attrs: Obj, unknown: Obj, lists: ReadonlyArray<readonly [string, SourceKind]>): { sources: SourceEntry[]; unknown: boolean } {
  const sources: SourceEntry[] = [];
  let anyUnknown = false;
  for (const [key, kind] of lists) {
    if (isUnknown(unknown, key)) {
      anyUnknown = true;
      continue;
    }
    const flags = asArray(unknown[key]);
    asArray(attrs[key]).forEach((value, i) => {
      if (flags[i] === true) anyUnknown = true;
      else if (typeof value === 'string' && value !== '') sources.push(sourceEntry(kind, value));
    });
  }
  if (isUnknown(unknown, 'self')) anyUnknown = true;
  else if (attrs.self === true) sources.push({ source: { kind: 'self', value: 'self' }, unknown: [] });
  return { sources, unknown: anyUnknown };
}

/** The known sources, plus one unknown source when any is unknown or none could be read. */
function withUnknown(sources: SourceEntry[], unknownSource: boolean): SourceEntry[] {
  return unknownSource || sources.length === 0 ? [...sources, UNKNOWN_SOURCE] : sources;
}

function inlineChanges(
  base: { resource: string; resourceType: string },
  action: ResourceAction,
  before: Obj,
  after: Obj,
  unknown: Obj,
): RuleChange[] {
  const group = asString(asObj(after.tags)['portcullis:group']) ?? asString(after.name) ?? asString(before.name);
  const viewsOf = (attrs: Obj, flags: Obj): RuleView[] =>
    (['ingress', 'egress'] as const).flatMap((direction) => {
      if (flags[direction] === true) {
        return [finish({ direction, source: { kind: 'unknown', value: '' }, unknown: ['source', 'protocol', 'from_port', 'to_port', 'description'], securityGroup: group, requestId: null, unknownFlags: {}, protocolKey: 'protocol' })];
      }
      const blockFlags = asArray(flags[direction]);
      return asArray(attrs[direction]).flatMap((block, i) => {
        const b = asObj(block);
        const f = asObj(blockFlags[i]);
        const listed = listedSources(b, f, INLINE_SOURCES);
        return withUnknown(listed.sources, listed.unknown).map((s) =>
          finish({
            direction,
            protocol: b.protocol,
            fromPort: b.from_port,
            toPort: b.to_port,
            description: b.description,
            source: s.source,
            unknown: s.unknown,
            securityGroup: group,
            requestId: null,
            unknownFlags: f,
            protocolKey: 'protocol',
          }),
        );
      });
    });

  const beforeViews = action === 'create' ? [] : viewsOf(before, {});
  const afterViews = action === 'delete' ? [] : viewsOf(after, unknown);
  const beforeKeys = new Set(beforeViews.map(ruleKey));
  const afterKeys = new Set(afterViews.map(ruleKey));
  const added = afterViews.filter((v) => !beforeKeys.has(ruleKey(v)));
  const removed = beforeViews.filter((v) => !afterKeys.has(ruleKey(v)));
  return [
    ...removed.map((rule) => ({ ...base, action: 'delete' as const, rule })),
    ...added.map((rule) => ({ ...base, action: 'create' as const, rule })),
  ];
}

/** Identity of a rule inside a set of inline blocks. */
function ruleKey(v: RuleView): string {
  return [v.direction, v.protocol, v.fromPort, v.toPort, v.source.kind, v.source.value, v.description, v.unknown.join(',')].join('|');
}

interface RawView {
  direction: Direction;
  protocol?: unknown;
  fromPort?: unknown;
  toPort?: unknown;
  source: RuleView['source'];
  description?: unknown;
  securityGroup: string | null;
  requestId: string | null;
  unknown: UnknownField[];
  unknownFlags: Obj;
  protocolKey: string;
}

/** Normalises protocol and ports and records which of them are unknown. */
function finish(raw: RawView): RuleView {
  const unknown = new Set(raw.unknown);
  const flag = (key: string, field: UnknownField) => {
    if (isUnknown(raw.unknownFlags, key)) unknown.add(field);
  };
  flag(raw.protocolKey, 'protocol');
  flag('from_port', 'from_port');
  flag('to_port', 'to_port');
  flag('description', 'description');
  const rawProtocol = typeof raw.protocol === 'string' || typeof raw.protocol === 'number' ? raw.protocol : null;
  const protocol = unknown.has('protocol') || rawProtocol === null ? null : (normalizeProtocol(rawProtocol) ?? String(rawProtocol));
  return {
    direction: raw.direction,
    protocol,
    fromPort: unknown.has('from_port') ? null : asPort(raw.fromPort),
    toPort: unknown.has('to_port') ? null : asPort(raw.toPort),
    source: raw.source,
    description: typeof raw.description === 'string' ? raw.description : '',
    securityGroup: raw.securityGroup,
    requestId: raw.requestId,
    unknown: [...unknown],
  };
}
