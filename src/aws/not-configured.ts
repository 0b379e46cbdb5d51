/**
 * The CloudPort when no AWS access is configured: every call fails with a message that
 * says so, instead of a confusing SDK error deep in a check.
 */
import type { CloudPort } from '../core/ports.ts';
import { InputError } from '../domain/errors.ts';

export class CloudNotConfiguredError extends InputError {
  readonly code = 'AWS_NOT_CONFIGURED';
}

export function notConfiguredCloud(reason: string): CloudPort {
  const fail = async (): Promise<never> => {
    throw new CloudNotConfiguredError(`AWS is not configured: ${reason}`);
  };
  return { callerIdentity: fail, findGroup: fail, lookupGroups: fail, groupRules: fail, findPrefixList: fail, publicMembers: fail };
}
