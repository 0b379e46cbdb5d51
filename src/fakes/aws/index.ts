/**
 * A local EC2 + STS speaking the AWS Query protocol, so the unchanged AWS SDK v3 clients
 * run against it: `new EC2Client({ endpoint: fake.url, region: 'us-east-1', credentials:
 * { accessKeyId: fake.accessKeyId, secretAccessKey: fake.secretAccessKey } })`.
 *
 * Authentication: requests must carry a SigV4 `authorization` header whose Credential
 * names an accepted access key id (by default FAKE_ACCESS_KEY_ID). The signature itself
 * is not verified; the fake only proves the client sends the credentials it was given.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { asAwsError, AwsError } from './errors.ts';
import { FaultPlan } from './faults.ts';
import { getString, parseQueryBody, type QueryObject } from './query.ts';
import { ec2Service, serviceFor, type FakeContext, type QueryService } from './services.ts';
import { Ec2Store } from './store.ts';
import { AccountStores } from './accounts.ts';
import type { Ec2Driver, Instance, InstanceStateName, IngressRule, PrefixList, SecurityGroup } from './types.ts';

export type { Ec2Driver, Instance, InstanceStateName, IngressRule, PrefixList, RuleInput, SecurityGroup, SecurityGroupRule } from './types.ts';
export { AwsError } from './errors.ts';

/** Obviously fake credentials (AKIA… is the shape of a real key id; the words say it is not one). */
export const FAKE_ACCESS_KEY_ID = 'AKIAFAKEPORTCULLIS01';
export const FAKE_SECRET_ACCESS_KEY = 'portcullis-fake-secret-not-a-real-key';
/** AWS's documentation account id. */
export const FAKE_ACCOUNT_ID = '123456789012';

export interface AwsFakeOptions {
  /** Access key ids the fake accepts (default: [FAKE_ACCESS_KEY_ID]). */
  accessKeyIds?: string[];
  accountId?: string;
  /** GetCallerIdentity's Arn (default: an IAM user "portcullis-bot" in the account). */
  callerArn?: string;
  callerUserId?: string;
  /** Region written into ARNs (default us-east-1). */
  region?: string;
  /**
   * Roles in other accounts that STS AssumeRole hands out credentials for (any caller
   * may assume them: the fake has no trust policies). Each such account keeps its own
   * groups per region, apart from the fake's own account and from each other.
   */
  roles?: string[];
}

export interface AwsFakeDriver extends Ec2Driver {
  groups(): SecurityGroup[];
  /** Every rule, ingress and egress (`isEgress` tells them apart). */
  rules(): IngressRule[];
  prefixLists(): PrefixList[];
  instances(): Instance[];
  setInstanceState(instanceId: string, state: InstanceStateName): void;
  /** How many requests named `action` reached the fake (failed and faulted ones included). */
  calls(action: string): number;
  /** The next `times` calls of `action` fail with `code` (RequestLimitExceeded, AuthFailure, InternalError, …). */
  failNext(action: string, code: string, times?: number): void;
  /** The next call of `action` is answered after `ms` milliseconds. */
  delayNext(action: string, ms: number): void;
  /**
   * EC2 as another account sees it in one region (what credentials from AssumeRole on a
   * role there reach). The fake's own account is this driver itself, in every region.
   */
  account(accountId: string, region: string): Ec2Driver & Pick<AwsFakeDriver, 'groups' | 'rules'>;
  /** Lets AssumeRole hand out credentials for this role (arn:aws:iam::<account>:role/<name>). */
  addRole(roleArn: string): void;
  /** Whether AssumeRole would hand out credentials for this role. */
  hasRole(roleArn: string): boolean;
}

export interface AwsFake {
  /** Endpoint for both EC2Client and STSClient. */
  url: string;
  accessKeyId: string;
  secretAccessKey: string;
  driver: AwsFakeDriver;
  close(): Promise<void>;
}

/** The AWS variables that point the SDK (and so the bot and the CLI) at a fake: endpoint, region and its keys. */
export function fakeAwsEnv(fake: Pick<AwsFake, 'url' | 'accessKeyId' | 'secretAccessKey'>, region = 'us-east-1'): Record<string, string> {
  return {
    AWS_REGION: region,
    AWS_ENDPOINT_URL_EC2: fake.url,
    AWS_ENDPOINT_URL_STS: fake.url,
    AWS_ACCESS_KEY_ID: fake.accessKeyId,
    AWS_SECRET_ACCESS_KEY: fake.secretAccessKey,
  };
}

const MAX_BODY_BYTES = 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new AwsError('RequestEntityTooLarge', `Request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The access key id and region in `AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, …`. */
function credentialOf(req: IncomingMessage): { key: string; region: string } | undefined {
  const m = /^AWS4-HMAC-SHA256\s+Credential=([^/\s,]+)\/\d{8}\/([a-z0-9-]+)\//.exec(req.headers.authorization ?? '');
  return m ? { key: m[1]!, region: m[2]! } : undefined;
}

export async function startAwsFake(options: AwsFakeOptions = {}): Promise<AwsFake> {
  const accepted = new Set(options.accessKeyIds ?? [FAKE_ACCESS_KEY_ID]);
  const accountId = options.accountId ?? FAKE_ACCOUNT_ID;
  const context: Omit<FakeContext, 'assumeRole'> = {
    store: new Ec2Store(),
    account: { accountId, region: options.region ?? 'us-east-1' },
    caller: { arn: options.callerArn ?? `arn:aws:iam::${accountId}:user/portcullis-bot`, userId: options.callerUserId ?? 'AIDAFAKEPORTCULLISBOT' },
  };
  const faults = new FaultPlan();
  const callCounts = new Map<string, number>();
  const closing = new AbortController();
  const accounts = new AccountStores(accountId, context.store);
  for (const role of options.roles ?? []) accounts.addRole(role);

  /** Who the request's credentials are: the fake's own keys, or a session AssumeRole handed out. */
  function callerOf(service: QueryService, req: IncomingMessage): FakeContext {
    const credential = credentialOf(req);
    if (credential === undefined) throw service.authError();
    if (accepted.has(credential.key)) return { ...context, assumeRole: (params) => accounts.assumeRole(params, context.caller.arn) };
    const session = accounts.session(credential.key, req.headers['x-amz-security-token']);
    if (!session) throw service.authError();
    return {
      store: accounts.store(session.accountId, credential.region),
      account: { accountId: session.accountId, region: credential.region },
      caller: { arn: session.arn, userId: session.userId },
      assumeRole: (params) => accounts.assumeRole(params, session.arn),
    };
  }

  /** Counts the call, plays any scripted fault, checks the access key, runs the action. */
  async function dispatch(service: QueryService, params: QueryObject, req: IncomingMessage, requestId: string): Promise<string> {
    const action = getString(params, 'Action') ?? '';
    callCounts.set(action, (callCounts.get(action) ?? 0) + 1);
    const fault = faults.take(action);
    if (fault.delayMs > 0) await sleep(fault.delayMs, undefined, { signal: closing.signal });
    if (fault.error) throw fault.error;
    const caller = callerOf(service, req);
    const handler = service.actions[action];
    if (!handler) throw new AwsError('InvalidAction', `The action ${action} is not valid for this web service.`);
    return service.renderResult(action, handler(params, caller), requestId);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    let service = ec2Service;
    let status = 200;
    let body: string;
    try {
      if (req.method !== 'POST') throw new AwsError('InvalidAction', 'Only form-encoded POST requests (AWS Query protocol) are supported');
      const params = parseQueryBody(await readBody(req));
      service = serviceFor(getString(params, 'Version'));
      body = await dispatch(service, params, req, requestId);
    } catch (thrown) {
      const error = asAwsError(thrown);
      status = error.status;
      body = service.renderError(error, requestId);
    }
    if (closing.signal.aborted) return;
    // The SDK takes $metadata.requestId from this header, for errors too.
    res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const { store } = context;

  // Reads hand out copies: a test holding on to a result must not be able to edit the fake's state.
  const driver: AwsFakeDriver = {
    addSecurityGroup: (g) => store.addSecurityGroup(g),
    findGroupByName: (name) => store.findGroupByName(name),
    authorizeIngress: (groupId, rule) => store.authorizeIngress(groupId, rule),
    authorizeEgress: (groupId, rule) => store.authorizeEgress(groupId, rule),
    revokeIngress: (groupId, ruleId) => store.revokeIngress(groupId, ruleId),
    revokeEgress: (groupId, ruleId) => store.revokeEgress(groupId, ruleId),
    listIngress: (groupId) => structuredClone(store.listIngress(groupId)),
    listEgress: (groupId) => structuredClone(store.listEgress(groupId)),
    describeGroup: (groupId) => structuredClone(store.describeGroup(groupId)),
    describeRule: (ruleId) => structuredClone(store.describeRule(ruleId)),
    modifyRule: (ruleId, change) => store.modifyRule(ruleId, change),
    addPrefixList: (p) => store.addPrefixList(p),
    prefixLists: () => structuredClone(store.prefixLists()),
    addInstance: (i) => store.addInstance(i),
    groups: () => structuredClone(store.groups()),
    rules: () => structuredClone(store.rules()),
    instances: () => structuredClone(store.instances()),
    setInstanceState: (instanceId, state) => store.setInstanceState(instanceId, state),
    calls: (action) => callCounts.get(action) ?? 0,
    failNext: (action, code, times) => faults.failNext(action, code, times),
    delayNext: (action, ms) => faults.delayNext(action, ms),
    account: (id, region) => (id === accountId ? driver : accounts.store(id, region)),
    addRole: (roleArn) => accounts.addRole(roleArn),
    hasRole: (roleArn) => accounts.hasRole(roleArn),
  };

  return {
    url: `http://127.0.0.1:${port}`,
    accessKeyId: [...accepted][0] ?? FAKE_ACCESS_KEY_ID,
    secretAccessKey: FAKE_SECRET_ACCESS_KEY,
    driver,
    async close() {
      closing.abort();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
