/**
 * Every way an AWS security-group rule appears in a Terraform plan, read into one shape.
 *
 * - aws_vpc_security_group_ingress_rule / _egress_rule: one rule per resource;
 * - aws_security_group_rule: one rule per source (cidr_blocks, ipv6_cidr_blocks,
 *   prefix_list_ids, source_security_group_id, self);
 * - aws_security_group with inline ingress/egress blocks: the blocks are sets, so an
 *   update is read as the rules added and the rules removed.
 *
 * A value Terraform will only know after apply (after_unknown) is recorded in
 * `unknown` by the name policy uses, so policy can refuse what it cannot verify.
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

  if (rc.type === 'aws_security_group') {
    // A group that writes no inline blocks has them computed (unknown) until apply: its
    // rules are separate resources, judged on their own.
    const computed = (block: string) => unknown[block] === true && blockConfigured(configuration, rc.address, block) === false;
    const flags = { ...unknown, ...(computed('ingress') ? { ingress: [] } : {}), ...(computed('egress') ? { egress: [] } : {}) };
    return inlineChanges(base, action, before, after, flags);
  }

  const read = rc.type === 'aws_security_group_rule' ? legacyRuleViews : vpcRuleView(rc.type);
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
    const unknownFields: UnknownField[] = [];
    let source: RuleView['source'] = { kind: 'unknown', value: '' };
    if (sourceKeys.some(([key]) => isUnknown(unknown, key))) unknownFields.push('source');
    else {
      for (const [key, kind] of sourceKeys) {
        const value = asString(attrs[key]);
        if (value !== null) {
          source = { kind, value: kind === 'cidr' ? (normalizeCidrStrict(value) ?? value) : value };
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
        source,
        description: attrs.description,
        securityGroup: groupOf(attrs, unknown, 'security_group_id'),
        requestId: asString(tags['portcullis:request']),
        unknown: unknownFields,
        unknownFlags: unknown,
        protocolKey: 'ip_protocol',
      }),
    ];
  };
}

function legacyRuleViews(attrs: Obj, unknown: Obj): RuleView[] {
  const direction: Direction = attrs.type === 'egress' ? 'egress' : 'ingress';
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
  return sourcesOf(attrs, unknown, 'source_security_group_id').map((s) =>
    finish({ ...common, source: s.source, unknown: s.unknown }),
  );
}

/** One entry per source an old-style rule or an inline block lists. */
function sourcesOf(attrs: Obj, unknown: Obj, groupKey: string): Array<{ source: RuleView['source']; unknown: UnknownField[] }> {
  const listKeys = ['cidr_blocks', 'ipv6_cidr_blocks', 'prefix_list_ids', groupKey];
  if (listKeys.some((key) => isUnknown(unknown, key) || asArray(unknown[key]).includes(true))) {
    return [{ source: { kind: 'unknown', value: '' }, unknown: ['source'] }];
  }
  const out: Array<{ source: RuleView['source']; unknown: UnknownField[] }> = [];
  for (const cidr of [...asArray(attrs.cidr_blocks), ...asArray(attrs.ipv6_cidr_blocks)]) {
    if (typeof cidr === 'string') out.push({ source: { kind: 'cidr', value: normalizeCidrStrict(cidr) ?? cidr }, unknown: [] });
  }
  for (const id of asArray(attrs.prefix_list_ids)) {
    if (typeof id === 'string') out.push({ source: { kind: 'prefix_list', value: id }, unknown: [] });
  }
  // Inline blocks list groups in `security_groups`; aws_security_group_rule names one.
  for (const id of [...asArray(attrs.security_groups), attrs.source_security_group_id]) {
    if (typeof id === 'string' && id !== '') out.push({ source: { kind: 'security_group', value: id }, unknown: [] });
  }
  if (attrs.self === true) out.push({ source: { kind: 'self', value: 'self' }, unknown: [] });
  return out;
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
        return sourcesOf(b, f, 'security_groups').map((s) =>
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
