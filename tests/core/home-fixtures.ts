/** BotDeps for Home tab tests: a real in-memory store, GitLab and Slack answered by stubs. */
import { pino } from 'pino';
import { notConfiguredCloud } from '../../src/aws/not-configured.ts';
import type { BotDeps } from '../../src/core/deps.ts';
import { KeyedMutex } from '../../src/core/keyed-mutex.ts';
import type { ChatPort, VcsPort } from '../../src/core/ports.ts';
import type { ChangeRequest } from '../../src/domain/request.ts';
import { openStore } from '../../src/store/index.ts';
import { rule } from '../slack/fixtures.ts';

export const NOW = new Date('2025-03-01T12:00:00.000Z');
export const REQUESTER = 'U0ALICE';
export const APPROVER = 'U0BOB';
/** An approver through the approver user group. */
export const GROUP_APPROVER = 'U0CAROL';
export const BYSTANDER = 'U0DAVE';
export const GROUP = 'S0APPROVERS';
export const GITLAB = 'http://127.0.0.1:8929/infra/firewall';

/** A VcsPort whose every call fails unless the test gives it; names the call that was not expected. */
export function stubVcs(calls: Partial<VcsPort> = {}): VcsPort {
  return new Proxy(calls as VcsPort, {
    get: (target, name: string) => target[name as keyof VcsPort] ?? (async () => Promise.reject(new Error(`unexpected GitLab call ${name}`))),
  });
}

/** GitLab answering for any pipeline: a deploy job waiting, a merge request per branch. */
export function answeringVcs(overrides: Partial<VcsPort> = {}): VcsPort {
  return stubVcs({
    getPipeline: async (id) => ({ id, ref: 'x', sha: 'abc', status: 'manual', source: 'api', webUrl: `${GITLAB}/-/pipelines/${id}` }),
    listPipelineJobs: async (id) => [{ id: id * 10, name: 'deploy', stage: 'deploy', status: 'manual', webUrl: `${GITLAB}/-/jobs/${id * 10}`, failureReason: null }],
    findMergeRequest: async (branch) => ({ iid: 7, state: 'opened', webUrl: `${GITLAB}/-/merge_requests/7?branch=${encodeURIComponent(branch)}`, sha: null }),
    ...overrides,
  });
}

export interface Published {
  user: string;
  view: Record<string, unknown>;
}

export interface StubChat extends ChatPort {
  published: Published[];
}

/** Records Home publishes; the approver group has GROUP_APPROVER; anything else is unexpected. */
export function stubChat(overrides: Partial<ChatPort> = {}): StubChat {
  const published: Published[] = [];
  const unexpected = (name: string) => async () => Promise.reject(new Error(`unexpected Slack call ${name}`));
  return {
    published,
    post: unexpected('post'),
    update: unexpected('update'),
    postEphemeral: unexpected('postEphemeral'),
    uploadText: unexpected('uploadText'),
    openModal: unexpected('openModal'),
    usergroupMembers: async (id) => (id === GROUP ? [GROUP_APPROVER] : []),
    publishHome: async (user, view) => void published.push({ user, view }),
    ...overrides,
  };
}

export function homeDeps(
  t: { after(fn: () => void): void },
  parts: { vcs?: VcsPort; chat?: ChatPort; requiredApprovals?: number } = {},
): BotDeps {
  const store = openStore(':memory:');
  t.after(() => store.close());
  return {
    store,
    vcs: parts.vcs ?? answeringVcs(),
    chat: parts.chat ?? stubChat(),
    cloud: notConfiguredCloud('not used by the Home tab'),
    settings: {
      channel: 'C0SECOPS',
      approverIds: new Set([APPROVER, REQUESTER]),
      approverGroup: GROUP,
      requiredApprovals: parts.requiredApprovals ?? 1,
      approvalTtlMs: 24 * 3600_000,
    },
    log: pino({ level: 'silent' }),
    locks: new KeyedMutex(),
    now: () => NOW,
  };
}

export function stored(deps: BotDeps, overrides: Partial<ChangeRequest> & { id: string }): ChangeRequest {
  const request: ChangeRequest = {
    kind: 'request',
    state: 'awaiting_approval',
    rule: rule({ id: overrides.id, requester: overrides.requester ?? REQUESTER, ticket: null, created_at: '2025-03-01T10:00:00Z', expires_at: null }),
    requester: REQUESTER,
    branch: `sg-request/${overrides.id}`,
    mergeRequestIid: 7,
    pipelineId: 100,
    sha: '0123456789abcdef0123456789abcdef01234567',
    deployJobId: 1000,
    awaitingSince: '2025-03-01T11:00:00.000Z',
    createdAt: '2025-03-01T10:00:00.000Z',
    updatedAt: '2025-03-01T11:00:00.000Z',
    ...overrides,
  };
  deps.store.requests.save(request);
  return request;
}
