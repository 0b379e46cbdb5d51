/**
 * EC2 Query actions of the fake: each reads the decoded params, acts on the store and
 * returns the children of `<ActionResponse>` (the server adds the envelope and requestId).
 */
import { AwsError } from './errors.ts';
import { applyFilters, paginate, readFilters, type FilterFields } from './describe.ts';
import { prefixListXml, reservationXml, revokedSecurityGroupRuleXml, securityGroupRuleXml, securityGroupXml, type AccountContext } from './ec2-shapes.ts';
import { getInteger, getObjects, getString, getStrings, requireString, type QueryObject } from './query.ts';
import type { Ec2Store } from './store.ts';
import type { Instance, PrefixList, RuleInput, SecurityGroup, SecurityGroupRule } from './types.ts';
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

/** IpPermissions.N expanded to one rule per CIDR, group pair or prefix list; tags come from the request's TagSpecification. */
function readPermissions(params: QueryObject, tags: Record<string, string> = {}): RuleInput[] {
  const permissions = getObjects(params, 'IpPermissions');
  if (permissions.length === 0) throw new AwsError('MissingParameter', 'The request must contain the parameter IpPermissions');
  return permissions.flatMap((p) => {
    const base = { protocol: requireString(p, 'IpProtocol'), fromPort: getInteger(p, 'FromPort') ?? null, toPort: getInteger(p, 'ToPort') ?? null, tags };
    const peers = [
      ...getObjects(p, 'IpRanges').map((r) => ({ peer: { cidr: requireString(r, 'CidrIp') }, description: getString(r, 'Description') })),
      ...getObjects(p, 'Ipv6Ranges').map((r) => ({ peer: { cidr: requireString(r, 'CidrIpv6') }, description: getString(r, 'Description') })),
      ...getObjects(p, 'Groups').map((g) => ({ peer: { referencedGroupId: requireString(g, 'GroupId') }, description: getString(g, 'Description') })),
      ...getObjects(p, 'PrefixListIds').map((l) => ({ peer: { prefixListId: requireString(l, 'PrefixListId') }, description: getString(l, 'Description') })),
    ];
    if (peers.length === 0) throw new AwsError('MissingParameter', 'Each IpPermissions entry needs IpRanges, Ipv6Ranges, Groups or PrefixListIds');
    return peers.map(({ peer, description }) => (description === undefined ? { ...base, ...peer } : { ...base, ...peer, description }));
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

const ruleFilters: FilterFields<SecurityGroupRule> = {
  'group-id': (r) => [r.groupId],
  'security-group-rule-id': (r) => [r.ruleId],
};

const prefixListFilters: FilterFields<PrefixList> = {
  'prefix-list-id': (l) => [l.prefixListId],
  'prefix-list-name': (l) => [l.name],
  'owner-id': (l) => [l.ownerId],
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
  return { securityGroupInfo: page.map((g) => securityGroupXml(g, [...store.listIngress(g.groupId), ...store.listEgress(g.groupId)], account)), nextToken };
};

const describeSecurityGroupRules: ActionHandler = (params, { store, account }) => {
  const ids = getStrings(params, 'SecurityGroupRuleId');
  const rules = store.rules();
  requireAll(ids, (id) => rules.some((r) => r.ruleId === id), (id) => new AwsError('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${id}' does not exist`));
  const selected = rules.filter((r) => ids.length === 0 || ids.includes(r.ruleId));
  const { page, nextToken } = paginate(applyFilters(selected, readFilters(params), ruleFilters, (r) => r.tags), params);
  return { securityGroupRuleSet: page.map((r) => securityGroupRuleXml(r, account, vpcOf(store))), nextToken };
};

const vpcOf = (store: Ec2Store) => (groupId: string) => store.describeGroup(groupId)?.vpcId;

/** MaxResults here is 1-100 (the EC2 API reference), not the 5-1000 of the other Describe actions. */
const describeManagedPrefixLists: ActionHandler = (params, { store, account }) => {
  const ids = getStrings(params, 'PrefixListId');
  const lists = store.prefixLists();
  requireAll(ids, (id) => lists.some((l) => l.prefixListId === id), (id) => new AwsError('InvalidPrefixListID.NotFound', `The prefix list ID '${id}' does not exist`));
  const selected = lists.filter((l) => ids.length === 0 || ids.includes(l.prefixListId));
  const { page, nextToken } = paginate(applyFilters(selected, readFilters(params), prefixListFilters, () => ({})), params, { min: 1, max: 100 });
  return { prefixListSet: page.map((l) => prefixListXml(l, account)), nextToken };
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

/** Egress changes name the group by GroupId only (EC2 takes no GroupName for them). */
function authorize(isEgress: boolean): ActionHandler {
  return (params, { store, account }) => {
    const group = isEgress ? store.group(requireString(params, 'GroupId')) : targetGroup(params, store);
    const created = store.authorizeRules(group.groupId, readPermissions(params, readRuleTags(params)), isEgress);
    return { return: true, securityGroupRuleSet: created.map((r) => securityGroupRuleXml(r, account, vpcOf(store))) };
  };
}

/** By SecurityGroupRuleId.N, or by IpPermissions naming existing rules exactly. */
function revoke(isEgress: boolean): ActionHandler {
  return (params, { store, account }) => {
    const group = isEgress ? store.group(requireString(params, 'GroupId')) : targetGroup(params, store);
    const ruleIds = getStrings(params, 'SecurityGroupRuleId');
    const ids =
      ruleIds.length > 0
        ? ruleIds
        : readPermissions(params).map((p) => {
            const rule = store.findRule(group.groupId, p, isEgress);
            if (!rule) throw new AwsError('InvalidPermission.NotFound', 'The specified rule does not exist in this security group.');
            return rule.ruleId;
          });
    const revoked = store.revokeRules(group.groupId, ids, isEgress);
    return { return: true, revokedSecurityGroupRuleSet: revoked.map((r) => revokedSecurityGroupRuleXml(r, account)) };
  };
}

export const ec2Actions: Record<string, ActionHandler> = {
  DescribeSecurityGroups: describeSecurityGroups,
  DescribeSecurityGroupRules: describeSecurityGroupRules,
  DescribeInstances: describeInstances,
  DescribeManagedPrefixLists: describeManagedPrefixLists,
  AuthorizeSecurityGroupIngress: authorize(false),
  AuthorizeSecurityGroupEgress: authorize(true),
  RevokeSecurityGroupIngress: revoke(false),
  RevokeSecurityGroupEgress: revoke(true),
};
