/**
 * EC2 Query actions of the fake: each reads the decoded params, acts on the store and
 * returns the children of `<ActionResponse>` (the server adds the envelope and requestId).
 */
import { AwsError } from './errors.ts';
import { applyFilters, paginate, readFilters, type FilterFields } from './describe.ts';
import { reservationXml, revokedSecurityGroupRuleXml, securityGroupRuleXml, securityGroupXml, type AccountContext } from './ec2-shapes.ts';
import { getInteger, getObjects, getString, getStrings, requireString, type QueryObject } from './query.ts';
import type { Ec2Store } from './store.ts';
import type { Instance, IngressRule, IngressRuleInput, SecurityGroup } from './types.ts';
import type { XmlObject } from './xml.ts';

export interface ActionContext {
  store: Ec2Store;
  account: AccountContext;
}

export type ActionHandler = (params: QueryObject, context: ActionContext) => XmlObject;

/** Every requested id must exist: EC2 answers NotFound rather than a shorter list. */
function requireAll(ids: string[], exists: (id: string) => boolean, notFound: (id: string) => AwsError): void {
  const missing = ids.find((id) => !exists(id));
  if (missing !== undefined) throw notFound(missing);
}

function groupNotFound(idOrName: string): AwsError {
  return new AwsError('InvalidGroup.NotFound', `The security group '${idOrName}' does not exist`);
}

/** GroupId, else GroupName (default-VPC style), names the group a rule change targets. */
function targetGroup(params: QueryObject, store: Ec2Store): SecurityGroup {
  const groupId = getString(params, 'GroupId');
  if (groupId !== undefined) return store.group(groupId);
  const name = getString(params, 'GroupName');
  if (name === undefined) throw new AwsError('MissingParameter', 'The request must contain the parameter GroupId or GroupName');
  const found = store.findGroupByName(name);
  if (!found) throw groupNotFound(name);
  return store.group(found.groupId);
}

/** IpPermissions.N expanded to one rule per CIDR; tags come from the request's TagSpecification. */
function readPermissions(params: QueryObject, tags: Record<string, string> = {}): IngressRuleInput[] {
  const permissions = getObjects(params, 'IpPermissions');
  if (permissions.length === 0) throw new AwsError('MissingParameter', 'The request must contain the parameter IpPermissions');
  return permissions.flatMap((p) => {
    if (getObjects(p, 'Groups').length > 0 || getObjects(p, 'PrefixListIds').length > 0) {
      throw new AwsError('InvalidParameterValue', 'This fake EC2 supports CIDR sources only (IpRanges, Ipv6Ranges), not groups or prefix lists');
    }
    const base = { protocol: requireString(p, 'IpProtocol'), fromPort: getInteger(p, 'FromPort') ?? null, toPort: getInteger(p, 'ToPort') ?? null, tags };
    const ranges = [
      ...getObjects(p, 'IpRanges').map((r) => ({ cidr: requireString(r, 'CidrIp'), description: getString(r, 'Description') })),
      ...getObjects(p, 'Ipv6Ranges').map((r) => ({ cidr: requireString(r, 'CidrIpv6'), description: getString(r, 'Description') })),
    ];
    if (ranges.length === 0) throw new AwsError('MissingParameter', 'Each IpPermissions entry needs IpRanges or Ipv6Ranges');
    return ranges.map(({ cidr, description }) => (description === undefined ? { ...base, cidr } : { ...base, cidr, description }));
  });
}

function readRuleTags(params: QueryObject): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const spec of getObjects(params, 'TagSpecification')) {
    const type = requireString(spec, 'ResourceType');
    if (type !== 'security-group-rule') throw new AwsError('InvalidParameterValue', `'${type}' is not a valid taggable resource type for this operation.`);
    for (const tag of getObjects(spec, 'Tag')) tags[requireString(tag, 'Key')] = getString(tag, 'Value') ?? '';
  }
  return tags;
}

const groupFilters: FilterFields<SecurityGroup> = {
  'group-id': (g) => [g.groupId],
  'group-name': (g) => [g.groupName],
  'vpc-id': (g) => [g.vpcId],
  description: (g) => [g.description],
};

const ruleFilters: FilterFields<IngressRule> = {
  'group-id': (r) => [r.groupId],
  'security-group-rule-id': (r) => [r.ruleId],
};

function instanceFilters(store: Ec2Store): FilterFields<Instance> {
  return {
    'instance-id': (i) => [i.instanceId],
    'instance-state-name': (i) => [i.state],
    'instance.group-id': (i) => i.groupIds,
    'instance.group-name': (i) => i.groupIds.map((id) => store.group(id).groupName),
    'ip-address': (i) => [i.publicIp],
  };
}

const describeSecurityGroups: ActionHandler = (params, { store, account }) => {
  const ids = getStrings(params, 'GroupId');
  const names = getStrings(params, 'GroupName');
  requireAll(ids, (id) => store.groups().some((g) => g.groupId === id), groupNotFound);
  requireAll(names, (name) => store.findGroupByName(name) !== undefined, groupNotFound);
  const selected = store.groups().filter((g) => (ids.length === 0 || ids.includes(g.groupId)) && (names.length === 0 || names.includes(g.groupName)));
  const { page, nextToken } = paginate(applyFilters(selected, readFilters(params), groupFilters, (g) => g.tags), params);
  return { securityGroupInfo: page.map((g) => securityGroupXml(g, store.listIngress(g.groupId), account)), nextToken };
};

const describeSecurityGroupRules: ActionHandler = (params, { store, account }) => {
  const ids = getStrings(params, 'SecurityGroupRuleId');
  const rules = store.rules();
  requireAll(ids, (id) => rules.some((r) => r.ruleId === id), (id) => new AwsError('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${id}' does not exist`));
  const selected = rules.filter((r) => ids.length === 0 || ids.includes(r.ruleId));
  const { page, nextToken } = paginate(applyFilters(selected, readFilters(params), ruleFilters, (r) => r.tags), params);
  return { securityGroupRuleSet: page.map((r) => securityGroupRuleXml(r, account)), nextToken };
};

const describeInstances: ActionHandler = (params, { store, account }) => {
  const ids = getStrings(params, 'InstanceId');
  if (ids.length > 0 && getString(params, 'MaxResults') !== undefined) {
    throw new AwsError('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
  }
  const instances = store.instances();
  requireAll(ids, (id) => instances.some((i) => i.instanceId === id), (id) => new AwsError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`));
  const selected = instances.filter((i) => ids.length === 0 || ids.includes(i.instanceId));
  const { page, nextToken } = paginate(applyFilters(selected, readFilters(params), instanceFilters(store), (i) => i.tags), params);
  return { reservationSet: page.map((i) => reservationXml(i, i.groupIds.map((id) => store.group(id)), account)), nextToken };
};

const authorizeSecurityGroupIngress: ActionHandler = (params, { store, account }) => {
  const group = targetGroup(params, store);
  const created = store.authorizeIngressRules(group.groupId, readPermissions(params, readRuleTags(params)));
  return { return: true, securityGroupRuleSet: created.map((r) => securityGroupRuleXml(r, account)) };
};

/** By SecurityGroupRuleId.N, or by IpPermissions naming existing rules exactly. */
const revokeSecurityGroupIngress: ActionHandler = (params, { store, account }) => {
  const group = targetGroup(params, store);
  const ruleIds = getStrings(params, 'SecurityGroupRuleId');
  const ids =
    ruleIds.length > 0
      ? ruleIds
      : readPermissions(params).map((p) => {
          const rule = store.findIngress(group.groupId, p);
          if (!rule) throw new AwsError('InvalidPermission.NotFound', 'The specified rule does not exist in this security group.');
          return rule.ruleId;
        });
  const revoked = store.revokeIngressRules(group.groupId, ids);
  return { return: true, revokedSecurityGroupRuleSet: revoked.map((r) => revokedSecurityGroupRuleXml(r, account)) };
};

export const ec2Actions: Record<string, ActionHandler> = {
  DescribeSecurityGroups: describeSecurityGroups,
  DescribeSecurityGroupRules: describeSecurityGroupRules,
  DescribeInstances: describeInstances,
  AuthorizeSecurityGroupIngress: authorizeSecurityGroupIngress,
  RevokeSecurityGroupIngress: revokeSecurityGroupIngress,
};
