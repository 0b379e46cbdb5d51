/**
 * One Terraform state takes one change at a time. A request is recorded `queued` while
 * another holds the state, `submitted` otherwise; a submitted request is opened in
 * GitLab: a branch, one commit on it (adding its rule file, or deleting it for a
 * revocation), a merge request and exactly one pipeline. `startNextQueued` starts the
 * oldest queued request once nothing holds the state; the follow-ups of a request
 * reaching a final state call it (follow-ups.ts).
 */
import { newChangeRequest, type ChangeRequest, type RequestState } from '../domain/request.ts';
import type { RuleFile } from '../domain/rule.ts';
import type { BotDeps } from './deps.ts';
import { withNewRequest, withRequest, type RequestTx } from './lifecycle.ts';
import { gitLabChange } from './merge-request-text.ts';
import { showParent, showSubmitFailure } from './thread.ts';

/** States in which a request holds the Terraform state (or is about to). */
const HOLDS_STATE: ReadonlySet<RequestState> = new Set(['submitted', 'planning', 'awaiting_approval', 'deploying']);

/**
 * Whether a request holds its environment's state. Pipelines the bot did not start (a person's push, the
 * default branch after a merge) do not: they may wait at their manual deploy forever and
 * would block the queue. Terraform itself keeps them from applying over a request: the
 * state is locked during apply and a saved plan made against an older state is refused.
 */
function holdsState(r: ChangeRequest): boolean {
  return r.kind !== 'external' && HOLDS_STATE.has(r.state);
}

/** A request about to be recorded: a rule to add (kind `request`) or to remove (kind `revocation`). */
export interface NewRequest {
  id: string;
  kind: 'request' | 'revocation';
  /** The environment whose state, folder and approvers it uses. */
  environment: string;
  rule: RuleFile;
  /** Slack user id of the person asking; null when the bot asks (a revocation). */
  requester: string | null;
}

/**
 * Records a request — `queued` when another holds the Terraform state — posts its parent
 * and, unless queued, opens it in GitLab. Synchronous up to the save, so a caller that
 * checked the store just before cannot be overtaken by a concurrent caller. GitLab
 * failures are reported in its thread and leave it `failed`.
 */
export async function recordAndOpen(deps: BotDeps, fresh: NewRequest, requesterName?: string): Promise<ChangeRequest> {
  // One queue per Terraform state, that is per environment: another environment's request never holds this one up.
  const queued = deps.store.requests.open().some((r) => r.environment === fresh.environment && (r.state === 'queued' || holdsState(r)));
  const request = newChangeRequest({ ...fresh, state: queued ? 'queued' : 'submitted', at: deps.now().toISOString() });
  const note = { actor: fresh.requester ?? 'bot', action: 'submit', outcome: 'ok', detail: queued ? 'queued' : 'submitted' } as const;
  await withNewRequest(deps, request, note, async (tx) => {
    deps.log.info({ requestId: request.id, kind: fresh.kind, user: fresh.requester, queued }, 'request recorded');
    await showParent(deps, request, {});
    if (!queued) await openInGitLab(deps, tx, requesterName);
  });
  return deps.store.requests.get(request.id)!;
}

/**
 * Starts the oldest queued request when no request holds the Terraform state; returns
 * it, or null when there is nothing to start (or the state is still held).
 */
export async function startNextQueued(deps: BotDeps): Promise<ChangeRequest | null> {
  const open = deps.store.requests.open();
  // The oldest queued request of every environment whose state is free.
  const heads = [...new Map(open.filter((r) => r.state === 'queued').reverse().map((r) => [r.environment, r])).values()].reverse();
  let first: ChangeRequest | null = null;
  for (const next of heads) first ??= await startQueued(deps, next);
  return first;
}

async function startQueued(deps: BotDeps, next: ChangeRequest): Promise<ChangeRequest | null> {
  const started = await withRequest(deps, next.id, async (tx) => {
    // Checked again under the lock; the compare-and-set makes two concurrent callers start it once.
    const held = deps.store.requests.open().some((r) => r.environment === next.environment && holdsState(r));
    if (held || !tx.transition('queued', 'submitted')) return false;
    deps.log.info({ requestId: next.id }, 'starting a queued request');
    await showParent(deps, tx.current(), {});
    await openInGitLab(deps, tx);
    return true;
  });
  return started ? deps.store.requests.get(next.id)! : null;
}

/**
 * Branch, commit, merge request, pipeline: each made only if it is not there yet, so a
 * request whose opening a stop cut short is taken up where it stopped (resumeOpening),
 * and each step named, so a failure says where it stopped.
 */
async function openInGitLab(deps: BotDeps, tx: RequestTx, requesterName?: string): Promise<void> {
  const request = tx.current();
  const change = gitLabChange(request, request.rule!, requesterName);
  let step = 'reading the default branch';
  try {
    const ref = await deps.vcs.defaultBranch();
    step = `creating branch ${request.branch}`;
    if ((await deps.vcs.branchHead(request.branch)) === null) await deps.vcs.createBranch(request.branch, ref);
    step = `${change.action.action === 'delete' ? 'deleting' : 'committing'} ${change.action.path}`;
    // The commit is done when the branch already has (or, for a removal, no longer has) the file.
    const fileThere = (await deps.vcs.readFile(request.branch, change.action.path)) !== null;
    const committed = change.action.action === 'delete' ? !fileThere : fileThere;
    const sha = committed ? await deps.vcs.branchHead(request.branch) : (await deps.vcs.commitFiles(request.branch, change.commitMessage, [change.action])).sha;
    step = 'opening the merge request';
    const mr = (await deps.vcs.findMergeRequest(request.branch)) ?? (await deps.vcs.createMergeRequest({ sourceBranch: request.branch, targetBranch: ref, title: change.title, description: change.description }));
    step = 'starting the pipeline';
    const started = (await deps.vcs.listBranchPipelines(request.branch)).find((p) => p.source !== 'parent_pipeline');
    const pipeline = started ?? (await deps.vcs.createPipeline(request.branch));
    // A webhook may have been synced meanwhile (it waits on this lock): keep what it recorded.
    const current = tx.current();
    const patch = { mergeRequestIid: mr.iid, pipelineId: current.pipelineId ?? pipeline.id, sha: current.sha ?? sha, updatedAt: deps.now().toISOString() };
    if (!tx.transition('submitted', 'planning', { patch })) tx.save({ ...tx.current(), ...patch });
    await showParent(deps, tx.current(), { mergeRequestUrl: mr.webUrl, pipelineUrl: pipeline.webUrl });
  } catch (err) {
    await failSubmission(deps, tx, step, err as Error);
  }
}

/**
 * Takes up the opening of every request still `submitted` (the bot stopped while opening
 * it): at start and at every reconciliation pass. One being opened right now is left to
 * the unit of work that holds its lock.
 */
export async function resumeOpening(deps: BotDeps): Promise<void> {
  for (const request of deps.store.requests.open().filter((r) => r.state === 'submitted')) {
    await withRequest(deps, request.id, async (tx) => {
      if (tx.current().state !== 'submitted') return;
      deps.log.info({ requestId: request.id }, 'taking up the opening of a request where it stopped');
      await openInGitLab(deps, tx);
    });
  }
}

/** Marks a submitted request failed, audits it and says why in its thread. */
export async function failSubmission(deps: BotDeps, tx: RequestTx, step: string, err: Error): Promise<void> {
  deps.log.error({ err, requestId: tx.id, step }, 'opening the request in GitLab failed');
  tx.transition('submitted', 'failed');
  tx.audit({ actor: 'bot', action: 'submit', outcome: 'error', detail: `${step}: ${err.message}` });
  await showSubmitFailure(deps, tx.current(), step, err.message);
}
