/**
 * The narrow ports the bot's core talks through, named for what Portcullis needs rather
 * than for the SDKs behind them (gitbeaker, Bolt's WebClient, better-sqlite3). The core
 * imports only these; adapters implement them; tests may use in-memory versions.
 */
import type { ChangeRequest, RequestState } from '../domain/request.ts';

// ---------------------------------------------------------------- GitLab

export interface PipelineInfo {
  id: number;
  ref: string;
  sha: string;
  status: string;
  source: string;
  webUrl: string;
}

export interface JobInfo {
  id: number;
  name: string;
  stage: string;
  status: string;
  webUrl: string;
  failureReason: string | null;
  /** The GitLab user who started or played it, when GitLab says. */
  user?: { username: string; name: string } | null;
}

export interface MergeRequestInfo {
  iid: number;
  state: 'opened' | 'closed' | 'merged' | 'locked' | 'unknown';
  webUrl: string;
  sha: string | null;
}

export interface FileAction {
  action: 'create' | 'update' | 'delete';
  path: string;
  /** Text content, for create and update. */
  content?: string;
}

/** A GitLab user; `email` only when GitLab tells it (the user's public email, or the bot's own). */
export interface VcsPerson {
  id: number;
  username: string;
  name: string;
  email: string | null;
}

/** A commit of a branch, with who wrote and who committed it, as GitLab records them. */
export interface CommitInfo {
  sha: string;
  authorName: string;
  authorEmail: string;
  committerName: string;
  committerEmail: string;
}

export interface VcsPort {
  /** The GitLab user the bot acts as (its token's), with its email and commit email. */
  botUser(): Promise<VcsPerson & { commitEmail: string | null }>;
  /** The GitLab user who started the pipeline, null when GitLab names none. */
  pipelineUser(pipelineId: number): Promise<VcsPerson | null>;
  /** The commits reachable from `sha` and not from the default branch (what a branch adds), newest first. */
  commitsNotOnDefault(sha: string): Promise<CommitInfo[]>;
  /** The project's default branch (where merged rules live). */
  defaultBranch(): Promise<string>;
  createBranch(branch: string, ref: string): Promise<void>;
  /** One commit on `branch` with the given file changes; returns its sha. */
  commitFiles(branch: string, message: string, actions: FileAction[]): Promise<{ sha: string }>;
  createMergeRequest(mr: { sourceBranch: string; targetBranch: string; title: string; description: string }): Promise<MergeRequestInfo>;
  createPipeline(ref: string): Promise<PipelineInfo>;
  /** Paths of the files directly in `dir` at `ref` (empty when the folder does not exist). */
  listFiles(ref: string, dir: string): Promise<string[]>;
  /** The GitLab-managed Terraform state by name, as raw JSON text; null when there is none. */
  terraformState(name: string): Promise<string | null>;
  getPipeline(pipelineId: number): Promise<PipelineInfo>;
  /** Latest attempt of every job of the pipeline (retried ones left out). */
  listPipelineJobs(pipelineId: number): Promise<JobInfo[]>;
  /** Commit the branch points at, or null when the branch does not exist. */
  branchHead(branch: string): Promise<string | null>;
  /** A repository file's text at a ref (branch or commit), or null when it does not exist there. */
  readFile(ref: string, path: string): Promise<string | null>;
  /** A job's artifact file as text, or null when the job has no such artifact. */
  readArtifact(jobId: number, path: string): Promise<string | null>;
  /** The last `lines` lines of a job's log. */
  jobLogTail(jobId: number, lines: number): Promise<string>;
  /** Plays a manual job; rejects with a VcsError saying why GitLab refused. */
  playJob(jobId: number): Promise<JobInfo>;
  cancelPipeline(pipelineId: number): Promise<void>;
  findMergeRequest(branch: string): Promise<MergeRequestInfo | null>;
  closeMergeRequest(iid: number): Promise<void>;
  mergeMergeRequest(iid: number, sha: string | null): Promise<void>;
  /** Recent pipelines of a branch, newest first (reconciliation). */
  listBranchPipelines(branch: string): Promise<PipelineInfo[]>;
}

// ---------------------------------------------------------------- AWS (read only)

export interface CloudGroup {
  groupId: string;
  groupName: string;
  vpcId: string;
  /** The account that owns it. */
  ownerId: string;
}

export interface CloudRule {
  ruleId: string;
  groupId: string;
  direction: 'ingress' | 'egress';
  /** Normalised like rule files: tcp, udp, icmp, "-1", or a number. */
  protocol: string;
  fromPort: number | null;
  toPort: number | null;
  /** IPv4 or IPv6 CIDR; "" for rules whose peer is a group or prefix list. */
  cidr: string;
  /** The referenced group's id, when the peer is a group. */
  referencedGroupId: string | null;
  /** The managed prefix list's id, when the peer is one. */
  prefixListId: string | null;
  description: string;
  tags: Record<string, string>;
}

/** How a group made elsewhere is found (groups.json `lookup`), in one VPC when given. */
export interface GroupLookup {
  name?: string;
  tags: Record<string, string>;
  vpcId?: string;
}

export interface CloudMember {
  instanceId: string;
  /** Public IPv4 address (loopback in tests and the sandbox). */
  publicIp: string;
  name: string | null;
}

export interface CloudPort {
  callerIdentity(): Promise<{ account: string; arn: string }>;
  /** A group by name (our group keys are group names) or id; null when AWS has none. */
  findGroup(nameOrId: string): Promise<CloudGroup | null>;
  /** Every group matching the lookup (more than one is for the caller to refuse). */
  lookupGroups(lookup: GroupLookup): Promise<CloudGroup[]>;
  /** Live rules of a group, ingress and egress. */
  groupRules(groupId: string): Promise<CloudRule[]>;
  /** A managed prefix list by id; null when AWS has none. */
  findPrefixList(prefixListId: string): Promise<{ prefixListId: string; name: string } | null>;
  /** Running instances of the group that have a public address. */
  publicMembers(groupId: string): Promise<CloudMember[]>;
}

// ---------------------------------------------------------------- Slack

/** Block Kit blocks, as plain JSON; builders in src/slack/blocks keep them inside Slack's limits. */
export type Block = Record<string, unknown>;

export interface SlackMessage {
  text: string;
  blocks?: Block[];
}

export interface ChatPort {
  post(channel: string, message: SlackMessage, threadTs?: string): Promise<{ ts: string }>;
  update(channel: string, ts: string, message: SlackMessage): Promise<void>;
  postEphemeral(channel: string, user: string, text: string, threadTs?: string): Promise<void>;
  uploadText(channel: string, threadTs: string, file: { filename: string; title: string; content: string }): Promise<void>;
  openModal(triggerId: string, view: Record<string, unknown>): Promise<void>;
  usergroupMembers(usergroupId: string): Promise<string[]>;
  /** The Slack user with this email (users.lookupByEmail), null when there is none. */
  lookupUserByEmail(email: string): Promise<string | null>;
  /** Publishes a person's App Home tab. */
  publishHome(user: string, view: Record<string, unknown>): Promise<void>;
}

// ---------------------------------------------------------------- Store

export interface InboxDelivery {
  /** Idempotency-Key, else X-Gitlab-Event-UUID, else a hash of the body. */
  key: string;
  /** X-Gitlab-Event, e.g. "Pipeline Hook". */
  event: string;
  body: string;
  receivedAt: string;
}

export interface InboxItem extends InboxDelivery {
  seq: number;
  attempts: number;
}

export interface AuditEntry {
  at: string;
  requestId: string;
  /** Slack user id, or "gitlab" / "bot". */
  actor: string;
  /** approve | reject | refuse | play | cancel | merge | expire ... */
  action: string;
  outcome: 'ok' | 'refused' | 'error';
  detail: string;
}

export interface Store {
  inbox: {
    /** Stores a delivery; false when the same key was stored before (a duplicate). */
    add(delivery: InboxDelivery): boolean;
    /** Stores several deliveries in one transaction; for each, false when a duplicate. */
    addMany(deliveries: readonly InboxDelivery[]): boolean[];
    /** The oldest delivery not yet processed and due, or undefined. */
    next(now: Date): InboxItem | undefined;
    done(seq: number): void;
    /** Leaves the delivery in the inbox to be tried again at `retryAt`. */
    retryLater(seq: number, error: string, retryAt: Date): void;
    /**
     * Parks the delivery as failed after its last attempt: next() no longer returns it;
     * it stays in the inbox, listed as failed, until an operator puts it back.
     */
    fail(seq: number, error: string): void;
    /** Deliveries waiting to be processed (failed ones not counted). */
    pending(): number;
    /**
     * Forgets deliveries processed before the given time; returns how many. Until then a
     * redelivery of the same key is recognised as a duplicate.
     */
    prune(processedBefore: Date): number;
  };
  requests: {
    get(id: string): ChangeRequest | undefined;
    byPipeline(pipelineId: number): ChangeRequest | undefined;
    /** Inserts or replaces the whole record. */
    save(request: ChangeRequest): void;
    /**
     * Moves a request from `from` to `to` (and applies `patch`) only if it is still in
     * `from`; true when this call made the move. The one way concurrent clicks are
     * serialised.
     */
    transition(id: string, from: RequestState, to: RequestState, patch?: Partial<ChangeRequest>): boolean;
    /** Requests not in a final state. */
    open(): ChangeRequest[];
  };
  /** Slack messages by (request, topic): converge instead of append. */
  messages: {
    get(requestId: string, topic: string): { channel: string; ts: string; hash: string } | undefined;
    put(requestId: string, topic: string, ref: { channel: string; ts: string; hash: string }): void;
  };
  approvals: {
    /** Records an approval; false when this user already approved. */
    add(requestId: string, user: string, at: string): boolean;
    list(requestId: string): string[];
    clear(requestId: string): void;
  };
  audit: {
    record(entry: AuditEntry): void;
    list(requestId?: string): AuditEntry[];
  };
  close(): void;
}
