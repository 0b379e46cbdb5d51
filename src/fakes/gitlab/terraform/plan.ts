/**
 * A fake `terraform plan` + `terraform show -json`: the configuration (groups.json and
 * the rule files) against the state, as a plan in Terraform's JSON format
 * (format_version 1.2): resource_changes with create / update / delete / no-op /
 * replace, unknown computed values in after_unknown, planned values and outputs.
 * Like Terraform, it does not refresh here: drift in AWS is not looked at.
 */
import type { RuleFile } from '../../../domain/rule.ts';
import type { Ec2Driver } from '../../aws/index.ts';
import type { ImportBlock } from './config-files.ts';
import { readExistingGroup, readImportedRule } from './read-live.ts';
import {
  AWS_PROVIDER,
  COMPUTED,
  EGRESS_TYPE,
  GROUP_SCHEMA_VERSION,
  GROUP_TYPE,
  INGRESS_TYPE,
  RULE_SCHEMA_VERSION,
  addressOf,
  existingGroupAddress,
  groupAddress,
  groupConfigAttrs,
  isRuleType,
  ruleAddress,
  ruleConfigAttrs,
  ruleTypeOf,
  sortKeys,
  stateInstances,
  type Attrs,
  type GroupConfig,
  type Instance,
  type TerraformSettings,
} from './resources.ts';
import type { TfState } from './state-store.ts';

export type Action = 'create' | 'update' | 'delete' | 'no-op';

export interface ResourceChange {
  address: string;
  mode: 'managed';
  type: Instance['type'];
  name: Instance['name'];
  index: string;
  provider_name: string;
  change: {
    actions: Action[];
    before: Attrs | null;
    after: Attrs | null;
    after_unknown: Attrs;
    before_sensitive: Attrs | false;
    after_sensitive: Attrs | false;
    replace_paths?: string[][];
    /** Set when an import block brings the resource under management (Terraform 1.5+). */
    importing?: { id: string };
  };
  action_reason?: string;
}

export interface TerraformPlan {
  format_version: '1.2';
  terraform_version: string;
  variables: Record<string, { value: unknown }>;
  planned_values: { outputs: Record<string, unknown>; root_module: { resources: unknown[] } };
  resource_changes: ResourceChange[];
  output_changes: Record<string, unknown>;
  prior_state?: unknown;
  configuration: unknown;
  relevant_attributes: unknown[];
  timestamp: string;
  applyable: boolean;
  complete: boolean;
  errored: boolean;
}

export interface PlanInput {
  groups: Record<string, GroupConfig>;
  rules: RuleFile[];
  /** The configuration's import blocks. */
  imports?: ImportBlock[];
  state: TfState | undefined;
  settings: TerraformSettings;
  /** What the data sources and imports read; without it, a configuration needing one fails. */
  ec2?: Ec2Driver;
}

export { PlanError } from './plan-error.ts';
import { PlanError } from './plan-error.ts';

/** Attributes whose change makes Terraform replace the resource instead of updating it. */
const FORCE_NEW: Record<Instance['type'], string[]> = {
  [GROUP_TYPE]: ['description', 'name', 'vpc_id'],
  [INGRESS_TYPE]: ['security_group_id'],
  [EGRESS_TYPE]: ['security_group_id'],
};

export function computePlan({ groups, rules, imports = [], state, settings, ec2 }: PlanInput): TerraformPlan {
  for (const rule of rules) {
    if (!(rule.group in groups)) {
      throw new PlanError(
        `Resource precondition failed: terraform/rules/${rule.id}.json names the group "${rule.group}", which terraform/groups.json does not declare.`,
      );
    }
    const peer = rule.peer_group;
    if (peer !== undefined && !(peer in groups) && !/^sg-[0-9a-f]{8}(?:[0-9a-f]{9})?$/.test(peer)) {
      throw new PlanError(`Resource precondition failed: terraform/rules/${rule.id}.json: peer_group must be a key of terraform/groups.json or a security group id.`);
    }
  }
  const prior = new Map(stateInstances(state).map((i) => [i.address, i]));
  const changes: ResourceChange[] = [];
  const groupIds = new Map<string, string | null>();
  const dataGroups = new Map<string, Attrs>();

  // Groups made elsewhere are data sources: read now, never created or destroyed.
  for (const [key, group] of Object.entries(groups)) {
    if (!group.existing) continue;
    const attrs = readExistingGroup(ec2, key, group.existing, settings);
    dataGroups.set(key, attrs);
    groupIds.set(key, String(attrs.id));
  }
  const created = Object.fromEntries(Object.entries(groups).filter(([, g]) => !g.existing));
  for (const key of union(Object.keys(created), [...prior.values()].filter((i) => i.type === GROUP_TYPE).map((i) => i.key))) {
    const config = created[key] ? groupConfigAttrs(key, created[key], settings) : null;
    const change = diff(GROUP_TYPE, key, config, prior.get(groupAddress(key)));
    changes.push(change);
    const known = change.change.actions.includes('create') ? null : (prior.get(groupAddress(key))?.attrs.id as string);
    if (config) groupIds.set(key, known);
  }

  const importing = importsByAddress(imports, rules, prior);
  const ruleInstances = [...prior.values()].filter((i) => isRuleType(i.type));
  const addresses = union(rules.map((r) => ruleAddress(r.id, ruleTypeOf(r.direction))), ruleInstances.map((i) => i.address));
  for (const address of addresses) {
    const rule = rules.find((r) => ruleAddress(r.id, ruleTypeOf(r.direction)) === address);
    const existing = prior.get(address);
    const type = rule ? ruleTypeOf(rule.direction) : (existing!.type as typeof INGRESS_TYPE);
    const key = rule?.id ?? existing!.key;
    const config = rule ? ruleConfigAttrs(rule, settings, groupIds) : null;
    const importId = importing.get(address);
    if (importId !== undefined && config) {
      const imported = readImportedRule(ec2, importId, type, settings);
      const change = diff(type, key, config, { address, type, name: 'rule', key, attrs: imported });
      changes.push({ ...change, change: { ...change.change, importing: { id: importId } } });
      continue;
    }
    changes.push(diff(type, key, config, existing));
  }
  changes.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));

  const outputChanges = outputs(changes, state);
  return {
    format_version: '1.2',
    terraform_version: settings.terraformVersion,
    variables: {
      aws_region: { value: settings.region },
      default_tags: { value: {} },
      demo_front_instance: { value: false },
      front_ami_id: { value: null },
      front_instance_type: { value: 't3.micro' },
      front_subnet_id: { value: null },
      vpc_id: { value: settings.vpcId },
    },
    planned_values: plannedValues(changes, outputChanges),
    resource_changes: changes,
    output_changes: outputChanges,
    ...(state || dataGroups.size > 0 ? { prior_state: priorState(state, dataGroups, settings) } : {}),
    configuration: configuration(),
    relevant_attributes: [],
    timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    applyable: changes.some((c) => !c.change.actions.includes('no-op') || c.change.importing !== undefined),
    complete: true,
    errored: false,
  };
}

/**
 * The import blocks that still import something, by target address: a target the
 * configuration does not declare is an error (as Terraform's "Configuration for import
 * target does not exist"), one already in the state is done and ignored.
 */
function importsByAddress(imports: ImportBlock[], rules: RuleFile[], prior: Map<string, Instance>): Map<string, string> {
  const declared = new Set(rules.map((r) => ruleAddress(r.id, ruleTypeOf(r.direction))));
  const out = new Map<string, string>();
  for (const block of imports) {
    if (!declared.has(block.to)) {
      throw new PlanError(`Configuration for import target does not exist\n\nThe configuration for the given import target ${block.to} does not exist. All target instances must have an associated configuration to be imported. (${block.file})`);
    }
    if (out.has(block.to)) throw new PlanError(`Duplicate import configuration for "${block.to}" (${block.file})`);
    if (!prior.has(block.to)) out.set(block.to, block.id);
  }
  return out;
}

function diff(type: Instance['type'], key: string, config: Attrs | null, prior: Instance | undefined): ResourceChange {
  const base = {
    address: addressOf(type, key),
    mode: 'managed' as const,
    type,
    name: type === GROUP_TYPE ? ('group' as const) : ('rule' as const),
    index: key,
    provider_name: AWS_PROVIDER,
  };
  if (!config) {
    return { ...base, change: change(['delete'], prior!.attrs, null, {}), action_reason: 'delete_because_each_key' };
  }
  // A rule of a group that does not exist yet gets the group id only at apply time, and
  // so does a peer group created by the same plan.
  const late = isRuleType(type) ? ['security_group_id', 'referenced_security_group_id'].filter((k) => !(k in config)) : [];
  const unknown = [...COMPUTED[type], ...late];
  if (!prior) {
    return { ...base, change: change(['create'], null, sortKeys(config), unknownFlags(config, unknown)) };
  }
  const changed = Object.keys(config).filter((k) => JSON.stringify(config[k]) !== JSON.stringify(prior.attrs[k]));
  changed.push(...late);
  if (changed.length === 0) return { ...base, change: change(['no-op'], prior.attrs, prior.attrs, unknownFlags(prior.attrs, [])) };
  const forceNew = changed.filter((k) => FORCE_NEW[type].includes(k));
  if (forceNew.length > 0) {
    const after = sortKeys(config);
    return {
      ...base,
      change: { ...change(['delete', 'create'], prior.attrs, after, unknownFlags(after, unknown)), replace_paths: forceNew.map((k) => [k]) },
      action_reason: 'replace_because_cannot_update',
    };
  }
  const after = sortKeys({ ...prior.attrs, ...config });
  return { ...base, change: change(['update'], prior.attrs, after, unknownFlags(after, [])) };
}

function change(actions: Action[], before: Attrs | null, after: Attrs | null, afterUnknown: Attrs): ResourceChange['change'] {
  return {
    actions,
    before,
    after,
    after_unknown: afterUnknown,
    before_sensitive: before ? sensitiveShape(before) : false,
    after_sensitive: after ? sensitiveShape(after) : false,
  };
}

/** after_unknown: `true` for each unknown attribute, empty containers for known ones. */
function unknownFlags(after: Attrs, unknown: string[]): Attrs {
  return sortKeys({ ...sensitiveShape(after), ...Object.fromEntries(unknown.map((k) => [k, true])) });
}

/** Terraform's sensitivity mirror: containers only, with no sensitive leaves here. */
function sensitiveShape(attrs: Attrs): Attrs {
  const out: Attrs = {};
  for (const [key, value] of Object.entries(attrs)) {
    if (Array.isArray(value)) out[key] = [];
    else if (value !== null && typeof value === 'object') out[key] = {};
  }
  return out;
}

function outputs(changes: ResourceChange[], state: TfState | undefined): Record<string, unknown> {
  const map = (types: readonly Instance['type'][], attr: string) => {
    const after: Attrs = {};
    const unknown: Attrs = {};
    for (const c of changes) {
      if (!types.includes(c.type) || !c.change.after) continue;
      if (c.change.after[attr] === undefined) unknown[c.index] = true;
      else after[c.index] = c.change.after[attr];
    }
    return { after, unknown };
  };
  const result: Record<string, unknown> = {};
  for (const [name, type, attr] of [
    ['rule_ids', [INGRESS_TYPE, EGRESS_TYPE], 'security_group_rule_id'],
    ['security_group_ids', [GROUP_TYPE], 'id'],
  ] as const) {
    const { after, unknown } = map(type, attr);
    const before = state?.outputs[name]?.value ?? null;
    const same = Object.keys(unknown).length === 0 && JSON.stringify(before) === JSON.stringify(after);
    result[name] = {
      actions: same ? ['no-op'] : before === null ? ['create'] : ['update'],
      before,
      after,
      after_unknown: Object.keys(unknown).length > 0 ? unknown : false,
      before_sensitive: false,
      after_sensitive: false,
    };
  }
  return result;
}

function plannedValues(changes: ResourceChange[], outputChanges: Record<string, unknown>) {
  const outputs: Record<string, unknown> = {};
  for (const [name, c] of Object.entries(outputChanges) as Array<[string, { after: unknown; after_unknown: unknown }]>) {
    outputs[name] = c.after_unknown === false ? { sensitive: false, value: c.after } : { sensitive: false };
  }
  const resources = changes
    .filter((c) => c.change.after !== null)
    .map((c) => ({
      address: c.address,
      mode: c.mode,
      type: c.type,
      name: c.name,
      index: c.index,
      provider_name: c.provider_name,
      schema_version: c.type === GROUP_TYPE ? GROUP_SCHEMA_VERSION : RULE_SCHEMA_VERSION,
      values: c.change.after,
      sensitive_values: c.change.after_sensitive,
    }));
  return { outputs, root_module: { resources } };
}

function priorState(state: TfState | undefined, dataGroups: Map<string, Attrs>, settings: TerraformSettings) {
  const data = [...dataGroups].map(([key, attrs]) => ({
    address: existingGroupAddress(key),
    mode: 'data',
    type: GROUP_TYPE,
    name: 'existing',
    index: key,
    provider_name: AWS_PROVIDER,
    schema_version: 0,
    values: attrs,
    sensitive_values: sensitiveShape(attrs),
  }));
  const managed = stateInstances(state).map((i) => ({
    address: i.address,
    mode: 'managed',
    type: i.type,
    name: i.name,
    index: i.key,
    provider_name: AWS_PROVIDER,
    schema_version: i.type === GROUP_TYPE ? GROUP_SCHEMA_VERSION : RULE_SCHEMA_VERSION,
    values: i.attrs,
    sensitive_values: sensitiveShape(i.attrs),
  }));
  const outputs = Object.fromEntries(Object.entries(state?.outputs ?? {}).map(([k, o]) => [k, { sensitive: false, value: o.value, type: o.type }]));
  return { format_version: '1.0', terraform_version: settings.terraformVersion, values: { outputs, root_module: { resources: [...managed, ...data] } } };
}

/**
 * The configuration block, reduced to what names the resources, their for_each and the
 * arguments main.tf writes (the group writes no inline ingress/egress: its rules are
 * separate resources, which is how the engine tells computed blocks from unknown ones).
 */
function configuration() {
  const refs = (...references: string[]) => ({ references });
  const resource = (type: string, name: string, forEach: string, schemaVersion: number, expressions: Record<string, unknown>) => ({
    address: `${type}.${name}`,
    mode: 'managed',
    type,
    name,
    provider_config_key: 'aws',
    expressions,
    schema_version: schemaVersion,
    for_each_expression: refs(forEach),
  });
  const each = (key: string) => refs(`each.value.${key}`, 'each.value');
  return {
    provider_config: { aws: { name: 'aws', full_name: AWS_PROVIDER, version_constraint: '~> 6.0' } },
    root_module: {
      resources: [
        resource(GROUP_TYPE, 'group', 'local.created_groups', GROUP_SCHEMA_VERSION, {
          name: refs('each.key'),
          description: each('description'),
          vpc_id: refs('data.aws_vpc.selected.id', 'data.aws_vpc.selected'),
          tags: refs('each.key'),
        }),
        ...[
          [INGRESS_TYPE, 'local.ingress_rules'],
          [EGRESS_TYPE, 'local.egress_rules'],
        ].map(([type, forEach]) =>
          resource(type!, 'rule', forEach!, RULE_SCHEMA_VERSION, {
            security_group_id: refs('local.group_ids', 'each.value.group'),
            ip_protocol: each('protocol'),
            from_port: each('from_port'),
            to_port: each('to_port'),
            cidr_ipv4: each('cidr'),
            cidr_ipv6: each('cidr'),
            referenced_security_group_id: refs('each.value.peer_group', 'each.value', 'local.group_ids'),
            prefix_list_id: each('prefix_list'),
            description: each('description'),
            tags: refs('each.key', 'each.value.group', 'each.value.requester'),
          }),
        ),
      ],
    },
  };
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])];
}
