/** Everything the core needs, passed in once by main (and by tests). */
import type { ServiceSpec } from '../domain/groups.ts';
import type { Logger } from '../log.ts';
import type { ChatPort, CloudPort, Store, VcsPort } from './ports.ts';
import type { KeyedMutex } from './keyed-mutex.ts';

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
}

/** What the post-deploy service checks need; absent, they are skipped. */
export interface CheckSettings {
  /** groups.json service_ports of a group (empty: nothing to probe). */
  servicePorts(group: string): Promise<number[]>;
  /** groups.json `service` of a group: host name (SNI, Host, certificate name), path, healthy statuses. */
  service?(group: string): Promise<ServiceSpec | undefined>;
  /** Which member addresses may be probed (loopback only against a fake AWS). */
  allowTarget(ip: string): boolean;
}

export interface BotDeps {
  store: Store;
  vcs: VcsPort;
  chat: ChatPort;
  cloud: CloudPort;
  checks?: CheckSettings;
  settings: BotSettings;
  log: Logger;
  /** Serialises work on one request (webhooks, reconciliation, clicks). */
  locks: KeyedMutex;
  now(): Date;
}
