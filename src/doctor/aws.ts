/**
 * The AWS half of `portcullis doctor`: who the bot is there (STS GetCallerIdentity) and
 * that it can read every group of terraform/groups.json on the default branch
 * (DescribeSecurityGroups), as the consistency and service checks will.
 */
import type { CloudPort, VcsPort } from '../core/ports.ts';
import { GROUPS_FILE, parseGroupsFile } from '../domain/groups.ts';
import { fail, ok, reason, skip, type CheckResult } from './report.ts';

const AREA = 'AWS';
const READ_POLICY = 'Give the bot\'s AWS identity read access: sts:GetCallerIdentity, ec2:DescribeSecurityGroups, ec2:DescribeSecurityGroupRules, ec2:DescribeInstances.';

export async function awsChecks(cloud: CloudPort | null, vcs: VcsPort, region: string | null): Promise<CheckResult[]> {
  if (cloud === null || region === null) {
    return [fail(AREA, 'identity', 'AWS_REGION is not set: the bot reads nothing from AWS, so no consistency or service check can run', 'Set AWS_REGION to the region of the security groups, and give the bot AWS credentials (environment, profile or instance role).')];
  }
  let account: string;
  try {
    const who = await cloud.callerIdentity();
    account = who.account;
  } catch (err) {
    return [fail(AREA, 'identity', reason(err), 'Give the bot AWS credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, or an instance or task role).')];
  }
  const results = [ok(AREA, 'identity', `account ${account} in ${region}`)];
  let names: string[];
  try {
    const branch = await vcs.defaultBranch();
    const text = await vcs.readFile(branch, GROUPS_FILE);
    if (text === null) return [...results, skip(AREA, 'security groups', `${GROUPS_FILE} is not on ${branch}: no group to read`)];
    names = [...parseGroupsFile(text).keys()];
  } catch (err) {
    return [...results, skip(AREA, 'security groups', `${GROUPS_FILE} could not be read: ${reason(err)}`)];
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
  return [...results, ok(AREA, 'security groups', `all ${names.length} of ${GROUPS_FILE} readable`)];
}
