/** BotDeps for Home tab tests: a real in-memory store, GitLab and Slack answered by stubs. */
import type { Environments } from '../../src/domain/environment.ts';
import type { BotDeps } from '../../src/core/deps.ts';
import type { ChatPort, VcsPort } from '../../src/core/ports.ts';
import type { ChangeRequest } from '../../src/domain/request.ts';
import { changeRequest, ruleFile, stubVcs, testDeps } from '../helpers/deps.ts';

export const NOW = new Date('2025-03-01T12:00:00.000Z');
export const REQUESTER = 'U0ALICE';
export const APPROVER = 'U0BOB';
/** An approver through the approver user group. */
export const GROUP_APPROVER = 'U0CAROL';
export const BYSTANDER = 'U0DAVE';
export const GROUP = 'S0APPROVERS';
export const GITLAB = 'http://127.0.0.1:8929/infra/firewall';

export { stubVcs };

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
    lookupUserByEmail: unexpected('lookupUserByEmail'),
    ...overrides,
  };
}

export function homeDeps(
  t: { after(fn: () => void): void },
  parts: { vcs?: VcsPort; chat?: ChatPort; requiredApprovals?: number; environments?: Environments } = {},
): BotDeps {
  const deps = testDeps({
    ...(parts.environments ? { environments: parts.environments } : {}),
    vcs: parts.vcs ?? answeringVcs(),
    chat: parts.chat ?? stubChat(),
    settings: { approverIds: new Set([APPROVER, REQUESTER]), approverGroup: GROUP, requiredApprovals: parts.requiredApprovals ?? 1, approvalTtlMs: 24 * 3600_000 },
    now: () => NOW,
  });
  t.after(() => deps.store.close());
  return deps;
}

export function stored(deps: BotDeps, overrides: Partial<ChangeRequest> & { id: string }): ChangeRequest {
  const request = changeRequest({
    rule: ruleFile({ id: overrides.id, requester: overrides.requester ?? REQUESTER, ticket: null, created_at: '2025-03-01T10:00:00Z', expires_at: null }),
    requester: REQUESTER,
    pipelineId: 100,
    deployJobId: 1000,
    planJobId: 1000,
    awaitingSince: '2025-03-01T11:00:00.000Z',
    createdAt: '2025-03-01T10:00:00.000Z',
    updatedAt: '2025-03-01T11:00:00.000Z',
    ...overrides,
  });
  deps.store.requests.save(request);
  return request;
}
