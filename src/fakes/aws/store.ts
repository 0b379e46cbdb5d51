/**
 * The fake EC2's state: security groups, their ingress rules and instances. It enforces
 * the rules EC2 enforces (known groups, no duplicate permission, valid protocol, ports
 * and CIDR) and throws AwsErrors with EC2's codes, so the Query actions and the driver
 * share one behaviour.
 */
import { randomBytes } from 'node:crypto';
import { normalizeCidrStrict } from '../../domain/cidr.ts';
import { ALL_PROTOCOLS, normalizeProtocol, protocolHasPorts } from '../../domain/protocol.ts';
import { assertLoopbackIpv4 } from '../services/loopback.ts';
import { AwsError } from './errors.ts';
import type { Ec2Driver, Instance, InstanceStateName, IngressRule, IngressRuleInput, InstanceInput, SecurityGroup } from './types.ts';

/** EC2's resource ids: a prefix and 17 hex digits. */
export function newResourceId(prefix: 'sg' | 'sgr' | 'i' | 'r' | 'vpc'): string {
  return `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

const DEFAULT_VPC_ID = 'vpc-0fa4e0000000000aa';

function invalidValue(message: string): AwsError {
  return new AwsError('InvalidParameterValue', message);
}

/** Protocol and ports as EC2 stores them; EC2 drops ports for protocols that have none. */
function normalizePermission(rule: IngressRuleInput): Pick<IngressRule, 'protocol' | 'fromPort' | 'toPort' | 'cidr'> {
  const protocol = normalizeProtocol(rule.protocol);
  if (protocol === null) throw invalidValue(`Invalid value '${rule.protocol}' for IP protocol. Unknown protocol.`);
  const cidr = normalizeCidrStrict(rule.cidr);
  if (cidr === null || !rule.cidr.includes('/')) throw invalidValue(`CIDR block ${rule.cidr} is malformed`);
  if (protocolHasPorts(protocol)) {
    const { fromPort, toPort } = rule;
    if (fromPort === null || toPort === null || fromPort < 0 || toPort > 65535 || fromPort > toPort) {
      throw invalidValue(`Invalid port range ${fromPort}-${toPort} for protocol ${protocol}`);
    }
    return { protocol, fromPort, toPort, cidr };
  }
  if (protocol === 'icmp' || protocol === 'icmpv6') {
    return { protocol, fromPort: rule.fromPort ?? -1, toPort: rule.toPort ?? -1, cidr };
  }
  return { protocol, fromPort: null, toPort: null, cidr };
}

/** How EC2 names a permission in its duplicate / not-found messages. */
function describePermission(r: Pick<IngressRule, 'protocol' | 'fromPort' | 'toPort' | 'cidr'>): string {
  const protocol = r.protocol === ALL_PROTOCOLS ? 'ALL' : r.protocol.toUpperCase();
  return `peer: ${r.cidr}, ${protocol}, from port: ${r.fromPort ?? 'ALL'}, to port: ${r.toPort ?? 'ALL'}, ALLOW`;
}

const STATE_NAMES: ReadonlySet<string> = new Set(['pending', 'running', 'shutting-down', 'terminated', 'stopping', 'stopped']);

export class Ec2Store implements Ec2Driver {
  private readonly groupsById = new Map<string, SecurityGroup>();
  private readonly rulesById = new Map<string, IngressRule>();
  private readonly instancesById = new Map<string, Instance>();

  addSecurityGroup(g: { groupName: string; description?: string; vpcId?: string; tags?: Record<string, string>; groupId?: string }): string {
    const vpcId = g.vpcId ?? DEFAULT_VPC_ID;
    if (this.groups().some((x) => x.groupName === g.groupName && x.vpcId === vpcId)) {
      throw new AwsError('InvalidGroup.Duplicate', `The security group '${g.groupName}' already exists for VPC '${vpcId}'`);
    }
    const groupId = g.groupId ?? newResourceId('sg');
    if (this.groupsById.has(groupId)) throw new AwsError('InvalidGroup.Duplicate', `The security group '${groupId}' already exists`);
    this.groupsById.set(groupId, { groupId, groupName: g.groupName, description: g.description ?? g.groupName, vpcId, tags: { ...g.tags } });
    return groupId;
  }

  findGroupByName(name: string): { groupId: string; groupName: string } | undefined {
    const group = this.groups().find((g) => g.groupName === name);
    return group && { groupId: group.groupId, groupName: group.groupName };
  }

  group(groupId: string): SecurityGroup {
    const group = this.groupsById.get(groupId);
    if (!group) throw new AwsError('InvalidGroup.NotFound', `The security group '${groupId}' does not exist`);
    return group;
  }

  groups(): SecurityGroup[] {
    return [...this.groupsById.values()];
  }

  authorizeIngress(groupId: string, rule: IngressRuleInput): string {
    const [created] = this.authorizeIngressRules(groupId, [rule]);
    return (created as IngressRule).ruleId;
  }

  /** All or nothing, as EC2 does: one duplicate refuses the whole request. */
  authorizeIngressRules(groupId: string, inputs: IngressRuleInput[]): IngressRule[] {
    this.group(groupId);
    const rules = inputs.map((input) => ({ input, permission: normalizePermission(input) }));
    for (const [i, { permission }] of rules.entries()) {
      const earlier = rules.slice(0, i).some((r) => describePermission(r.permission) === describePermission(permission));
      if (earlier || this.findIngress(groupId, permission)) {
        throw new AwsError('InvalidPermission.Duplicate', `the specified rule "${describePermission(permission)}" already exists`);
      }
    }
    return rules.map(({ input, permission }) => {
      const rule: IngressRule = { ruleId: newResourceId('sgr'), groupId, ...permission, tags: { ...input.tags } };
      if (input.description !== undefined) rule.description = input.description;
      this.rulesById.set(rule.ruleId, rule);
      return rule;
    });
  }

  /** The rule of `groupId` with exactly this protocol, port range and CIDR, if any. */
  findIngress(groupId: string, rule: IngressRuleInput): IngressRule | undefined {
    const wanted = describePermission(normalizePermission(rule));
    return this.listIngress(groupId).find((r) => describePermission(r) === wanted);
  }

  revokeIngress(groupId: string, ruleId: string): void {
    this.revokeIngressRules(groupId, [ruleId]);
  }

  /** All or nothing: an id that is not a rule of the group refuses the whole request. */
  revokeIngressRules(groupId: string, ruleIds: string[]): IngressRule[] {
    this.group(groupId);
    const rules = ruleIds.map((id) => {
      const rule = this.rulesById.get(id);
      if (!rule || rule.groupId !== groupId) {
        throw new AwsError('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${id}' does not exist`);
      }
      return rule;
    });
    for (const rule of rules) this.rulesById.delete(rule.ruleId);
    return rules;
  }

  listIngress(groupId: string): IngressRule[] {
    this.group(groupId);
    return this.rules().filter((r) => r.groupId === groupId);
  }

  rules(): IngressRule[] {
    return [...this.rulesById.values()];
  }

  addInstance(i: InstanceInput): string {
    for (const groupId of i.groupIds) this.group(groupId);
    if (i.publicIp !== undefined) assertLoopbackIpv4(i.publicIp);
    const instanceId = i.instanceId ?? newResourceId('i');
    if (this.instancesById.has(instanceId)) throw new Error(`instance ${instanceId} already exists in the fake EC2`);
    const instance: Instance = {
      instanceId,
      reservationId: newResourceId('r'),
      groupIds: [...i.groupIds],
      state: i.state ?? 'running',
      tags: { ...i.tags },
      launchTime: new Date(),
    };
    if (i.publicIp !== undefined) instance.publicIp = i.publicIp;
    this.instancesById.set(instanceId, instance);
    return instanceId;
  }

  setInstanceState(instanceId: string, state: InstanceStateName): void {
    const instance = this.instancesById.get(instanceId);
    if (!instance) throw new AwsError('InvalidInstanceID.NotFound', `The instance ID '${instanceId}' does not exist`);
    if (!STATE_NAMES.has(state)) throw new Error(`unknown instance state "${state}"`);
    instance.state = state;
  }

  instances(): Instance[] {
    return [...this.instancesById.values()];
  }
}
