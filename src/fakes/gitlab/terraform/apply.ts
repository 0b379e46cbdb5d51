/**
 * A fake `terraform apply tfplan` against the fake EC2: groups are found by name or
 * created, new rules authorized with their tags, removed rules revoked, changed rules
 * revoked and authorized again. As Terraform does, it records in the state whatever it
 * managed to do, also when a step fails, and then reports the error.
 */
import { randomUUID } from 'node:crypto';
import type { Ec2Driver } from '../../aws/index.ts';
import type { ResourceChange, TerraformPlan } from './plan.ts';
import {
  AWS_PROVIDER,
  GROUP_SCHEMA_VERSION,
  GROUP_TYPE,
  RULE_SCHEMA_VERSION,
  RULE_TYPE,
  groupStateAttrs,
  ruleStateAttrs,
  stateInstances,
  type Attrs,
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

export function applyPlan({ plan, state, ec2, settings, log }: ApplyInput): ApplyResult {
  const groups = new Map<string, Attrs>();
  const rules = new Map<string, Attrs>();
  for (const i of stateInstances(state)) (i.type === GROUP_TYPE ? groups : rules).set(i.key, i.attrs);
  const counts = { added: 0, changed: 0, destroyed: 0 };
  let error: Error | undefined;

  // Groups first: rules refer to their ids.
  const ordered = [...plan.resource_changes].sort((a, b) => Number(a.type === RULE_TYPE) - Number(b.type === RULE_TYPE));
  for (const rc of ordered) {
    const actions = rc.change.actions;
    if (actions.includes('no-op')) continue;
    try {
      if (rc.type === GROUP_TYPE) applyGroup(rc, groups, ec2, settings, log);
      else applyRule(rc, groups, rules, ec2, settings, log);
    } catch (err) {
      error = new Error(`Error: ${verbOf(rc)} ${rc.address}: ${(err as Error).message}`, { cause: err });
      break;
    }
    if (actions.length === 2) {
      counts.added += 1;
      counts.destroyed += 1;
    } else if (actions[0] === 'create') counts.added += 1;
    else if (actions[0] === 'delete') counts.destroyed += 1;
    else counts.changed += 1;
  }
  if (!error) log(`Apply complete! Resources: ${counts.added} added, ${counts.changed} changed, ${counts.destroyed} destroyed.`);
  return { state: buildState(state, groups, rules, settings), ...(error ? { error } : {}) };
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
    ec2.findGroupByName(rc.index)?.groupId ?? ec2.addSecurityGroup({ groupName: rc.index, description: String(after.description), tags });
  groups.set(rc.index, groupStateAttrs(after, groupId, settings));
  log(`${rc.address}: Creation complete after 1s [id=${groupId}]`);
}

function applyRule(
  rc: ResourceChange,
  groups: Map<string, Attrs>,
  rules: Map<string, Attrs>,
  ec2: Ec2Driver,
  settings: TerraformSettings,
  log: (l: string) => void,
): void {
  const before = rc.change.before;
  const after = rc.change.after;
  if (before) {
    log(`${rc.address}: Destroying... [id=${String(before.id)}]`);
    revokeIfPresent(ec2, String(before.security_group_id), String(before.security_group_rule_id));
    rules.delete(rc.index);
    log(`${rc.address}: Destruction complete after 0s`);
  }
  if (!after) return;
  const group = String((after.tags as Record<string, string>)['portcullis:group']);
  const groupId = String(after.security_group_id ?? groups.get(group)?.id);
  log(`${rc.address}: Creating...`);
  const ruleId = ec2.authorizeIngress(groupId, {
    protocol: String(after.ip_protocol),
    fromPort: after.from_port as number | null,
    toPort: after.to_port as number | null,
    cidr: String(after.cidr_ipv4 ?? after.cidr_ipv6),
    description: String(after.description),
    tags: after.tags_all as Record<string, string>,
  });
  rules.set(rc.index, ruleStateAttrs(after, groupId, ruleId, settings));
  log(`${rc.address}: Creation complete after 0s [id=${ruleId}]`);
}

/** The provider treats a rule that is already gone as deleted. */
function revokeIfPresent(ec2: Ec2Driver, groupId: string, ruleId: string): void {
  if (!ec2.listIngress(groupId).some((r) => r.ruleId === ruleId)) return;
  ec2.revokeIngress(groupId, ruleId);
}

function verbOf(rc: ResourceChange): string {
  return rc.change.actions.includes('create') ? 'creating' : rc.change.actions.includes('delete') ? 'deleting' : 'updating';
}

function buildState(prior: TfState | undefined, groups: Map<string, Attrs>, rules: Map<string, Attrs>, settings: TerraformSettings): TfState {
  const resource = (type: string, name: string, schemaVersion: number, instances: Map<string, Attrs>, dependencies: string[]): TfStateResource => ({
    mode: 'managed',
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
  const mapOutput = (m: Map<string, Attrs>, attr: string) => ({
    value: Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, a]) => [k, a[attr]])),
    type: ['map', 'string'],
  });
  return {
    version: 4,
    terraform_version: settings.terraformVersion,
    serial: (prior?.serial ?? 0) + 1,
    lineage: prior?.lineage ?? randomUUID(),
    outputs: { rule_ids: mapOutput(rules, 'security_group_rule_id'), security_group_ids: mapOutput(groups, 'id') },
    resources: [
      resource(GROUP_TYPE, 'group', GROUP_SCHEMA_VERSION, groups, ['data.aws_vpc.selected']),
      resource(RULE_TYPE, 'rule', RULE_SCHEMA_VERSION, rules, ['aws_security_group.group', 'data.aws_vpc.selected']),
    ].filter((r) => r.instances.length > 0),
    check_results: null,
  };
}
