/**
 * Two environments, each in its own (fake) AWS account with a deploy role and a read
 * role, as the fakes test and the end-to-end test set them up: the environments file,
 * the pipeline `portcullis ci-config` writes for it, and each environment's groups.json.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { environmentsCiConfig } from '../../src/cli/ci-config.ts';
import { parseEnvironmentsFile } from '../../src/environments-file.ts';
import { REPO_ROOT } from '../../src/fakes/all.ts';

export const STAGING_ACCOUNT = '111111111111';
export const PRODUCTION_ACCOUNT = '222222222222';
export const REGION = 'eu-west-1';
export const role = (account: string, name: string) => `arn:aws:iam::${account}:role/${name}`;
/** Every role the AWS fake must let the bot (read) and the pipeline (deploy) assume. */
export const ROLES = [STAGING_ACCOUNT, PRODUCTION_ACCOUNT].flatMap((a) => [role(a, 'portcullis-read'), role(a, 'portcullis-deploy')]);

export function environmentsFileText(approvers: { staging: string[]; production: string[] }): string {
  const env = (account: string, ids: string[]) =>
    `    aws: { account_id: "${account}", region: ${REGION}, role_arn: "${role(account, 'portcullis-read')}", deploy_role_arn: "${role(account, 'portcullis-deploy')}" }\n    approvals: { approver_ids: [${ids.join(', ')}] }\n`;
  return `environments:\n  staging:\n${env(STAGING_ACCOUNT, approvers.staging)}  production:\n${env(PRODUCTION_ACCOUNT, approvers.production)}`;
}

/** The files main needs: the generated pipeline (at the usual CI path) and each environment's groups. */
export function twoEnvironmentFiles(envText: string): Record<string, string> {
  const environments = parseEnvironmentsFile(envText, 'portcullis.environments.yaml', { channel: 'C0SECOPS', required: 1, ttlMs: 3_600_000 });
  const base = readFileSync(path.join(REPO_ROOT, 'terraform/.gitlab-ci.yml'), 'utf8');
  const groups = readFileSync(path.join(REPO_ROOT, 'terraform/groups.json'), 'utf8');
  return {
    'terraform/.gitlab-ci.yml': environmentsCiConfig(base, environments.list, 'main'),
    'terraform/environments/staging/groups.json': groups,
    'terraform/environments/production/groups.json': groups,
  };
}
