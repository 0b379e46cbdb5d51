/**
 * The CloudPort over the AWS SDK v3 (EC2 + STS), read only. In production the SDK finds
 * its own endpoints (AWS_ENDPOINT_URL_EC2 / _STS) and credentials (the default chain);
 * tests and the sandbox pass the fake's endpoint and keys. Every call is bounded: the
 * SDK's standard retry (3 attempts, throttling included) and a per-request timeout, so a
 * hanging AWS cannot hold a Slack action or a pipeline job for ever.
 *
 * The SDK clients are loaded at their first call, not with this module: the EC2 client
 * alone takes over a second and some 90 MB to load, which a bot that has not been asked
 * for a check yet, and every CLI command that reads no AWS, need not pay.
 */
import type { Filter, SecurityGroup, SecurityGroupRule } from '@aws-sdk/client-ec2';
import type { CloudGroup, CloudMember, CloudPort, CloudRule } from '../core/ports.ts';
import { normalizeCidrStrict } from '../domain/cidr.ts';
import { normalizeProtocol } from '../domain/protocol.ts';
import { UpstreamError } from '../domain/errors.ts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

export interface AwsCloudOptions {
  region: string;
  /** Override endpoints (the fake); unset, the SDK reads AWS_ENDPOINT_URL_EC2 / _STS. */
  endpointEc2?: string;
  endpointSts?: string;
  /** Static keys (the fake), or a provider (an assumed role); unset, the SDK's default credentials chain. */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Attempts per call, first included (default 3). */
  maxAttempts?: number;
  /** Time limit of one HTTP attempt (default 5 s). */
  requestTimeoutMs?: number;
}

/** An AWS call failed after its retries; the message names the action and AWS's reason. */
export class CloudError extends UpstreamError {
  readonly code = 'AWS_CALL_FAILED';
}

const DEFAULT_MAX_ATTEMPTS = 3;
const DEFAULT_REQUEST_TIMEOUT_MS = 5000;
const CONNECTION_TIMEOUT_MS = 2000;
const PAGE_SIZE = 1000;
/** What EC2 group ids look like; our group keys ("sg-front") are names that merely start alike. */
const GROUP_ID = /^sg-[0-9a-f]{8,17}$/;

/** Runs `call`, turning any SDK failure into a CloudError that says what was being done. */
async function doing<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const e = err as Error;
    const code = e.name && e.name !== 'Error' ? `${e.name}: ` : '';
    throw new CloudError(`AWS ${action}: ${code}${e.message}`, { cause: err });
  }
}

function toRule(r: SecurityGroupRule): CloudRule {
  const protocol = normalizeProtocol(r.IpProtocol ?? '-1') ?? String(r.IpProtocol);
  const rawCidr = r.CidrIpv4 ?? r.CidrIpv6;
  // EC2 reports -1 as the port range of rules without ports (all protocols).
  const port = (p: number | undefined) => (p === undefined || p === -1 ? null : p);
  return {
    ruleId: r.SecurityGroupRuleId ?? '',
    groupId: r.GroupId ?? '',
    direction: r.IsEgress ? 'egress' : 'ingress',
    protocol,
    fromPort: port(r.FromPort),
    toPort: port(r.ToPort),
    cidr: rawCidr === undefined ? '' : (normalizeCidrStrict(rawCidr) ?? rawCidr),
    referencedGroupId: r.ReferencedGroupInfo?.GroupId ?? null,
    prefixListId: r.PrefixListId ?? null,
    description: r.Description ?? '',
    tags: Object.fromEntries((r.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
  };
}

function toGroup(g: SecurityGroup | undefined): CloudGroup | null {
  return g?.GroupId ? { groupId: g.GroupId, groupName: g.GroupName ?? '', vpcId: g.VpcId ?? '', ownerId: g.OwnerId ?? '' } : null;
}

/** Runs `load` at the first call only; a failed load is tried again at the next call. */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | null = null;
  return () => {
    loading ??= load().catch((err: unknown) => {
      loading = null;
      throw err;
    });
    return loading;
  };
}

export function createAwsCloud(options: AwsCloudOptions): CloudPort {
  const common = {
    region: options.region,
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    retryMode: 'standard',
    requestHandler: {
      requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      // Without this a request past its timeout only logs a warning and keeps waiting.
      throwOnRequestTimeout: true,
      connectionTimeout: CONNECTION_TIMEOUT_MS,
    },
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
  const ec2 = once(async () => {
    const sdk = await import('@aws-sdk/client-ec2');
    return { sdk, client: new sdk.EC2Client({ ...common, ...(options.endpointEc2 ? { endpoint: options.endpointEc2 } : {}) }) };
  });
  const sts = once(async () => {
    const sdk = await import('@aws-sdk/client-sts');
    return { sdk, client: new sdk.STSClient({ ...common, ...(options.endpointSts ? { endpoint: options.endpointSts } : {}) }) };
  });

  return {
    callerIdentity: () =>
      doing('GetCallerIdentity', async () => {
        const { sdk, client } = await sts();
        const out = await client.send(new sdk.GetCallerIdentityCommand({}));
        return { account: out.Account ?? '', arn: out.Arn ?? '' };
      }),

    findGroup: (nameOrId) =>
      doing(`DescribeSecurityGroups (${nameOrId})`, async (): Promise<CloudGroup | null> => {
        // A filter rather than GroupIds/GroupNames: an unknown group is then an empty answer,
        // not InvalidGroup.NotFound, and names work outside the default VPC too.
        const { sdk, client } = await ec2();
        const byFilter = async (name: 'group-id' | 'group-name'): Promise<CloudGroup | null> => {
          const out = await client.send(new sdk.DescribeSecurityGroupsCommand({ Filters: [{ Name: name, Values: [nameOrId] }] }));
          return toGroup(out.SecurityGroups?.[0]);
        };
        return (GROUP_ID.test(nameOrId) ? await byFilter('group-id') : null) ?? byFilter('group-name');
      }),

    lookupGroups: (lookup) =>
      doing('DescribeSecurityGroups (lookup)', async () => {
        const filters: Filter[] = [
          ...(lookup.name !== undefined ? [{ Name: 'group-name', Values: [lookup.name] }] : []),
          ...Object.entries(lookup.tags).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] })),
          ...(lookup.vpcId !== undefined ? [{ Name: 'vpc-id', Values: [lookup.vpcId] }] : []),
        ];
        const { sdk, client } = await ec2();
        const out = await client.send(new sdk.DescribeSecurityGroupsCommand({ Filters: filters }));
        return (out.SecurityGroups ?? []).flatMap((g) => toGroup(g) ?? []);
      }),

    groupRules: (groupId) =>
      doing(`DescribeSecurityGroupRules (${groupId})`, async () => {
        const { sdk, client } = await ec2();
        const rules: CloudRule[] = [];
        const pages = sdk.paginateDescribeSecurityGroupRules({ client, pageSize: PAGE_SIZE }, { Filters: [{ Name: 'group-id', Values: [groupId] }] });
        for await (const page of pages) {
          for (const r of page.SecurityGroupRules ?? []) rules.push(toRule(r));
        }
        return rules;
      }),

    findPrefixList: (prefixListId) =>
      doing(`DescribeManagedPrefixLists (${prefixListId})`, async () => {
        // A filter, so an unknown list is an empty answer rather than InvalidPrefixListID.NotFound.
        const { sdk, client } = await ec2();
        const out = await client.send(new sdk.DescribeManagedPrefixListsCommand({ Filters: [{ Name: 'prefix-list-id', Values: [prefixListId] }] }));
        const list = out.PrefixLists?.[0];
        return list?.PrefixListId ? { prefixListId: list.PrefixListId, name: list.PrefixListName ?? '' } : null;
      }),

    publicMembers: (groupId) =>
      doing(`DescribeInstances (${groupId})`, async () => {
        const { sdk, client } = await ec2();
        const members: CloudMember[] = [];
        const filters: Filter[] = [
          { Name: 'instance.group-id', Values: [groupId] },
          { Name: 'instance-state-name', Values: ['running'] },
        ];
        for await (const page of sdk.paginateDescribeInstances({ client, pageSize: PAGE_SIZE }, { Filters: filters })) {
          for (const instance of (page.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
            if (!instance.InstanceId || !instance.PublicIpAddress) continue;
            const name = instance.Tags?.find((t) => t.Key === 'Name')?.Value ?? null;
            members.push({ instanceId: instance.InstanceId, publicIp: instance.PublicIpAddress, name });
          }
        }
        return members;
      }),
  };
}
