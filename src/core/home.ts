/**
 * Keeping App Home tabs current. A Home tab is published when its owner opens it, and
 * again when a request they are concerned by changes state. Only people who opened
 * their Home since the bot started (deps.homeViewers) get such pushes: approver groups
 * can be large, and everyone else is served fresh the moment they open the tab anyway.
 */
import { isExpired } from '../domain/approval.ts';
import type { ChangeRequest } from '../domain/request.ts';
import { homeView, type AwaitingApproval, type HomeInput, type RecentChange } from '../slack/blocks/home.ts';
import type { RequestLinks } from '../slack/blocks/request.ts';
import { approvers } from './approvers.ts';
import { changersOf } from './changers.ts';
import type { BotDeps } from './deps.ts';
import { environmentOf, environmentsOf } from './environments.ts';
import type { Store } from './ports.ts';
import { envJob, readPipeline } from './pipeline.ts';
import { planRefused } from './gate.ts';

/** Deployed changes shown under "Recent changes". */
export const RECENT_SHOWN = 10;

type Links = RequestLinks & { jobUrl: string | null };

/** What every Home is built from, read once however many Homes are published. */
interface Board {
  /** Approvers by environment: one may approve only the requests of an environment they approve. */
  approvers: ReadonlyMap<string, ReadonlySet<string>>;
  open: ChangeRequest[];
  recent: RecentChange[];
  links: ReadonlyMap<string, Links>;
  /** Slack users who made part of each waiting request (they may not approve it). */
  changers: ReadonlyMap<string, ReadonlySet<string>>;
  /** Waiting requests whose plan the bot refuses to deploy: offered to nobody. */
  refused: ReadonlySet<string>;
}

/**
 * The last deployed requests, newest first. The Store port lists only open requests, so
 * the candidates are the requests the audit log mentions (every approved deploy is there).
 */
function recentChanges(store: Store): RecentChange[] {
  const ids = new Set(store.audit.list().map((e) => e.requestId));
  return [...ids]
    .map((id) => store.requests.get(id))
    .filter((r): r is ChangeRequest => r?.state === 'deployed')
    .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))
    .slice(0, RECENT_SHOWN)
    // The approvals table holds those counted for the plan that was deployed (it is
    // cleared whenever a decision starts over), which is what "approved by" means here.
    .map((request) => ({ request, approvedBy: store.approvals.list(request.id), at: request.updatedAt }));
}

/** Pipeline, merge request and deploy job links of a request; none when GitLab does not answer. */
async function linksOf(deps: BotDeps, request: ChangeRequest): Promise<Links | null> {
  if (request.pipelineId === null) return null;
  try {
    const [facts, mr] = await Promise.all([readPipeline(deps, request.pipelineId, environmentOf(deps, request).jobs), deps.vcs.findMergeRequest(request.branch)]);
    return { pipelineUrl: facts.pipeline.webUrl, mergeRequestUrl: mr?.webUrl ?? null, jobUrl: envJob(facts, 'deploy')?.webUrl ?? null };
  } catch (err) {
    deps.log.warn({ requestId: request.id, err: (err as Error).message }, 'home: links not shown, GitLab did not answer');
    return null;
  }
}

async function loadBoard(deps: BotDeps): Promise<Board> {
  const open = deps.store.requests.open();
  const waiting = open.filter((r) => r.state === 'awaiting_approval');
  const envs = environmentsOf(deps).list;
  const [who, links, changers] = await Promise.all([
    Promise.all(envs.map(async (env) => [env.name, await approvers(deps, env)] as const)),
    Promise.all(waiting.map((r) => linksOf(deps, r))),
    Promise.all(waiting.map((r) => changersFor(deps, r))),
  ]);
  const byId = new Map<string, Links>();
  waiting.forEach((r, i) => links[i] && byId.set(r.id, links[i]));
  const changersById = new Map(waiting.map((r, i) => [r.id, changers[i]!] as const));
  const refused = new Set(waiting.filter((r) => planRefused(deps, r)).map((r) => r.id));
  return { approvers: new Map(who), open, recent: recentChanges(deps.store), links: byId, changers: changersById, refused };
}

/** Who changed a waiting request; when GitLab or Slack cannot say, only its requester (an Approve click reads it again). */
async function changersFor(deps: BotDeps, request: ChangeRequest): Promise<ReadonlySet<string>> {
  try {
    return (await changersOf(deps, request)).slackUsers;
  } catch (err) {
    deps.log.warn({ requestId: request.id, err: (err as Error).message }, 'home: who changed the request could not be read');
    return new Set(request.requester === null ? [] : [request.requester]);
  }
}

/** The same rules as an Approve click (judgeApproval), minus the branch head: only what can be shown. */
function awaitingApprovalOf(deps: BotDeps, board: Board, user: string): AwaitingApproval[] {
  const now = deps.now();
  const envs = environmentsOf(deps);
  return board.open
    .filter((r) => r.state === 'awaiting_approval' && board.approvers.get(r.environment)?.has(user) && r.requester !== user && !board.changers.get(r.id)?.has(user))
    .filter((r) => { const env = envs.get(r.environment); return env !== undefined && !isExpired(r, env.approvals.ttlMs, now); })
    .map((request) => ({ request, approvedBy: deps.store.approvals.list(request.id), requiredApprovals: envs.get(request.environment)!.approvals.required }))
    .filter(({ approvedBy }) => !approvedBy.includes(user))
    // A plan the bot refused gets no Approve in its thread; nor here.
    .filter(({ request }) => !board.refused.has(request.id));
}

function homeInput(deps: BotDeps, board: Board, user: string): HomeInput {
  return {
    user,
    awaitingMyApproval: awaitingApprovalOf(deps, board, user),
    mine: board.open.filter((r) => r.requester === user),
    recent: board.recent,
    requiredApprovals: deps.settings.requiredApprovals,
    links: board.links,
  };
}

async function publish(deps: BotDeps, board: Board, user: string): Promise<void> {
  deps.homeViewers.note(user);
  await deps.chat.publishHome(user, homeView(homeInput(deps, board, user)));
}

/** Publishes `user`'s Home tab as things stand now; keeps it current from then on. */
export async function refreshHome(deps: BotDeps, user: string): Promise<void> {
  await publish(deps, await loadBoard(deps), user);
}

/**
 * Refreshes the open Homes a request's change shows on: its requester's and the
 * approvers'; everyone's once it is deployed (it joins "Recent changes"). Never throws:
 * a Home that could not be refreshed must not fail the pipeline news that caused it.
 */
export async function refreshHomes(deps: BotDeps, request: ChangeRequest): Promise<void> {
  const open = deps.homeViewers.list();
  if (open.length === 0) return;
  try {
    const board = await loadBoard(deps);
    const concerned = open.filter((u) => request.state === 'deployed' || u === request.requester || board.approvers.get(request.environment)?.has(u) === true);
    for (const user of concerned) {
      await publish(deps, board, user).catch((err: unknown) => deps.log.warn({ user, requestId: request.id, err: (err as Error).message }, 'home: publish failed'));
    }
  } catch (err) {
    deps.log.warn({ requestId: request.id, err: (err as Error).message }, 'home: refresh failed');
  }
}
