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

export interface IngressRuleInput {
  protocol: string;
  fromPort: number | null;
  toPort: number | null;
  cidr: string;
  description?: string;
  tags?: Record<string, string>;
}

export interface IngressRule {
  ruleId: string;
  groupId: string;
  /** Normalised as EC2 reports it: "tcp", "udp", "icmp", "-1", or a protocol number. */
  protocol: string;
  /** null for "-1" (all protocols), where EC2 reports no ports. */
  fromPort: number | null;
  toPort: number | null;
  cidr: string;
  description?: string;
  tags: Record<string, string>;
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
  /** Throws an AwsError `InvalidPermission.Duplicate` when the same permission exists. */
  authorizeIngress(groupId: string, rule: IngressRuleInput): string;
  revokeIngress(groupId: string, ruleId: string): void;
  listIngress(groupId: string): IngressRule[];
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
