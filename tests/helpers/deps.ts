/**
 * The one way tests build the bot's dependencies and its requests. `testDeps` gives a
 * real in-memory store, the real lifecycle follow-ups and a silent logger; GitLab, Slack
 * and AWS fail every call a test did not provide, naming it, so a test states exactly
 * what it expects the core to use.
 */
import { notConfiguredCloud } from '../../src/aws/not-configured.ts';
import { loadPolicies } from '../../src/compliance/policy.ts';
import type { BotDeps, BotSettings } from '../../src/core/deps.ts';
import { followUps } from '../../src/core/follow-ups.ts';
import { HomeViewers } from '../../src/core/home-viewers.ts';
import { KeyedMutex } from '../../src/core/keyed-mutex.ts';
import type { ChatPort, VcsPort } from '../../src/core/ports.ts';
import type { ChangeRequest } from '../../src/domain/request.ts';
import type { RuleFile } from '../../src/domain/rule.ts';
import { createLogger } from '../../src/log.ts';
import { openStore } from '../../src/store/index.ts';

export const TEST_CHANNEL = 'C0SECOPS';
/** policies/, as the bot loads them at start. */
export const POLICIES = await loadPolicies();

/** A port whose every call fails unless the test gives it; the failure names the call. */
export function strictPort<T extends object>(kind: string, calls: Partial<T> = {}): T {
  return new Proxy(calls as T, {
    get: (target, name: string | symbol) =>
      typeof name === 'symbol' ? undefined : (target[name as keyof T] ?? (async () => Promise.reject(new Error(`unexpected ${kind} call ${name}`)))),
  });
}

/** The bot's own GitLab user, as stubVcs answers it. */
export const BOT_GITLAB_USER = { id: 1, username: 'portcullis-bot', name: 'Portcullis Bot', email: 'portcullis-bot@example.test', commitEmail: null };

/**
 * Unless a test says otherwise, GitLab reports every pipeline as the bot's own, with no
 * commit on its branch by anyone else: nobody changed it but its requester.
 */
export const stubVcs = (calls: Partial<VcsPort> = {}): VcsPort =>
  strictPort<VcsPort>('GitLab', {
    botUser: async () => BOT_GITLAB_USER,
    pipelineUser: async () => BOT_GITLAB_USER,
    commitsNotOnDefault: async () => [],
    ...calls,
  });
export const stubChat = (calls: Partial<ChatPort> = {}): ChatPort => strictPort<ChatPort>('Slack', calls);

export type TestDepsOverrides = Partial<Omit<BotDeps, 'settings'>> & { settings?: Partial<BotSettings> };

/** BotDeps for a test; close `deps.store` when done (t.after). */
export function testDeps(overrides: TestDepsOverrides = {}): BotDeps {
  const { settings, ...rest } = overrides;
  return {
    store: openStore(':memory:'),
    vcs: stubVcs(),
    chat: stubChat(),
    cloud: notConfiguredCloud('not used by this test'),
    policies: POLICIES,
    log: createLogger({ level: 'silent' }),
    locks: new KeyedMutex(),
    homeViewers: new HomeViewers(),
    followUps,
    now: () => new Date(),
    ...rest,
    settings: { channel: TEST_CHANNEL, approverIds: new Set(['U0BOB']), approverGroup: null, requiredApprovals: 1, approvalTtlMs: 3_600_000, ...settings },
  };
}

/** The rule the default request asks for: tcp/443 from a documentation range into sg-front. */
export function ruleFile(overrides: Partial<RuleFile> = {}): RuleFile {
  return {
    id: 'REQ-12',
    group: 'sg-front',
    direction: 'ingress',
    protocol: 'tcp',
    from_port: 443,
    to_port: 443,
    cidr: '203.0.113.0/24',
    description: 'partner API',
    requester: 'U0REQUESTER',
    ticket: 'OPS-42',
    created_at: '2024-05-01T09:00:00Z',
    expires_at: '2024-06-01T00:00:00Z',
    ...overrides,
  };
}

/**
 * A request waiting for approval, its pipeline and deploy job known. With only an `id`
 * the branch, and the rule's id, follow it.
 */
export function changeRequest(overrides: Partial<ChangeRequest> = {}): ChangeRequest {
  const id = overrides.id ?? 'REQ-12';
  return {
    id,
    kind: 'request',
    environment: 'default',
    state: 'awaiting_approval',
    rule: ruleFile({ id }),
    requester: 'U0REQUESTER',
    branch: `sg-request/${id}`,
    mergeRequestIid: 7,
    pipelineId: 101,
    sha: '0123456789abcdef0123456789abcdef01234567',
    deployJobId: 555,
    planJobId: 553,
    awaitingSince: '2024-05-01T09:05:00Z',
    createdAt: '2024-05-01T09:00:00Z',
    updatedAt: '2024-05-01T09:05:00Z',
    ...overrides,
  };
}
