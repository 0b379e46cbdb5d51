/**
 * The fake's resources as EC2 (API version 2016-11-15) writes them in XML. Element names
 * are the `xmlName`s of @aws-sdk/client-ec2's schemas (SecurityGroup, IpPermission,
 * SecurityGroupRule, Reservation, Instance, Tag).
 */
import { ALL_PROTOCOLS } from '../../domain/protocol.ts';
import type { Instance, InstanceStateName, PrefixList, SecurityGroup, SecurityGroupRule } from './types.ts';
import type { XmlObject } from './xml.ts';

export interface AccountContext {
  accountId: string;
  region: string;
}

const STATE_CODES: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

/** A stopped or terminated instance has released its automatically assigned public address. */
const STATES_WITHOUT_PUBLIC_IP: ReadonlySet<InstanceStateName> = new Set(['stopped', 'terminated', 'shutting-down']);

export function tagSetXml(tags: Record<string, string>): XmlObject[] {
  return Object.entries(tags).map(([key, value]) => ({ key, value }));
}

const isIpv6 = (cidr: string | undefined) => cidr !== undefined && cidr.includes(':');
const isIpv4 = (cidr: string | undefined) => cidr !== undefined && !cidr.includes(':');

/** Rules sharing protocol and ports form one IpPermission with several ranges, groups and prefix lists. */
function ipPermissionsXml(rules: SecurityGroupRule[], account: AccountContext): XmlObject[] {
  const byPermission = new Map<string, SecurityGroupRule[]>();
  for (const rule of rules) {
    const key = `${rule.protocol}/${rule.fromPort}/${rule.toPort}`;
    byPermission.set(key, [...(byPermission.get(key) ?? []), rule]);
  }
  return [...byPermission.values()].map((group) => {
    const first = group[0] as SecurityGroupRule;
    const ports = first.protocol === ALL_PROTOCOLS ? {} : { fromPort: first.fromPort, toPort: first.toPort };
    return {
      ipProtocol: first.protocol,
      ...ports,
      groups: group.filter((r) => r.referencedGroupId !== undefined).map((r) => ({ userId: account.accountId, groupId: r.referencedGroupId, description: r.description })),
      ipRanges: group.filter((r) => isIpv4(r.cidr)).map((r) => ({ cidrIp: r.cidr, description: r.description })),
      ipv6Ranges: group.filter((r) => isIpv6(r.cidr)).map((r) => ({ cidrIpv6: r.cidr, description: r.description })),
      prefixListIds: group.filter((r) => r.prefixListId !== undefined).map((r) => ({ prefixListId: r.prefixListId, description: r.description })),
    };
  });
}

export function securityGroupXml(group: SecurityGroup, rules: SecurityGroupRule[], account: AccountContext): XmlObject {
  return {
    ownerId: account.accountId,
    groupId: group.groupId,
    groupName: group.groupName,
    groupDescription: group.description,
    vpcId: group.vpcId,
    securityGroupArn: `arn:aws:ec2:${account.region}:${account.accountId}:security-group/${group.groupId}`,
    ipPermissions: ipPermissionsXml(rules.filter((r) => !r.isEgress), account),
    ipPermissionsEgress: ipPermissionsXml(rules.filter((r) => r.isEgress), account),
    tagSet: tagSetXml(group.tags),
  };
}

/** DescribeSecurityGroupRules reports -1 as the port range of "all protocols" rules. */
export function securityGroupRuleXml(rule: SecurityGroupRule, account: AccountContext, vpcOf: (groupId: string) => string | undefined = () => undefined): XmlObject {
  const peer =
    rule.referencedGroupId !== undefined
      ? { referencedGroupInfo: { groupId: rule.referencedGroupId, userId: account.accountId, vpcId: vpcOf(rule.referencedGroupId) } }
      : rule.prefixListId !== undefined
        ? { prefixListId: rule.prefixListId }
        : isIpv6(rule.cidr)
          ? { cidrIpv6: rule.cidr }
          : { cidrIpv4: rule.cidr };
  return {
    securityGroupRuleId: rule.ruleId,
    groupId: rule.groupId,
    groupOwnerId: account.accountId,
    isEgress: rule.isEgress,
    ipProtocol: rule.protocol,
    fromPort: rule.fromPort ?? -1,
    toPort: rule.toPort ?? -1,
    ...peer,
    description: rule.description,
    tagSet: tagSetXml(rule.tags),
    securityGroupRuleArn: `arn:aws:ec2:${account.region}:${account.accountId}:security-group-rule/${rule.ruleId}`,
  };
}

/** RevokeSecurityGroupIngress echoes the removed rules without owner, tags and ARN. */
export function revokedSecurityGroupRuleXml(rule: SecurityGroupRule, account: AccountContext): XmlObject {
  const { groupOwnerId: _owner, tagSet: _tags, securityGroupRuleArn: _arn, ...revoked } = securityGroupRuleXml(rule, account);
  return revoked;
}

export function reservationXml(instance: Instance, groups: SecurityGroup[], account: AccountContext): XmlObject {
  const publicIp = STATES_WITHOUT_PUBLIC_IP.has(instance.state) ? undefined : instance.publicIp;
  return {
    reservationId: instance.reservationId,
    ownerId: account.accountId,
    groupSet: [],
    instancesSet: [
      {
        instanceId: instance.instanceId,
        imageId: 'ami-0fa4e00000000000f',
        instanceState: { code: STATE_CODES[instance.state], name: instance.state },
        privateDnsName: '',
        dnsName: '',
        reason: '',
        instanceType: 't3.micro',
        launchTime: instance.launchTime,
        vpcId: groups[0]?.vpcId,
        // Deliberately no privateIpAddress: a fake instance has only its loopback address.
        ipAddress: publicIp,
        groupSet: groups.map((g) => ({ groupId: g.groupId, groupName: g.groupName })),
        tagSet: tagSetXml(instance.tags),
      },
    ],
  };
}

/** DescribeManagedPrefixLists' ManagedPrefixList (entries are read with GetManagedPrefixListEntries). */
export function prefixListXml(list: PrefixList, account: AccountContext): XmlObject {
  return {
    prefixListId: list.prefixListId,
    addressFamily: list.addressFamily,
    state: 'create-complete',
    prefixListArn: `arn:aws:ec2:${account.region}:${account.accountId}:prefix-list/${list.prefixListId}`,
    prefixListName: list.name,
    maxEntries: Math.max(list.entries.length, 1),
    version: 1,
    tagSet: [],
    ownerId: list.ownerId ?? account.accountId,
  };
}
