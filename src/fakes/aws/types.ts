/**
 * The fake EC2's resources and the driver contract the other fakes and tests program
 * against (contracts.md §4). Plain data: the XML shapes live in ec2-shapes.ts.
 */

export type InstanceStateName = 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';

export interface SecurityGroup {
  groupId: string;
  groupName: string;
  description: string;
  vpcId: string;
  tags: Record<string, string>;
}

/** The rule's peer (source of ingress, destination of egress): exactly one of the three. */
export interface PeerInput {
  cidr?: string;
  referencedGroupId?: string;
  prefixListId?: string;
}

export interface RuleInput extends PeerInput {
  protocol: string;
  fromPort: number | null;
  toPort: number | null;
  description?: string;
  tags?: Record<string, string>;
}

export interface SecurityGroupRule extends PeerInput {
  ruleId: string;
  groupId: string;
  isEgress: boolean;
  /** Normalised as EC2 reports it: "tcp", "udp", "icmp", "-1", or a protocol number. */
  protocol: string;
  /** null for "-1" (all protocols), where EC2 reports no ports. */
  fromPort: number | null;
  toPort: number | null;
  description?: string;
  tags: Record<string, string>;
}
export type IngressRule = SecurityGroupRule;

/** A customer-managed prefix list (its entries are what policy cannot see in a plan). */
export interface PrefixList {
  prefixListId: string;
  name: string;
  addressFamily: 'IPv4' | 'IPv6';
  entries: string[];
  ownerId?: string;
}

export interface Instance {
  instanceId: string;
  reservationId: string;
  groupIds: string[];
  /** Always a 127.x.y.z address: nothing may ever connect anywhere else. */
  publicIp?: string;
  state: InstanceStateName;
  tags: Record<string, string>;
  launchTime: Date;
}

export interface Ec2Driver {
  addSecurityGroup(g: { groupName: string; description?: string; vpcId?: string; tags?: Record<string, string>; groupId?: string }): string;
  findGroupByName(name: string): { groupId: string; groupName: string } | undefined;
  groups(): SecurityGroup[];
  /** Throws an AwsError `InvalidPermission.Duplicate` when the same permission exists. */
  authorizeIngress(groupId: string, rule: RuleInput): string;
  authorizeEgress(groupId: string, rule: RuleInput): string;
  revokeIngress(groupId: string, ruleId: string): void;
  revokeEgress(groupId: string, ruleId: string): void;
  listIngress(groupId: string): SecurityGroupRule[];
  listEgress(groupId: string): SecurityGroupRule[];
  /** A group by id, or undefined (the Terraform fake's data source and import read through it). */
  describeGroup(groupId: string): SecurityGroup | undefined;
  /** ModifySecurityGroupRules / CreateTags on a rule: description and tags change in place. */
  modifyRule(ruleId: string, change: { description?: string | null; tags?: Record<string, string> }): void;
  /** A rule by its sgr- id, or undefined. */
  describeRule(ruleId: string): SecurityGroupRule | undefined;
  addPrefixList(p: { name: string; entries: string[]; addressFamily?: 'IPv4' | 'IPv6'; prefixListId?: string }): string;
  addInstance(i: InstanceInput): string;
}

/** An instance as a test or the sandbox adds it; a public address must be loopback. */
export interface InstanceInput {
  groupIds: string[];
  publicIp?: string;
  state?: 'pending' | 'running' | 'stopped' | 'terminated';
  tags?: Record<string, string>;
  instanceId?: string;
}
