/** Everything the core needs, passed in once by main (and by tests). */
import type { PolicySet } from '../compliance/policy.ts';
import type { Environment, Environments } from '../domain/environment.ts';
import type { ExistingGroup, ServiceSpec } from '../domain/groups.ts';
import type { Probe } from '../checks/probe.ts';
import type { Logger } from '../log.ts';
import type { ChangeRequest } from '../domain/request.ts';
import type { ChatPort, CloudPort, Store, VcsPort } from './ports.ts';
import type { KeyedMutex } from './keyed-mutex.ts';
import type { HomeViewers } from './home-viewers.ts';

export interface BotSettings {
  /** Channel where request parents are posted. */
  channel: string;
  approverIds: ReadonlySet<string>;
  /** Slack user group whose members may approve, or null. */
  approverGroup: string | null;
  requiredApprovals: number;
  approvalTtlMs: number;
  /** The bot plays the deploy of an expired rule's revocation when its plan only removes that rule (default false). */
  autoApproveExpiredRevocations?: boolean;
  /** How long an approved deploy may wait for GitLab to show it played before the approval is taken as lost (default 5 min). */
  deployPlayTimeoutMs?: number;
}

/** What the post-deploy service checks need; absent, they are skipped. */
export interface CheckSettings {
  /** groups.json service_ports of a group (empty: nothing to probe). */
  servicePorts(group: string, env?: Environment): Promise<number[]>;
  /** groups.json `service` of a group: host name (SNI, Host, certificate name), path, healthy statuses. */
  service?(group: string, env?: Environment): Promise<ServiceSpec | undefined>;
  /** groups.json `id` / `lookup` of a group made elsewhere, found by it rather than by name. */
  existing?(group: string, env?: Environment): Promise<ExistingGroup | undefined>;
  /** Which member addresses may be probed (loopback only against a fake AWS). */
  allowTarget(ip: string): boolean;
  /** How a target is probed (default: Node's trust store with NODE_EXTRA_CA_CERTS). */
  probe?: Probe;
}

/** One unit of work on a request, as lifecycle.ts saw it: the record before and after. */
export interface RequestChange {
  /** null when the unit recorded the request. */
  before: ChangeRequest | null;
  after: ChangeRequest;
  /** Whether the approvals counted for it changed. */
  approvalsChanged: boolean;
}

/**
 * What follows a change of a request, whatever made it (core/follow-ups.ts). Handed in
 * rather than imported, so that the modules that change requests and the follow-ups that
 * start other requests do not import each other.
 */
export interface FollowUps {
  afterChange(deps: BotDeps, change: RequestChange): Promise<void>;
  /** At start: picks up what a stop left waiting (the next queued request). */
  resume(deps: BotDeps): Promise<void>;
}

export interface BotDeps {
  store: Store;
  vcs: VcsPort;
  chat: ChatPort;
  cloud: CloudPort;
  /**
   * AWS as one environment's account and region show it (the bot assuming the
   * environment's read role); absent, `cloud` serves every environment.
   */
  cloudFor?(env: Environment): CloudPort;
  checks?: CheckSettings;
  settings: BotSettings;
  /**
   * The environments (the environments file); absent, the one environment `settings`
   * describes. Read through environments.ts, never directly.
   */
  environments?: Environments;
  /** The policies the bot judges every plan with before it offers or plays a deploy (loaded at start, as the image has them). */
  policies: PolicySet;
  log: Logger;
  /** Serialises work on one request (webhooks, reconciliation, clicks). */
  locks: KeyedMutex;
  /** Whose Home tabs are kept current. */
  homeViewers: HomeViewers;
  followUps: FollowUps;
  now(): Date;
}
