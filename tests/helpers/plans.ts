/**
 * Builders for `terraform show -json` plans, written from Terraform's JSON output format
 * (resource_changes with change.actions / before / after / after_unknown) and the AWS
 * provider's attribute names, so each test states only what it is about.
 */
type Attrs = Record<string, unknown>;

export interface ResourceChangeJson {
  address: string;
  mode: 'managed' | 'data';
  type: string;
  name: string;
  module_address?: string;
  index?: string | number;
  change: { actions: string[]; before: Attrs | null; after: Attrs | null; after_unknown: Attrs };
}

export function plan(resourceChanges: ResourceChangeJson[], formatVersion = '1.2', configuration?: unknown): Record<string, unknown> {
  return { format_version: formatVersion, terraform_version: '1.9.8', resource_changes: resourceChanges, ...(configuration ? { configuration } : {}) };
}

/** A plan's `configuration` section declaring resources (by module-relative address) with the given expression keys. */
export function configuration(resources: Record<string, string[]>, modules: Record<string, Record<string, string[]>> = {}): unknown {
  const section = (rs: Record<string, string[]>) =>
    Object.entries(rs).map(([address, keys]) => ({
      address,
      mode: 'managed',
      type: address.split('.')[0],
      name: address.split('.')[1],
      expressions: Object.fromEntries(keys.map((k) => [k, { constant_value: null }])),
    }));
  return {
    root_module: {
      resources: section(resources),
      module_calls: Object.fromEntries(Object.entries(modules).map(([name, rs]) => [name, { source: `./${name}`, module: { resources: section(rs) } }])),
    },
  };
}

export type Action = 'create' | 'update' | 'delete' | 'replace' | 'no-op';

const ACTIONS: Record<Action, string[]> = {
  create: ['create'],
  update: ['update'],
  delete: ['delete'],
  replace: ['delete', 'create'],
  'no-op': ['no-op'],
};

function resource(type: string, address: string, action: Action, before: Attrs | null, after: Attrs | null, afterUnknown: Attrs = {}): ResourceChangeJson {
  const name = address.replace(/\[.*$/, '').split('.').at(-1)!;
  const moduleAddress = address.startsWith('module.') ? address.split('.').slice(0, 2).join('.') : undefined;
  return {
    address,
    mode: 'managed',
    type,
    name,
    ...(moduleAddress ? { module_address: moduleAddress } : {}),
    change: {
      actions: ACTIONS[action],
      before: action === 'create' ? null : before,
      after: action === 'delete' ? null : after,
      after_unknown: afterUnknown,
    },
  };
}

export interface VpcRuleOptions {
  address?: string;
  action?: Action;
  egress?: boolean;
  protocol?: string;
  from?: number | null;
  to?: number | null;
  cidr?: string;
  /** A managed prefix list as the source (prefix_list_id) instead of the CIDR. */
  prefixList?: string;
  /** A security group as the source (referenced_security_group_id) instead of the CIDR. */
  sourceGroup?: string;
  description?: string;
  group?: string;
  request?: string;
  unknown?: Attrs;
  before?: Partial<VpcRuleOptions>;
}

function vpcAttrs(o: VpcRuleOptions): Attrs {
  const cidr = o.prefixList !== undefined || o.sourceGroup !== undefined ? '' : (o.cidr ?? '203.0.113.0/24');
  const tags = o.request ? { Name: o.request, 'portcullis:request': o.request, 'portcullis:group': o.group ?? 'sg-front' } : {};
  return {
    arn: null,
    cidr_ipv4: cidr === '' || cidr.includes(':') ? null : cidr,
    cidr_ipv6: cidr.includes(':') ? cidr : null,
    description: o.description ?? 'partner API',
    from_port: o.from === undefined ? 443 : o.from,
    to_port: o.to === undefined ? 443 : o.to,
    ip_protocol: o.protocol ?? 'tcp',
    id: null,
    prefix_list_id: o.prefixList ?? null,
    referenced_security_group_id: o.sourceGroup ?? null,
    security_group_id: 'sg-0123456789abcdef0',
    security_group_rule_id: null,
    tags,
    tags_all: tags,
  };
}

/** aws_vpc_security_group_ingress_rule (or _egress_rule with `egress: true`). */
export function vpcRule(o: VpcRuleOptions = {}): ResourceChangeJson {
  const type = o.egress ? 'aws_vpc_security_group_egress_rule' : 'aws_vpc_security_group_ingress_rule';
  const address = o.address ?? `${type}.rule["${o.request ?? 'r1'}"]`;
  const after = vpcAttrs(o);
  const before = vpcAttrs({ ...o, ...o.before });
  return resource(type, address, o.action ?? 'create', before, after, o.unknown ?? { arn: true, id: true, security_group_rule_id: true });
}

export interface LegacyRuleOptions {
  address?: string;
  action?: Action;
  type?: 'ingress' | 'egress';
  protocol?: string;
  from?: number;
  to?: number;
  cidrs?: string[];
  ipv6?: string[];
  prefixLists?: string[];
  sourceGroup?: string | null;
  self?: boolean;
  description?: string | null;
  unknown?: Attrs;
}

/**
 * aws_security_group_rule. Real plans also flag `source_security_group_id` (computed by
 * the provider) in after_unknown on every new rule: see computedSourceGroup.
 */
export function legacyRule(o: LegacyRuleOptions = {}): ResourceChangeJson {
  const attrs = {
    type: o.type ?? 'ingress',
    protocol: o.protocol ?? 'tcp',
    from_port: o.from ?? 443,
    to_port: o.to ?? 443,
    cidr_blocks: o.cidrs ?? ['203.0.113.0/24'],
    ipv6_cidr_blocks: o.ipv6 ?? [],
    prefix_list_ids: o.prefixLists ?? [],
    self: o.self ?? false,
    source_security_group_id: o.sourceGroup ?? null,
    description: o.description === undefined ? 'partner API' : o.description,
    security_group_id: 'sg-0123456789abcdef0',
  };
  return resource('aws_security_group_rule', o.address ?? 'aws_security_group_rule.r', o.action ?? 'create', attrs, attrs, o.unknown ?? { id: true });
}

/** after_unknown of a new aws_security_group_rule as the AWS provider plans it: the source group id computed. */
export const computedSourceGroup = { id: true, security_group_rule_id: true, source_security_group_id: true } as const;

export interface InlineBlock {
  protocol?: string;
  from?: number;
  to?: number;
  cidrs?: string[];
  ipv6?: string[];
  prefixLists?: string[];
  groups?: string[];
  description?: string;
}

export function block(b: InlineBlock = {}): Attrs {
  return {
    cidr_blocks: b.cidrs ?? [],
    ipv6_cidr_blocks: b.ipv6 ?? [],
    prefix_list_ids: b.prefixLists ?? [],
    security_groups: b.groups ?? [],
    self: false,
    protocol: b.protocol ?? 'tcp',
    from_port: b.from ?? 443,
    to_port: b.to ?? 443,
    description: b.description ?? 'web',
  };
}

/** aws_security_group with inline ingress/egress blocks. */
export function inlineGroup(o: { address?: string; action?: Action; before?: { ingress?: Attrs[]; egress?: Attrs[] }; after?: { ingress?: Attrs[]; egress?: Attrs[] }; unknown?: Attrs }): ResourceChangeJson {
  const attrs = (s: { ingress?: Attrs[]; egress?: Attrs[] } = {}) => ({
    id: 'sg-0fedcba9876543210',
    name: 'web',
    description: 'web tier',
    ingress: s.ingress ?? [],
    egress: s.egress ?? [],
    tags: {},
  });
  return resource('aws_security_group', o.address ?? 'aws_security_group.web', o.action ?? 'update', attrs(o.before), attrs(o.after), o.unknown ?? {});
}

/** Any other resource: an instance. */
export function instance(action: Action = 'update'): ResourceChangeJson {
  return resource('aws_instance', 'aws_instance.front', action, { instance_type: 't3.micro' }, { instance_type: 't3.small' });
}
