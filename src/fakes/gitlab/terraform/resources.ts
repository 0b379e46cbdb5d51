/**
 * What terraform/main.tf declares, evaluated the way Terraform would for the fake: one
 * aws_security_group per groups.json key Portcullis creates (a group with `id` or
 * `lookup` is a data source, read, never a resource), and one
 * aws_vpc_security_group_ingress_rule or _egress_rule per rule file, with the provider's
 * attribute names (contracts.md §1). Computed attributes (ids, arns) come from the state
 * once the resource exists. (main.tf's all_outbound egress rules and the demo instance
 * are not modelled: the fake EC2 gives new groups no default egress to put back.)
 */
import type { ExistingGroup } from '../../../domain/groups.ts';
import { GROUP_ID_PATTERN, rulePeer, type RuleFile } from '../../../domain/rule.ts';
import type { TfState } from './state-store.ts';

export const AWS_PROVIDER = 'registry.terraform.io/hashicorp/aws';
export const GROUP_TYPE = 'aws_security_group';
export const INGRESS_TYPE = 'aws_vpc_security_group_ingress_rule';
export const EGRESS_TYPE = 'aws_vpc_security_group_egress_rule';
export type RuleType = typeof INGRESS_TYPE | typeof EGRESS_TYPE;
export const RULE_TYPES: readonly RuleType[] = [INGRESS_TYPE, EGRESS_TYPE];
export const isRuleType = (type: string): type is RuleType => type === INGRESS_TYPE || type === EGRESS_TYPE;
export const ruleTypeOf = (direction: string): RuleType => (direction === 'egress' ? EGRESS_TYPE : INGRESS_TYPE);
export const GROUP_SCHEMA_VERSION = 1;
export const RULE_SCHEMA_VERSION = 0;

export type Attrs = Record<string, unknown>;

export interface TerraformSettings {
  region: string;
  accountId: string;
  vpcId: string;
  /** The provider's default_tags, merged into every tags_all. */
  defaultTags: Record<string, string>;
  terraformVersion: string;
}

export interface GroupConfig {
  description: string;
  /** A group made elsewhere: looked up (data "aws_security_group" "existing"), never created. */
  existing?: ExistingGroup;
}

/** A resource instance of the configuration or the state, by address. */
export interface Instance {
  address: string;
  type: typeof GROUP_TYPE | RuleType;
  name: 'group' | 'rule';
  key: string;
  attrs: Attrs;
}

export const groupAddress = (key: string) => `${GROUP_TYPE}.group[${JSON.stringify(key)}]`;
export const existingGroupAddress = (key: string) => `data.${GROUP_TYPE}.existing[${JSON.stringify(key)}]`;
export const ruleAddress = (id: string, type: RuleType = INGRESS_TYPE) => `${type}.rule[${JSON.stringify(id)}]`;
export const addressOf = (type: Instance['type'], key: string) => (type === GROUP_TYPE ? groupAddress(key) : ruleAddress(key, type));

/** Attributes Terraform knows from the configuration alone. */
export function groupConfigAttrs(key: string, group: GroupConfig, settings: TerraformSettings): Attrs {
  const tags = { Name: key, 'portcullis:group': key };
  return {
    description: group.description,
    name: key,
    revoke_rules_on_delete: false,
    tags: sortKeys(tags),
    tags_all: sortKeys({ ...settings.defaultTags, ...tags }),
    timeouts: null,
    vpc_id: settings.vpcId,
  };
}

/**
 * A rule's attributes as main.tf writes them. `groupIds`: the id of each group key known
 * at plan time; a peer_group key whose group does not exist yet is left out (unknown
 * until apply), as is the rule's own group id then.
 */
export function ruleConfigAttrs(rule: RuleFile, settings: TerraformSettings, groupIds: ReadonlyMap<string, string | null> = new Map()): Attrs {
  const allProtocols = rule.protocol === '-1';
  const peer = rulePeer(rule);
  const cidr = peer.kind === 'cidr' ? peer.value : null;
  const ipv6 = cidr !== null && cidr.includes(':');
  const referenced = peer.kind !== 'security_group' ? null : GROUP_ID_PATTERN.test(peer.value) && !groupIds.has(peer.value) ? peer.value : (groupIds.get(peer.value) ?? undefined);
  const tags = {
    Name: rule.id,
    'portcullis:request': rule.id,
    'portcullis:group': rule.group,
    'portcullis:requester': rule.requester,
    'portcullis:ticket': rule.ticket ?? '',
    'portcullis:expires_at': rule.expires_at ?? '',
  };
  const groupId = groupIds.get(rule.group);
  return {
    cidr_ipv4: ipv6 ? null : cidr,
    cidr_ipv6: ipv6 ? cidr : null,
    description: rule.description === '' ? null : rule.description,
    from_port: allProtocols ? null : rule.from_port,
    ip_protocol: rule.protocol,
    prefix_list_id: peer.kind === 'prefix_list' ? peer.value : null,
    // undefined: unknown until apply (the group is created by this plan).
    ...(referenced !== undefined ? { referenced_security_group_id: referenced } : {}),
    ...(groupId ? { security_group_id: groupId } : {}),
    tags: sortKeys(tags),
    tags_all: sortKeys({ ...settings.defaultTags, ...tags }),
    to_port: allProtocols ? null : rule.to_port,
  };
}

/** Attributes the provider computes at apply time; unknown in the plan of a new resource. */
export const COMPUTED: Record<Instance['type'], string[]> = {
  [GROUP_TYPE]: ['arn', 'egress', 'id', 'ingress', 'name_prefix', 'owner_id'],
  [INGRESS_TYPE]: ['arn', 'id', 'security_group_rule_id'],
  [EGRESS_TYPE]: ['arn', 'id', 'security_group_rule_id'],
};

/** The attributes the state records once the provider has created the resource. */
export function groupStateAttrs(config: Attrs, groupId: string, settings: TerraformSettings): Attrs {
  return sortKeys({
    ...config,
    arn: `arn:aws:ec2:${settings.region}:${settings.accountId}:security-group/${groupId}`,
    egress: [],
    id: groupId,
    ingress: [],
    name_prefix: '',
    owner_id: settings.accountId,
  });
}

export function ruleStateAttrs(config: Attrs, securityGroupId: string, ruleId: string, settings: TerraformSettings): Attrs {
  return sortKeys({
    ...config,
    arn: `arn:aws:ec2:${settings.region}:${settings.accountId}:security-group-rule/${ruleId}`,
    id: ruleId,
    security_group_id: securityGroupId,
    security_group_rule_id: ruleId,
  });
}

/** The managed group and rule instances a state holds. */
export function stateInstances(state: TfState | undefined): Instance[] {
  const out: Instance[] = [];
  for (const resource of state?.resources ?? []) {
    if (resource.mode !== 'managed') continue;
    if (!(resource.type === GROUP_TYPE && resource.name === 'group') && !(isRuleType(resource.type) && resource.name === 'rule')) continue;
    for (const instance of resource.instances) {
      const key = String(instance.index_key);
      const type = resource.type as Instance['type'];
      out.push({ address: addressOf(type, key), type, name: resource.name, key, attrs: instance.attributes });
    }
  }
  return out;
}

/** Terraform writes map and object keys in lexical order. */
export function sortKeys<T>(attrs: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(attrs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
