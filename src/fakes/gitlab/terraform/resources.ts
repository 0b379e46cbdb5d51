/**
 * What terraform/main.tf declares, evaluated the way Terraform would for the fake: one
 * aws_security_group per groups.json key and one aws_vpc_security_group_ingress_rule per
 * rule file, with the provider's attribute names (contracts.md §1). Computed attributes
 * (ids, arns) come from the state once the resource exists.
 */
import type { RuleFile } from '../../../domain/rule.ts';
import type { TfState } from './state-store.ts';

export const AWS_PROVIDER = 'registry.terraform.io/hashicorp/aws';
export const GROUP_TYPE = 'aws_security_group';
export const RULE_TYPE = 'aws_vpc_security_group_ingress_rule';
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
}

/** A resource instance of the configuration or the state, by address. */
export interface Instance {
  address: string;
  type: typeof GROUP_TYPE | typeof RULE_TYPE;
  name: 'group' | 'rule';
  key: string;
  attrs: Attrs;
}

export const groupAddress = (key: string) => `${GROUP_TYPE}.group[${JSON.stringify(key)}]`;
export const ruleAddress = (id: string) => `${RULE_TYPE}.rule[${JSON.stringify(id)}]`;

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

export function ruleConfigAttrs(rule: RuleFile, settings: TerraformSettings): Attrs {
  const allProtocols = rule.protocol === '-1';
  const ipv6 = rule.cidr.includes(':');
  const tags = {
    Name: rule.id,
    'portcullis:request': rule.id,
    'portcullis:group': rule.group,
    'portcullis:requester': rule.requester,
    'portcullis:ticket': rule.ticket ?? '',
    'portcullis:expires_at': rule.expires_at ?? '',
  };
  return {
    cidr_ipv4: ipv6 ? null : rule.cidr,
    cidr_ipv6: ipv6 ? rule.cidr : null,
    description: rule.description,
    from_port: allProtocols ? null : rule.from_port,
    ip_protocol: rule.protocol,
    prefix_list_id: null,
    referenced_security_group_id: null,
    tags: sortKeys(tags),
    tags_all: sortKeys({ ...settings.defaultTags, ...tags }),
    to_port: allProtocols ? null : rule.to_port,
  };
}

/** Attributes the provider computes at apply time; unknown in the plan of a new resource. */
export const COMPUTED: Record<Instance['type'], string[]> = {
  [GROUP_TYPE]: ['arn', 'egress', 'id', 'ingress', 'name_prefix', 'owner_id'],
  [RULE_TYPE]: ['arn', 'id', 'security_group_rule_id'],
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
    if (!(resource.type === GROUP_TYPE && resource.name === 'group') && !(resource.type === RULE_TYPE && resource.name === 'rule')) continue;
    for (const instance of resource.instances) {
      const key = String(instance.index_key);
      const type = resource.type as Instance['type'];
      out.push({ address: type === GROUP_TYPE ? groupAddress(key) : ruleAddress(key), type, name: resource.name, key, attrs: instance.attributes });
    }
  }
  return out;
}

/** Terraform writes map and object keys in lexical order. */
export function sortKeys<T>(attrs: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(attrs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
