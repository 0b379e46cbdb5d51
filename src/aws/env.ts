/**
 * The CloudPort and the probe guard that the process environment describes, shared by
 * the bot and the CLI: AWS_REGION, AWS's own credential variables (or the SDK's default
 * chain when unset) and the AWS_ENDPOINT_URL_* overrides that point at a fake.
 */
import type { CloudPort } from '../core/ports.ts';
import { anyMember, loopbackOnly } from '../checks/services.ts';
import { createAwsCloud } from './cloud.ts';
import { CloudNotConfiguredError } from './not-configured.ts';

export type Env = Readonly<Record<string, string | undefined>>;

/** A fake or sandbox AWS is named by an endpoint override; its members must then be loopback. */
export const endpointOverride = (env: Env, service: 'EC2' | 'STS') => env[`AWS_ENDPOINT_URL_${service}`] ?? env.AWS_ENDPOINT_URL;

/** Which member addresses service checks may probe. */
export function probeGuard(env: Env): (ip: string) => boolean {
  return endpointOverride(env, 'EC2') !== undefined ? loopbackOnly : anyMember;
}

export function cloudFromEnv(env: Env): CloudPort {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new CloudNotConfiguredError('AWS_REGION is not set: say which AWS region the group lives in');
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = env;
  return createAwsCloud({
    region,
    endpointEc2: endpointOverride(env, 'EC2'),
    endpointSts: endpointOverride(env, 'STS'),
    // Unset, the SDK's default chain (profile, web identity, instance role) applies.
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } : undefined,
  });
}
