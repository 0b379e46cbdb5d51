/**
 * The fake EC2's state: security groups, their ingress and egress rules, managed prefix
 * lists and instances. It enforces the rules EC2 enforces (known groups, exactly one peer
 * per rule — a CIDR, a group of the same VPC or an existing prefix list —, no duplicate
 * permission, valid protocol, ports and CIDR) and throws AwsErrors with EC2's codes, so
 * the Query actions and the driver share one behaviour.
 */
import { randomBytes } from 'node:crypto';
import { normalizeCidrStrict } from '../../domain/cidr.ts';
import { ALL_PROTOCOLS, normalizeProtocol, protocolHasPorts } from '../../domain/protocol.ts';
import { assertLoopbackIpv4 } from '../services/loopback.ts';
import { AwsError } from './errors.ts';
import type { Ec2Driver, Instance, InstanceStateName, InstanceInput, PeerInput, PrefixList, RuleInput, SecurityGroup, SecurityGroupRule } from './types.ts';

/** EC2's resource ids: a prefix and 17 hex digits. */
export function newResourceId(prefix: 'sg' | 'sgr' | 'i' | 'r' | 'vpc' | 'pl'): string {
  return `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

const DEFAULT_VPC_ID = 'vpc-0fa4e0000000000aa';

function invalidValue(message: string): AwsError {
  return new AwsError('InvalidParameterValue', message);
}

type Permission = Pick<SecurityGroupRule, 'protocol' | 'fromPort' | 'toPort'> & PeerInput;

/** The one peer of a permission, checked as EC2 checks it (the groups and lists are the store's). */
function normalizePeer(rule: PeerInput): PeerInput {
  const given = [rule.cidr, rule.referencedGroupId, rule.prefixListId].filter((v) => v !== undefined);
  if (given.length !== 1) throw new AwsError('InvalidParameterCombination', 'Specify exactly one of a CIDR, a security group or a prefix list per rule');
  if (rule.cidr !== undefined) {
    const cidr = normalizeCidrStrict(rule.cidr);
    if (cidr === null || !rule.cidr.includes('/')) throw invalidValue(`CIDR block ${rule.cidr} is malformed`);
    return { cidr };
  }
  return rule.referencedGroupId !== undefined ? { referencedGroupId: rule.referencedGroupId } : { prefixListId: rule.prefixListId! };
}

/** Protocol and ports as EC2 stores them; EC2 drops ports for protocols that have none. */
function normalizePermission(rule: RuleInput): Permission {
  const protocol = normalizeProtocol(rule.protocol);
  if (protocol === null) throw invalidValue(`Invalid value '${rule.protocol}' for IP protocol. Unknown protocol.`);
  const cidr = normalizePeer(rule);
  if (protocolHasPorts(protocol)) {
    const { fromPort, toPort } = rule;
    if (fromPort === null || toPort === null || fromPort < 0 || toPort > 65535 || fromPort > toPort) {
      throw invalidValue(`Invalid port range ${fromPort}-${toPort} for protocol ${protocol}`);
    }
    return { protocol, fromPort, toPort, ...cidr };
  }
  if (protocol === 'icmp' || protocol === 'icmpv6') {
    return { protocol, fromPort: rule.fromPort ?? -1, toPort: rule.toPort ?? -1, ...cidr };
  }
  return { protocol, fromPort: null, toPort: null, ...cidr };
}

/** How EC2 names a permission in its duplicate / not-found messages. */
function describePermission(r: Permission): string {
  const protocol = r.protocol === ALL_PROTOCOLS ? 'ALL' : r.protocol.toUpperCase();
  const peer = r.cidr ?? r.referencedGroupId ?? r.prefixListId;
  return `peer: ${peer}, ${protocol}, from port: ${r.fromPort ?? 'ALL'}, to port: ${r.toPort ?? 'ALL'}, ALLOW`;
}

const STATE_NAMES: ReadonlySet<string> = new Set(['pending', 'running', 'shutting-down', 'terminated', 'stopping', 'stopped']);

export class Ec2Store implements Ec2Driver {
  private readonly groupsById = new Map<string, SecurityGroup>();
  private readonly rulesById = new Map<string, SecurityGroupRule>();
  private readonly prefixListsById = new Map<string, PrefixList>();
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

  authorizeIngress(groupId: string, rule: RuleInput): string {
    return (this.authorizeRules(groupId, [rule], false)[0] as SecurityGroupRule).ruleId;
  }

  authorizeEgress(groupId: string, rule: RuleInput): string {
    return (this.authorizeRules(groupId, [rule], true)[0] as SecurityGroupRule).ruleId;
  }

  /** All or nothing, as EC2 does: one duplicate or unknown peer refuses the whole request. */
  authorizeRules(groupId: string, inputs: RuleInput[], isEgress: boolean): SecurityGroupRule[] {
    const group = this.group(groupId);
    const rules = inputs.map((input) => ({ input, permission: normalizePermission(input) }));
    for (const [i, { permission }] of rules.entries()) {
      this.checkPeer(group, permission);
      const earlier = rules.slice(0, i).some((r) => describePermission(r.permission) === describePermission(permission));
      if (earlier || this.findRule(groupId, permission, isEgress)) {
        throw new AwsError('InvalidPermission.Duplicate', `the specified rule "${describePermission(permission)}" already exists`);
      }
    }
    return rules.map(({ input, permission }) => {
      const rule: SecurityGroupRule = { ruleId: newResourceId('sgr'), groupId, isEgress, ...permission, tags: { ...input.tags } };
      if (input.description !== undefined) rule.description = input.description;
      this.rulesById.set(rule.ruleId, rule);
      return rule;
    });
  }

  /** A referenced group must exist in the same VPC; a prefix list must exist and match the rule's family. */
  private checkPeer(group: SecurityGroup, p: Permission): void {
    if (p.referencedGroupId !== undefined) {
      const peer = this.groupsById.get(p.referencedGroupId);
      if (!peer) throw new AwsError('InvalidGroup.NotFound', `The security group '${p.referencedGroupId}' does not exist`);
      if (peer.vpcId !== group.vpcId) throw invalidValue('You have specified two resources that belong to different networks.');
    }
    if (p.prefixListId !== undefined && !this.prefixListsById.has(p.prefixListId)) {
      throw new AwsError('InvalidPrefixListID.NotFound', `The prefix list ID '${p.prefixListId}' does not exist`);
    }
  }

  /** The rule of `groupId` in that direction with exactly this protocol, port range and peer, if any. */
  findRule(groupId: string, rule: RuleInput | Permission, isEgress: boolean): SecurityGroupRule | undefined {
    const wanted = describePermission(normalizePermission(rule));
    return this.rules().find((r) => r.groupId === groupId && r.isEgress === isEgress && describePermission(r) === wanted);
  }

  findIngress(groupId: string, rule: RuleInput): SecurityGroupRule | undefined {
    return this.findRule(groupId, rule, false);
  }

  revokeIngress(groupId: string, ruleId: string): void {
    this.revokeRules(groupId, [ruleId], false);
  }

  revokeEgress(groupId: string, ruleId: string): void {
    this.revokeRules(groupId, [ruleId], true);
  }

  /** All or nothing: an id that is not a rule of the group in that direction refuses the whole request. */
  revokeRules(groupId: string, ruleIds: string[], isEgress: boolean): SecurityGroupRule[] {
    this.group(groupId);
    const rules = ruleIds.map((id) => {
      const rule = this.rulesById.get(id);
      if (!rule || rule.groupId !== groupId || rule.isEgress !== isEgress) {
        throw new AwsError('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${id}' does not exist`);
      }
      return rule;
    });
    for (const rule of rules) this.rulesById.delete(rule.ruleId);
    return rules;
  }

  listIngress(groupId: string): SecurityGroupRule[] {
    this.group(groupId);
    return this.rules().filter((r) => r.groupId === groupId && !r.isEgress);
  }

  listEgress(groupId: string): SecurityGroupRule[] {
    this.group(groupId);
    return this.rules().filter((r) => r.groupId === groupId && r.isEgress);
  }

  describeGroup(groupId: string): SecurityGroup | undefined {
    return this.groupsById.get(groupId);
  }

  modifyRule(ruleId: string, change: { description?: string | null; tags?: Record<string, string> }): void {
    const rule = this.rulesById.get(ruleId);
    if (!rule) throw new AwsError('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${ruleId}' does not exist`);
    if (change.description === null) delete rule.description;
    else if (change.description !== undefined) rule.description = change.description;
    if (change.tags !== undefined) rule.tags = { ...change.tags };
  }

  describeRule(ruleId: string): SecurityGroupRule | undefined {
    return this.rulesById.get(ruleId);
  }

  rules(): SecurityGroupRule[] {
    return [...this.rulesById.values()];
  }

  addPrefixList(p: { name: string; entries: string[]; addressFamily?: 'IPv4' | 'IPv6'; prefixListId?: string }): string {
    const prefixListId = p.prefixListId ?? newResourceId('pl');
    if (this.prefixListsById.has(prefixListId)) throw new AwsError('InvalidParameterValue', `The prefix list '${prefixListId}' already exists`);
    const entries = p.entries.map((e) => {
      const cidr = normalizeCidrStrict(e);
      if (cidr === null || !e.includes('/')) throw invalidValue(`CIDR block ${e} is malformed`);
      return cidr;
    });
    this.prefixListsById.set(prefixListId, { prefixListId, name: p.name, addressFamily: p.addressFamily ?? 'IPv4', entries });
    return prefixListId;
  }

  prefixLists(): PrefixList[] {
    return [...this.prefixListsById.values()];
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
