/** Two environments as an environments file would give them: staging and production, each approved by its own people. */
import { environmentDir, environmentJobs, Environments, type Environment } from '../../src/domain/environment.ts';

export const STAGING_APPROVER = 'U0STAGEAPPR';
export const PRODUCTION_APPROVER = 'U0PRODAPPR';

export function namedEnvironment(name: string, approver: string, overrides: Partial<Environment> = {}): Environment {
  return {
    name,
    stateName: `portcullis-${name}`,
    dir: environmentDir(name),
    jobs: environmentJobs(name),
    channel: 'C0SECOPS',
    approvals: { approverIds: new Set([approver]), approverGroup: null, required: 1, ttlMs: 3_600_000 },
    aws: { accountId: name === 'production' ? '222222222222' : '111111111111', region: 'eu-west-1', roleArn: null, deployRoleArn: null },
    ...overrides,
  };
}

export const twoEnvironments = (): Environments => new Environments([namedEnvironment('staging', STAGING_APPROVER), namedEnvironment('production', PRODUCTION_APPROVER)]);
