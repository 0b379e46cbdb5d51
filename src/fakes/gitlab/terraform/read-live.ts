/**
 * What the fake Terraform reads from the fake EC2 while planning, as the AWS provider
 * would: the `aws_security_group` data source of a group made elsewhere (exactly one
 * match in the VPC, or the plan stops), and a rule an import block adopts (it must
 * exist, in the direction of the resource it is imported into).
 */
import type { ExistingGroup } from '../../../domain/groups.ts';
import type { Ec2Driver } from '../../aws/index.ts';
import { PlanError } from './plan-error.ts';
import { EGRESS_TYPE, sortKeys, type Attrs, type RuleType, type TerraformSettings } from './resources.ts';

function needEc2(ec2: Ec2Driver | undefined, what: string): Ec2Driver {
  if (!ec2) throw new PlanError(`${what}: the fake Terraform has no EC2 to read (start the GitLab fake with the \`ec2\` option)`);
  return ec2;
}

/** data.aws_security_group.existing["<key>"]: found by id or name/tags, in the VPC. */
export function readExistingGroup(ec2: Ec2Driver | undefined, key: string, existing: ExistingGroup, settings: TerraformSettings): Attrs {
  const address = `data.aws_security_group.existing["${key}"]`;
  const matches = needEc2(ec2, address)
    .groups()
    .filter((g) => g.vpcId === settings.vpcId)
    .filter((g) => ('id' in existing ? g.groupId === existing.id : (existing.name === undefined || g.groupName === existing.name) && Object.entries(existing.tags).every(([k, v]) => g.tags[k] === v)));
  if (matches.length !== 1) {
    throw new PlanError(`${matches.length === 0 ? 'no matching SecurityGroup found' : 'multiple EC2 Security Groups matched; use additional constraints to reduce matches to a single EC2 Security Group'}\n\n  with ${address}`);
  }
  const g = matches[0]!;
  return sortKeys({
    arn: `arn:aws:ec2:${settings.region}:${settings.accountId}:security-group/${g.groupId}`,
    description: g.description,
    filter: null,
    id: g.groupId,
    name: g.groupName,
    tags: sortKeys(g.tags),
    timeouts: null,
    vpc_id: g.vpcId,
  });
}

/** The state attributes of a live rule adopted by an import block. */
export function readImportedRule(ec2: Ec2Driver | undefined, ruleId: string, type: RuleType, settings: TerraformSettings): Attrs {
  const rule = needEc2(ec2, `import ${ruleId}`).describeRule(ruleId);
  if (!rule) throw new PlanError(`Cannot import non-existent remote object\n\nWhile attempting to import an existing object to "${type}", the provider detected that no object exists with the given id (${ruleId}).`);
  if (rule.isEgress !== (type === EGRESS_TYPE)) {
    throw new PlanError(`importing ${ruleId}: it is an ${rule.isEgress ? 'egress' : 'ingress'} rule, not an ${type === EGRESS_TYPE ? 'egress' : 'ingress'} one`);
  }
  const ipv6 = rule.cidr?.includes(':') ?? false;
  const noPorts = rule.protocol === '-1';
  return sortKeys({
    arn: `arn:aws:ec2:${settings.region}:${settings.accountId}:security-group-rule/${rule.ruleId}`,
    cidr_ipv4: rule.cidr !== undefined && !ipv6 ? rule.cidr : null,
    cidr_ipv6: ipv6 ? rule.cidr : null,
    description: rule.description ?? null,
    from_port: noPorts ? null : rule.fromPort,
    id: rule.ruleId,
    ip_protocol: rule.protocol,
    prefix_list_id: rule.prefixListId ?? null,
    referenced_security_group_id: rule.referencedGroupId ?? null,
    security_group_id: rule.groupId,
    security_group_rule_id: rule.ruleId,
    tags: Object.keys(rule.tags).length > 0 ? sortKeys(rule.tags) : null,
    tags_all: sortKeys(rule.tags),
    to_port: noPorts ? null : rule.toPort,
  });
}
