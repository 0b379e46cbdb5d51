/**
 * The IAM policies of docs/iam/ (docs/setup.md): the bot's is read-only and grants exactly
 * the EC2/STS calls the code makes (src/aws/cloud.ts, read here); the pipeline's deploy
 * role grants those (its consistency and service-check jobs make them) plus what the AWS
 * provider calls for the resource and data types terraform/*.tf uses. A new SDK call or a
 * new Terraform type fails this until the policy is revisited.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as ec2 from '@aws-sdk/client-ec2';
import * as sts from '@aws-sdk/client-sts';

const ROOT = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), 'utf8');

interface Policy {
  Version: string;
  Statement: Array<{ Sid?: string; Effect: string; Action: string | string[]; Resource: string | string[]; Condition?: unknown }>;
}

function actions(path: string): string[] {
  const policy = JSON.parse(read(path)) as Policy;
  assert.equal(policy.Version, '2012-10-17', path);
  for (const s of policy.Statement) assert.equal(s.Effect, 'Allow', `${path} ${s.Sid}`);
  const all = policy.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
  for (const a of all) assert.doesNotMatch(a, /\*/, `${path}: ${a} is a wildcard`);
  assert.equal(new Set(all).size, all.length, `${path}: an action twice`);
  return all.sort();
}

/** The API actions src/aws/cloud.ts calls, by the SDK commands and paginators it uses, named by the client that exports them. */
function actionsInCode(): string[] {
  const source = read('src/aws/cloud.ts');
  const names = new Set([...source.matchAll(/\bsdk\.(?:paginate(\w+)|(\w+)Command)\b/g)].map((m) => (m[1] ?? m[2])!));
  return [...names]
    .map((name) => {
      if (`${name}Command` in sts) return `sts:${name}`;
      if (`${name}Command` in ec2) return `ec2:${name}`;
      throw new Error(`${name} is neither an STS nor an EC2 command`);
    })
    .sort();
}

/**
 * What the AWS provider calls to plan, apply and destroy each type (its create/read/
 * update/delete of the resource, tags included). Every type terraform/ uses must be here.
 */
const PROVIDER_ACTIONS: Record<string, string[]> = {
  provider: ['sts:GetCallerIdentity'],
  'data.aws_vpc': ['ec2:DescribeVpcs', 'ec2:DescribeVpcAttribute', 'ec2:DescribeRouteTables'],
  'data.aws_subnets': ['ec2:DescribeSubnets'],
  'data.aws_ami': ['ec2:DescribeImages'],
  // A group made elsewhere (groups.json `id` or `lookup`), read, never changed.
  'data.aws_security_group': ['ec2:DescribeSecurityGroups'],
  aws_security_group: [
    'ec2:CreateSecurityGroup', 'ec2:DescribeSecurityGroups', 'ec2:DeleteSecurityGroup', 'ec2:RevokeSecurityGroupEgress',
    'ec2:RevokeSecurityGroupIngress', 'ec2:DescribeNetworkInterfaces', 'ec2:CreateTags', 'ec2:DeleteTags',
  ],
  aws_vpc_security_group_ingress_rule: [
    'ec2:AuthorizeSecurityGroupIngress', 'ec2:DescribeSecurityGroupRules', 'ec2:ModifySecurityGroupRules',
    'ec2:UpdateSecurityGroupRuleDescriptionsIngress', 'ec2:RevokeSecurityGroupIngress', 'ec2:CreateTags', 'ec2:DeleteTags',
  ],
  aws_vpc_security_group_egress_rule: [
    'ec2:AuthorizeSecurityGroupEgress', 'ec2:DescribeSecurityGroupRules', 'ec2:ModifySecurityGroupRules',
    'ec2:UpdateSecurityGroupRuleDescriptionsEgress', 'ec2:RevokeSecurityGroupEgress', 'ec2:CreateTags', 'ec2:DeleteTags',
  ],
  aws_instance: [
    'ec2:RunInstances', 'ec2:DescribeInstances', 'ec2:DescribeInstanceAttribute', 'ec2:DescribeInstanceTypes',
    'ec2:DescribeInstanceCreditSpecifications', 'ec2:DescribeVolumes', 'ec2:DescribeTags', 'ec2:DescribeNetworkInterfaces',
    'ec2:ModifyInstanceAttribute', 'ec2:ModifyInstanceMetadataOptions', 'ec2:TerminateInstances', 'ec2:CreateTags', 'ec2:DeleteTags',
  ],
};

function terraformTypes(): string[] {
  const text = readdirSync(new URL('terraform/', ROOT)).filter((f) => f.endsWith('.tf')).map((f) => read(`terraform/${f}`)).join('\n');
  const resources = [...text.matchAll(/^resource "(\w+)"/gm)].map((m) => m[1]!);
  const data = [...text.matchAll(/^data "(\w+)"/gm)].map((m) => `data.${m[1]!}`);
  return [...new Set(['provider', ...resources, ...data])];
}

test('the code calls the EC2/STS actions it is known to', () => {
  assert.deepEqual(actionsInCode(), ['ec2:DescribeInstances', 'ec2:DescribeManagedPrefixLists', 'ec2:DescribeSecurityGroupRules', 'ec2:DescribeSecurityGroups', 'sts:GetCallerIdentity']);
});

test("the bot's policy is read-only and grants exactly the calls the code makes", () => {
  const granted = actions('docs/iam/bot-policy.json');
  assert.deepEqual(granted, actionsInCode());
  for (const a of granted) assert.match(a, /^(ec2:Describe\w+|sts:GetCallerIdentity)$/, `${a} is not a read`);
});

test("the deploy role's policy grants the code's calls and what the AWS provider needs for terraform/'s types, nothing else", () => {
  const types = terraformTypes();
  for (const type of types) assert.ok(type in PROVIDER_ACTIONS, `terraform/ uses ${type}: add what the provider calls for it here and to docs/iam/deploy-policy.json`);
  const needed = new Set([...actionsInCode(), ...types.flatMap((t) => PROVIDER_ACTIONS[t]!)]);
  assert.deepEqual(actions('docs/iam/deploy-policy.json'), [...needed].sort());
});
