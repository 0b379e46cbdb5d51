/**
 * The AWS half of `portcullis doctor`, once per environment: who the bot is there (STS
 * GetCallerIdentity; for an environment of the environments file, through its read role,
 * in the account the file names) and that it can read every group of the environment's
 * groups.json on the default branch (DescribeSecurityGroups), as the consistency and
 * service checks will.
 */
import type { CloudPort, VcsPort } from '../core/ports.ts';
import { parseGroupsFile } from '../domain/groups.ts';
import { fail, forEnvironment, ok, reason, skip, type CheckResult } from './report.ts';

const AREA = 'AWS';
const READ_POLICY = 'Give the bot\'s AWS identity read access: docs/iam/bot-policy.json (sts:GetCallerIdentity, ec2:DescribeSecurityGroups, ec2:DescribeSecurityGroupRules, ec2:DescribeInstances, ec2:DescribeManagedPrefixLists).';

export interface AwsTarget {
  /** The environment's AWS as the bot reads it; null when no region is configured. */
  cloud: CloudPort | null;
  region: string | null;
  /** The environment's groups.json. */
  groupsFile: string;
  /** The account the environments file names for it, when it names one. */
  account: string | null;
  /** The environment's name, shown with each check when there are several. */
  label: string | null;
}

export async function awsChecks(target: AwsTarget, vcs: VcsPort): Promise<CheckResult[]> {
  return forEnvironment(target.label, await checks(target, vcs));
}

async function checks(target: AwsTarget, vcs: VcsPort): Promise<CheckResult[]> {
  const { cloud, region, groupsFile } = target;
  if (cloud === null || region === null) {
    return [fail(AREA, 'identity', 'AWS_REGION is not set: the bot reads nothing from AWS, so no consistency or service check can run', 'Set AWS_REGION to the region of the security groups, and give the bot AWS credentials (environment, profile or instance role).')];
  }
  let account: string;
  try {
    const who = await cloud.callerIdentity();
    account = who.account;
  } catch (err) {
    const viaRole = target.account === null ? '' : ' and let it assume the read role the environments file names (its trust policy)';
    return [fail(AREA, 'identity', reason(err), `Give the bot AWS credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, or an instance or task role)${viaRole}.`)];
  }
  if (target.account !== null && account !== target.account) {
    return [fail(AREA, 'identity', `the bot reaches account ${account}, the environments file names ${target.account}`, 'Set aws.role_arn to the read role in the environment\'s own account, or correct aws.account_id.')];
  }
  const results = [ok(AREA, 'identity', `account ${account} in ${region}`)];
  let names: string[];
  try {
    const branch = await vcs.defaultBranch();
    const text = await vcs.readFile(branch, groupsFile);
    if (text === null) return [...results, skip(AREA, 'security groups', `${groupsFile} is not on ${branch}: no group to read`)];
    names = [...parseGroupsFile(text).keys()];
  } catch (err) {
    return [...results, skip(AREA, 'security groups', `${groupsFile} could not be read: ${reason(err)}`)];
  }
  const missing: string[] = [];
  try {
    for (const name of names) if ((await cloud.findGroup(name)) === null) missing.push(name);
  } catch (err) {
    return [...results, fail(AREA, 'security groups', reason(err), READ_POLICY)];
  }
  if (missing.length > 0) {
    return [...results, fail(AREA, 'security groups', `not found in account ${account}, ${region}: ${missing.join(', ')}`, 'Check AWS_REGION and the account; a group only exists once a deploy applied it (a fresh setup deploys main first).')];
  }
  return [...results, ok(AREA, 'security groups', `all ${names.length} of ${groupsFile} readable`)];
}
