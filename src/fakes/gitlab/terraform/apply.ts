/**
 * A fake `terraform apply tfplan` against the fake EC2: groups are found by name or
 * created, new rules authorized (ingress or egress, from a CIDR, a group or a prefix
 * list) with their tags, removed rules revoked, rules changed in place (description,
 * tags) modified, replaced ones revoked and authorized again, imported ones taken into
 * the state. Groups made elsewhere are data sources: recorded, never touched. As
 * Terraform does, it records in the state whatever it managed to do, also when a step
 * fails, and then reports the error.
 */
import { randomUUID } from 'node:crypto';
import type { Ec2Driver, RuleInput } from '../../aws/index.ts';
import type { ResourceChange, TerraformPlan } from './plan.ts';
import {
  AWS_PROVIDER,
  EGRESS_TYPE,
  GROUP_SCHEMA_VERSION,
  GROUP_TYPE,
  INGRESS_TYPE,
  RULE_SCHEMA_VERSION,
  groupStateAttrs,
  ruleStateAttrs,
  stateInstances,
  type Attrs,
  type RuleType,
  type TerraformSettings,
} from './resources.ts';
import type { TfState, TfStateResource } from './state-store.ts';

export interface ApplyInput {
  plan: TerraformPlan;
  state: TfState | undefined;
  ec2: Ec2Driver;
  settings: TerraformSettings;
  log(line: string): void;
}

export interface ApplyResult {
  state: TfState;
  /** The first failure, after which nothing else was applied. */
  error?: Error;
}

type Instances = Record<typeof GROUP_TYPE | RuleType, Map<string, Attrs>>;

export function applyPlan({ plan, state, ec2, settings, log }: ApplyInput): ApplyResult {
  const managed: Instances = { [GROUP_TYPE]: new Map(), [INGRESS_TYPE]: new Map(), [EGRESS_TYPE]: new Map() };
  for (const i of stateInstances(state)) managed[i.type].set(i.key, i.attrs);
  const counts = { imported: 0, added: 0, changed: 0, destroyed: 0 };
  let error: Error | undefined;

  // Groups first: rules refer to their ids.
  const ordered = [...plan.resource_changes].sort((a, b) => Number(a.type !== GROUP_TYPE) - Number(b.type !== GROUP_TYPE));
  for (const rc of ordered) {
    const actions = rc.change.actions;
    if (actions.includes('no-op') && !rc.change.importing) continue;
    try {
      if (rc.type === GROUP_TYPE) applyGroup(rc, managed[GROUP_TYPE], ec2, settings, log);
      else applyRule(rc, managed, ec2, settings, log);
    } catch (err) {
      error = new Error(`Error: ${verbOf(rc)} ${rc.address}: ${(err as Error).message}`, { cause: err });
      break;
    }
    if (rc.change.importing) counts.imported += 1;
    if (actions.length === 2) {
      counts.added += 1;
      counts.destroyed += 1;
    } else if (actions[0] === 'create') counts.added += 1;
    else if (actions[0] === 'delete') counts.destroyed += 1;
    else if (actions[0] === 'update') counts.changed += 1;
  }
  const imported = counts.imported > 0 ? `${counts.imported} imported, ` : '';
  if (!error) log(`Apply complete! Resources: ${imported}${counts.added} added, ${counts.changed} changed, ${counts.destroyed} destroyed.`);
  return { state: buildState(state, managed, existingGroupsOf(plan), settings), ...(error ? { error } : {}) };
}

function applyGroup(rc: ResourceChange, groups: Map<string, Attrs>, ec2: Ec2Driver, settings: TerraformSettings, log: (l: string) => void): void {
  const after = rc.change.after;
  if (!after) {
    // The EC2 driver cannot delete groups; the group leaves Terraform's management.
    log(`${rc.address}: Destroying... [id=${String(rc.change.before?.id)}]`);
    groups.delete(rc.index);
    log(`${rc.address}: Destruction complete after 0s`);
    return;
  }
  if (rc.change.actions.includes('update')) {
    groups.set(rc.index, { ...groups.get(rc.index), ...after });
    log(`${rc.address}: Modifications complete after 0s [id=${String(after.id)}]`);
    return;
  }
  log(`${rc.address}: Creating...`);
  const tags = after.tags_all as Record<string, string>;
  const groupId =
    ec2.findGroupByName(rc.index)?.groupId ?? ec2.addSecurityGroup({ groupName: rc.index, description: String(after.description), vpcId: settings.vpcId, tags });
  groups.set(rc.index, groupStateAttrs(after, groupId, settings));
  log(`${rc.address}: Creation complete after 1s [id=${groupId}]`);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The permission EC2 is asked for: exactly the peer the attributes name. */
function ruleInput(after: Attrs): RuleInput {
  const peer = { cidr: str(after.cidr_ipv4) ?? str(after.cidr_ipv6), referencedGroupId: str(after.referenced_security_group_id), prefixListId: str(after.prefix_list_id) };
  return {
    protocol: String(after.ip_protocol),
    fromPort: after.from_port as number | null,
    toPort: after.to_port as number | null,
    ...Object.fromEntries(Object.entries(peer).filter(([, v]) => v !== undefined)),
    ...(str(after.description) !== undefined ? { description: String(after.description) } : {}),
    tags: after.tags_all as Record<string, string>,
  };
}

function applyRule(rc: ResourceChange, managed: Instances, ec2: Ec2Driver, settings: TerraformSettings, log: (l: string) => void): void {
  const type = rc.type as RuleType;
  const rules = managed[type];
  const { before, after, actions, importing } = rc.change;
  if (importing) log(`${rc.address}: Importing... [id=${importing.id}]`);
  if (after && before && (actions.includes('update') || actions.includes('no-op'))) {
    // In place: the provider modifies description and tags (ModifySecurityGroupRules, CreateTags).
    const ruleId = String(before.security_group_rule_id);
    if (actions.includes('update')) {
      log(`${rc.address}: Modifying... [id=${ruleId}]`);
      ec2.modifyRule(ruleId, { description: str(after.description) ?? null, tags: after.tags_all as Record<string, string> });
      log(`${rc.address}: Modifications complete after 0s [id=${ruleId}]`);
    } else log(`${rc.address}: Import complete [id=${ruleId}]`);
    rules.set(rc.index, { ...before, ...after });
    return;
  }
  if (before) {
    log(`${rc.address}: Destroying... [id=${String(before.id)}]`);
    revokeIfPresent(ec2, type, String(before.security_group_id), String(before.security_group_rule_id));
    rules.delete(rc.index);
    log(`${rc.address}: Destruction complete after 0s`);
  }
  if (!after) return;
  const group = String((after.tags as Record<string, string>)['portcullis:group']);
  const groupId = String(after.security_group_id ?? managed[GROUP_TYPE].get(group)?.id);
  if (rc.change.after_unknown.referenced_security_group_id === true) {
    // Real Terraform knows the new group's id by now; the fake's plan kept no trace of which group it was.
    throw new Error('the fake Terraform cannot apply a rule whose peer group is created by the same plan; deploy the group first');
  }
  const resolved = after;
  log(`${rc.address}: Creating...`);
  const input = ruleInput(resolved);
  const ruleId = type === EGRESS_TYPE ? ec2.authorizeEgress(groupId, input) : ec2.authorizeIngress(groupId, input);
  rules.set(rc.index, ruleStateAttrs(resolved, groupId, ruleId, settings));
  log(`${rc.address}: Creation complete after 0s [id=${ruleId}]`);
}

/** The provider treats a rule that is already gone as deleted. */
function revokeIfPresent(ec2: Ec2Driver, type: RuleType, groupId: string, ruleId: string): void {
  if (type === EGRESS_TYPE) {
    if (ec2.listEgress(groupId).some((r) => r.ruleId === ruleId)) ec2.revokeEgress(groupId, ruleId);
  } else if (ec2.listIngress(groupId).some((r) => r.ruleId === ruleId)) ec2.revokeIngress(groupId, ruleId);
}

function verbOf(rc: ResourceChange): string {
  if (rc.change.importing) return 'importing';
  return rc.change.actions.includes('create') ? 'creating' : rc.change.actions.includes('delete') ? 'deleting' : 'updating';
}

/** The existing groups' data sources the plan read, recorded in the state as Terraform does. */
function existingGroupsOf(plan: TerraformPlan): Map<string, Attrs> {
  const resources = ((plan.prior_state as { values?: { root_module?: { resources?: Array<{ mode: string; name: string; index: string; values: Attrs }> } } } | undefined)?.values?.root_module?.resources ?? []);
  return new Map(resources.filter((r) => r.mode === 'data' && r.name === 'existing').map((r) => [r.index, r.values]));
}

function buildState(prior: TfState | undefined, managed: Instances, existing: Map<string, Attrs>, settings: TerraformSettings): TfState {
  const resource = (mode: 'managed' | 'data', type: string, name: string, schemaVersion: number, instances: Map<string, Attrs>, dependencies: string[]): TfStateResource => ({
    mode,
    type,
    name,
    each: 'map',
    provider: `provider["${AWS_PROVIDER}"]`,
    instances: [...instances]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, attributes]) => ({
        index_key: key,
        schema_version: schemaVersion,
        attributes,
        sensitive_attributes: [],
        ...(dependencies.length > 0 ? { dependencies } : {}),
      })),
  });
  const mapOutput = (maps: Array<Map<string, Attrs>>, attr: string) => ({
    value: Object.fromEntries(maps.flatMap((m) => [...m]).sort(([a], [b]) => a.localeCompare(b)).map(([k, a]) => [k, a[attr]])),
    type: ['map', 'string'],
  });
  const ruleDeps = ['aws_security_group.group', 'data.aws_security_group.existing', 'data.aws_vpc.selected'];
  return {
    version: 4,
    terraform_version: settings.terraformVersion,
    serial: (prior?.serial ?? 0) + 1,
    lineage: prior?.lineage ?? randomUUID(),
    outputs: {
      rule_ids: mapOutput([managed[INGRESS_TYPE], managed[EGRESS_TYPE]], 'security_group_rule_id'),
      security_group_ids: mapOutput([managed[GROUP_TYPE], existing], 'id'),
    },
    resources: [
      resource('data', GROUP_TYPE, 'existing', 0, existing, []),
      resource('managed', GROUP_TYPE, 'group', GROUP_SCHEMA_VERSION, managed[GROUP_TYPE], ['data.aws_vpc.selected']),
      resource('managed', INGRESS_TYPE, 'rule', RULE_SCHEMA_VERSION, managed[INGRESS_TYPE], ruleDeps),
      resource('managed', EGRESS_TYPE, 'rule', RULE_SCHEMA_VERSION, managed[EGRESS_TYPE], ruleDeps),
    ].filter((r) => r.instances.length > 0),
    check_results: null,
  };
}
