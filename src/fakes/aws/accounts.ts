/**
 * The accounts beyond the fake's own, reached through STS AssumeRole: the roles that may
 * be assumed, the temporary credentials handed out for them, and one EC2 store per
 * (account, region), so one account's groups are never seen from another (or from
 * another region of the same account). The fake's own account keeps its single store for
 * every region, as the fake always had.
 *
 * AssumeRole is checked as STS checks it: RoleArn a role ARN, RoleSessionName 2–64
 * characters of [\w+=,.@-], DurationSeconds 900 up to the role's maximum (3600 by
 * default); a role the fake was not told of is AccessDenied. A session's credentials are
 * accepted only with their session token (x-amz-security-token) and until they expire.
 */
import { randomBytes } from 'node:crypto';
import { AwsError } from './errors.ts';
import { getInteger, getString, type QueryObject } from './query.ts';
import { Ec2Store } from './store.ts';
import type { XmlObject } from './xml.ts';

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
/** A role's MaxSessionDuration when none is set. */
const MAX_SESSION_SECONDS = 3600;

export interface Session {
  accountId: string;
  arn: string;
  userId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

const validation = (value: string, member: string, constraint: string) =>
  new AwsError('ValidationError', `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: ${constraint}`);

export class AccountStores {
  private readonly roles = new Set<string>();
  private readonly sessions = new Map<string, Session>();
  private readonly stores = new Map<string, Ec2Store>();

  constructor(
    private readonly ownAccountId: string,
    private readonly ownStore: Ec2Store,
    private readonly now: () => Date = () => new Date(),
  ) {}

  addRole(roleArn: string): void {
    if (!ROLE_ARN.test(roleArn)) throw new Error(`not a role ARN: ${roleArn}`);
    this.roles.add(roleArn);
  }

  hasRole(roleArn: string): boolean {
    return this.roles.has(roleArn);
  }

  /** The EC2 of one account in one region (the fake's own account: its one store). */
  store(accountId: string, region: string): Ec2Store {
    if (accountId === this.ownAccountId) return this.ownStore;
    const key = `${accountId}/${region}`;
    let store = this.stores.get(key);
    if (!store) this.stores.set(key, (store = new Ec2Store()));
    return store;
  }

  /** The live session whose access key id this is, if its token matches. */
  session(accessKeyId: string, token: string | string[] | undefined): Session | undefined {
    const session = this.sessions.get(accessKeyId);
    if (!session || token !== session.sessionToken || session.expiration <= this.now()) return undefined;
    return session;
  }

  assumeRole(params: QueryObject, callerArn: string): XmlObject {
    const roleArn = getString(params, 'RoleArn') ?? '';
    const sessionName = getString(params, 'RoleSessionName') ?? '';
    if (roleArn.length < 20 || roleArn.length > 2048) throw validation(roleArn, 'roleArn', 'Member must have length between 20 and 2048');
    if (!SESSION_NAME.test(sessionName)) throw validation(sessionName, 'roleSessionName', 'Member must satisfy regular expression pattern: [\\w+=,.@-]*');
    const duration = getInteger(params, 'DurationSeconds') ?? 3600;
    if (duration < 900) throw validation(String(duration), 'durationSeconds', 'Member must have value greater than or equal to 900');
    if (duration > MAX_SESSION_SECONDS) throw new AwsError('ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
    const m = ROLE_ARN.exec(roleArn);
    if (!m || !this.roles.has(roleArn)) {
      throw new AwsError('AccessDenied', `User: ${callerArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, 403);
    }
    const [, accountId, roleName] = m as unknown as [string, string, string];
    const roleId = `AROA${randomBytes(8).toString('hex').toUpperCase().slice(0, 17)}`;
    const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const session: Session = {
      accountId,
      arn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`,
      userId: `${roleId}:${sessionName}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: `FwoGZXIvYXdzEPortcullisFake${randomBytes(48).toString('base64')}`,
      expiration: new Date(this.now().getTime() + duration * 1000),
    };
    this.sessions.set(accessKeyId, session);
    return {
      Credentials: { AccessKeyId: accessKeyId, SecretAccessKey: session.secretAccessKey, SessionToken: session.sessionToken, Expiration: session.expiration },
      AssumedRoleUser: { AssumedRoleId: session.userId, Arn: session.arn },
    };
  }
}
