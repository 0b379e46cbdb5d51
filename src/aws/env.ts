/**
 * The CloudPort and the probe guard that the process environment describes, shared by
 * the bot and the CLI: AWS_REGION, AWS's own credential variables (or the SDK's default
 * chain when unset) and the AWS_ENDPOINT_URL_* overrides that point at a fake.
 */
import type { CloudPort } from '../core/ports.ts';
import { anyMember, loopbackOnly } from '../checks/services.ts';
import type { EnvironmentAws } from '../domain/environment.ts';
import { createAwsCloud, once } from './cloud.ts';
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
  return createAwsCloud({ region, endpointEc2: endpointOverride(env, 'EC2'), endpointSts: endpointOverride(env, 'STS'), credentials: staticCredentials(env) });
}

/** Unset, the SDK's default chain (profile, web identity, instance role) applies. */
function staticCredentials(env: Env) {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = env;
  return accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } : undefined;
}

/**
 * AWS as one environment sees it: its region, and with a role, that role assumed through
 * STS AssumeRole (refreshed before it expires) with the process's own credentials, so the
 * bot reads each account with the read-only role made for it there.
 */
export function cloudForEnvironment(env: Env, aws: EnvironmentAws): CloudPort {
  const endpointSts = endpointOverride(env, 'STS');
  const own = staticCredentials(env);
  const roleArn = aws.roleArn;
  // The SDK's credential providers are loaded at the first call, as the clients are (cloud.ts).
  const assumed = once(async () => {
    const { fromTemporaryCredentials } = await import('@aws-sdk/credential-providers');
    return fromTemporaryCredentials({
      params: { RoleArn: roleArn!, RoleSessionName: 'portcullis-bot' },
      ...(own ? { masterCredentials: own } : {}),
      clientConfig: { region: aws.region, ...(endpointSts ? { endpoint: endpointSts } : {}) },
    });
  });
  const credentials = roleArn === null ? own : async () => (await assumed())();
  return createAwsCloud({ region: aws.region, endpointEc2: endpointOverride(env, 'EC2'), endpointSts, credentials });
}
