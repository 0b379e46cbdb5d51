/**
 * An accepted /sg-request becomes a stored request, a parent message, and then — after
 * Slack has been answered — a branch, one rule file committed on it, a merge request and
 * exactly one pipeline. A revocation of an expired rule (src/core/expiry.ts) takes the
 * same road, its one commit deleting the rule file. One Terraform state takes one change
 * at a time: while a request holds it (from its creation until a final state), later
 * ones wait as `queued` and `startNextQueued` starts the oldest when the state is free.
 */
import { judgeChanges, type ComplianceReport } from '../compliance/engine.ts';
import type { PolicySet } from '../compliance/policy.ts';
import { proposedRuleChange } from '../compliance/request.ts';
import { branchFor, type ChangeRequest, type RequestState } from '../domain/request.ts';
import { ruleFilePath, ruleFileSchema, serializeRuleFile, type RuleFile } from '../domain/rule.ts';
import { requestParent, requestTitle, type RequestLinks } from '../slack/blocks/request.ts';
import { submitFailed } from '../slack/blocks/sg-request.ts';
import { converge } from './converge.ts';
import { InputError } from '../domain/errors.ts';
import { refreshHomes } from './home.ts';
import type { BotDeps } from './deps.ts';
import type { CloudRule, FileAction } from './ports.ts';

/** A validated request, as the Slack surfaces hand it over. Ports are -1 for protocols without ports. */
export interface RequestInput {
  group: string;
  protocol: string;
  fromPort: number;
  toPort: number;
  cidr: string;
  justification: string;
  ticket: string | null;
  expiresAt: string | null;
}

export interface Submission {
  input: RequestInput;
  /** Slack user id of the person asking. */
  requester: string;
  /** Their Slack name, for the merge request (the id alone means little in GitLab). */
  requesterName?: string;
}

/** States in which a request holds the Terraform state (or is about to). */
const HOLDS_STATE: ReadonlySet<RequestState> = new Set(['submitted', 'planning', 'awaiting_approval', 'deploying']);

/**
 * Whether a request holds the state. Pipelines the bot did not start (a person's push, the
 * default branch after a merge) do not: they may wait at their manual deploy forever and
 * would block the queue. Terraform itself keeps them from applying over a request: the
 * state is locked during apply and a saved plan made against an older state is refused.
 */
function holdsState(r: ChangeRequest): boolean {
  return r.kind !== 'external' && HOLDS_STATE.has(r.state);
}
const RULES_DIR = 'terraform/rules';
const ID_PREFIX = 'REQ-';

/** The same policies as the pipeline, judged before anything is created. */
export function precheck(policies: PolicySet, input: RequestInput): ComplianceReport {
  const change = proposedRuleChange({
    protocol: input.protocol,
    from_port: input.fromPort,
    to_port: input.toPort,
    cidr: input.cidr,
    description: input.justification,
    security_group: input.group,
  });
  return judgeChanges([change], policies);
}

/**
 * Records the request and, unless another one holds the state, opens it in GitLab. GitLab
 * failures after the request is stored are reported in its thread and leave it `failed`;
 * a failure before (reading the rules folder for the next id) rejects, nothing stored.
 */
/** The rule asked for exists already: live in AWS, or asked for by an open request. */
export class DuplicateRuleError extends InputError {
  readonly code = 'RULE_DUPLICATE';
}

/**
 * AWS refuses a second identical rule in a group (InvalidPermission.Duplicate), so such a
 * request could only fail at deploy, after someone approved it. Refuse it up front. AWS
 * being unreachable is no reason to refuse: the pipeline will tell.
 */
async function refuseDuplicate(deps: BotDeps, input: RequestInput): Promise<void> {
  const port = (p: number | null) => p ?? -1;
  const same = (protocol: string, from: number | null, to: number | null, cidr: string) =>
    protocol === input.protocol && port(from) === input.fromPort && port(to) === input.toPort && cidr === input.cidr;
  const open = deps.store.requests
    .open()
    .find((r) => r.kind === 'request' && r.rule?.group === input.group && same(r.rule.protocol, r.rule.from_port, r.rule.to_port, r.rule.cidr));
  if (open) throw new DuplicateRuleError(`${open.id} already asks for exactly this rule; follow it in its thread`);
  let live: CloudRule[];
  try {
    const group = await deps.cloud.findGroup(input.group);
    live = group ? await deps.cloud.ingressRules(group.groupId) : [];
  } catch (err) {
    deps.log.warn({ err, group: input.group }, 'reading live rules to spot a duplicate failed; not checked');
    return;
  }
  const hit = live.find((r) => same(r.protocol, r.fromPort, r.toPort, r.cidr));
  if (hit) throw new DuplicateRuleError(`${input.group} already allows exactly this (${hit.tags['portcullis:request'] ?? hit.ruleId}); nothing to ask for`);
}

export async function submitRequest(deps: BotDeps, submission: Submission): Promise<ChangeRequest> {
  await refuseDuplicate(deps, submission.input);
  const ref = await deps.vcs.defaultBranch();
  const inGit = await deps.vcs.listFiles(ref, RULES_DIR);
  // From here to the save in recordAndOpen nothing awaits: the id, the queue decision and the row are one step.
  const id = nextRequestId(deps, inGit);
  const rule = ruleOf(id, submission, deps.now().toISOString());
  return recordAndOpen(deps, { id, kind: 'request', rule, requester: submission.requester }, submission.requesterName);
}

/** A request about to be recorded: a rule to add (kind `request`) or to remove (kind `revocation`). */
export interface NewRequest {
  id: string;
  kind: 'request' | 'revocation';
  rule: RuleFile;
  /** Slack user id of the person asking; null when the bot asks (a revocation). */
  requester: string | null;
}

/**
 * Records a request — `queued` when another holds the Terraform state — posts its parent
 * and, unless queued, opens it in GitLab. Synchronous up to the save, so a caller that
 * checked the store just before cannot be overtaken by a concurrent caller.
 */
export async function recordAndOpen(deps: BotDeps, fresh: NewRequest, requesterName?: string): Promise<ChangeRequest> {
  const { id } = fresh;
  const at = deps.now().toISOString();
  const queued = deps.store.requests.open().some((r) => r.state === 'queued' || holdsState(r));
  const request: ChangeRequest = {
    ...fresh,
    state: queued ? 'queued' : 'submitted',
    branch: branchFor(id),
    mergeRequestIid: null,
    pipelineId: null,
    sha: null,
    deployJobId: null,
    awaitingSince: null,
    createdAt: at,
    updatedAt: at,
  };
  deps.store.requests.save(request);
  deps.store.audit.record({ at, requestId: id, actor: fresh.requester ?? 'bot', action: 'submit', outcome: 'ok', detail: queued ? 'queued' : 'submitted' });
  deps.log.info({ requestId: id, kind: fresh.kind, user: fresh.requester, queued }, 'request recorded');
  await showParent(deps, request, {});
  if (!queued) await openInGitLab(deps, id, requesterName);
  await refreshHomes(deps, deps.store.requests.get(id)!);
  return deps.store.requests.get(id)!;
}

/**
 * Starts the oldest queued request when no request holds the Terraform state; returns
 * it, or null when there is nothing to start (or the state is still held). Call it
 * whenever a request reaches a final state.
 */
export async function startNextQueued(deps: BotDeps): Promise<ChangeRequest | null> {
  const open = deps.store.requests.open();
  if (open.some(holdsState)) return null;
  const next = open.find((r) => r.state === 'queued');
  // The compare-and-set makes two concurrent callers start it once.
  if (!next || !deps.store.requests.transition(next.id, 'queued', 'submitted')) return null;
  deps.log.info({ requestId: next.id }, 'starting a queued request');
  await showParent(deps, deps.store.requests.get(next.id)!, {});
  await openInGitLab(deps, next.id);
  await refreshHomes(deps, deps.store.requests.get(next.id)!);
  return deps.store.requests.get(next.id)!;
}

function nextRequestId(deps: BotDeps, pathsInGit: readonly string[]): string {
  let n = 0;
  for (const path of pathsInGit) {
    const m = /\/REQ-(\d+)\.json$/.exec(path);
    if (m) n = Math.max(n, Number(m[1]));
  }
  // Requests the store knows but git does not (queued, failed, not merged) are skipped too.
  do n += 1;
  while (deps.store.requests.get(`${ID_PREFIX}${n}`));
  return `${ID_PREFIX}${n}`;
}

function ruleOf(id: string, s: Submission, at: string): RuleFile {
  return ruleFileSchema.parse({
    id,
    group: s.input.group,
    protocol: s.input.protocol,
    from_port: s.input.fromPort,
    to_port: s.input.toPort,
    cidr: s.input.cidr,
    description: s.input.justification,
    requester: s.requester,
    ticket: s.input.ticket,
    created_at: at,
    expires_at: s.input.expiresAt,
  });
}

async function showParent(deps: BotDeps, request: ChangeRequest, links: RequestLinks): Promise<string | null> {
  try {
    return (await converge(deps, request.id, 'parent', { channel: deps.settings.channel }, requestParent(request, links))).ts;
  } catch (err) {
    // The request stands without its message; the next sync posts it.
    deps.log.error({ err, requestId: request.id }, 'posting the request message failed');
    return null;
  }
}

/** What a request puts in GitLab: its one commit and its merge request. */
interface GitLabChange {
  commitMessage: string;
  action: FileAction;
  title: string;
  description: string;
}

function gitLabChange(request: ChangeRequest, rule: RuleFile, requesterName?: string): GitLabChange {
  const path = ruleFilePath(rule.id);
  if (request.kind === 'revocation') {
    return {
      commitMessage: `${requestTitle(request)}\n\nRule ${rule.id} expired at ${rule.expires_at}; revocation opened by Portcullis.`,
      action: { action: 'delete', path },
      title: `${requestTitle(request)} (${rule.id} expired)`,
      description: revocationDescription(rule),
    };
  }
  return {
    commitMessage: `${requestTitle(request)}\n\nRequested from Slack by ${rule.requester}.`,
    action: { action: 'create', path, content: serializeRuleFile(rule) },
    title: `${requestTitle(request)} (for ${requesterName ?? rule.requester})`,
    description: mergeRequestDescription(rule, requesterName),
  };
}

/** Branch, commit, merge request, pipeline: each step named, so a failure says where it stopped. */
async function openInGitLab(deps: BotDeps, id: string, requesterName?: string): Promise<void> {
  await deps.locks.run(id, async () => {
    const request = deps.store.requests.get(id)!;
    const change = gitLabChange(request, request.rule!, requesterName);
    let step = 'reading the default branch';
    try {
      const ref = await deps.vcs.defaultBranch();
      step = `creating branch ${request.branch}`;
      await deps.vcs.createBranch(request.branch, ref);
      step = `${change.action.action === 'delete' ? 'deleting' : 'committing'} ${change.action.path}`;
      const { sha } = await deps.vcs.commitFiles(request.branch, change.commitMessage, [change.action]);
      step = 'opening the merge request';
      const mr = await deps.vcs.createMergeRequest({ sourceBranch: request.branch, targetBranch: ref, title: change.title, description: change.description });
      step = 'starting the pipeline';
      const pipeline = await deps.vcs.createPipeline(request.branch);
      // A webhook may have been synced meanwhile (it waits on this lock): keep its state.
      const current = deps.store.requests.get(id)!;
      const updated: ChangeRequest = {
        ...current,
        state: current.state === 'submitted' ? 'planning' : current.state,
        mergeRequestIid: mr.iid,
        pipelineId: current.pipelineId ?? pipeline.id,
        sha: current.sha ?? sha,
        updatedAt: deps.now().toISOString(),
      };
      deps.store.requests.save(updated);
      await showParent(deps, updated, { mergeRequestUrl: mr.webUrl, pipelineUrl: pipeline.webUrl });
    } catch (err) {
      await reportFailure(deps, id, step, err as Error);
    }
  });
  if (deps.store.requests.get(id)?.state === 'failed') await startNextQueued(deps);
}

/** Marks a submitted request failed, audits it and says why in its thread. */
export async function reportFailure(deps: BotDeps, id: string, step: string, err: Error): Promise<void> {
  deps.log.error({ err, requestId: id, step }, 'opening the request in GitLab failed');
  deps.store.requests.transition(id, 'submitted', 'failed');
  deps.store.audit.record({ at: deps.now().toISOString(), requestId: id, actor: 'bot', action: 'submit', outcome: 'error', detail: `${step}: ${err.message}` });
  const request = deps.store.requests.get(id)!;
  const parentTs = await showParent(deps, request, {});
  if (parentTs === null) return;
  await converge(deps, id, 'submit-error', { channel: deps.settings.channel, threadTs: parentTs }, submitFailed(step, err.message)).catch((e: unknown) =>
    deps.log.error({ err: e, requestId: id }, 'reporting the GitLab failure in Slack failed too'),
  );
}

/** GitLab Markdown; the Slack id is kept so the bot (and a reader) can find the person. */
function mergeRequestDescription(rule: RuleFile, requesterName?: string): string {
  return [
    `Requested from Slack by **${requesterName ?? rule.requester}** (Slack user ${rule.requester}) with /sg-request.`,
    '',
    `- Justification: ${rule.description}`,
    `- Ticket: ${rule.ticket ?? 'none'}`,
    `- Expires: ${rule.expires_at ?? 'never'}`,
    `- Rule file: \`${ruleFilePath(rule.id)}\``,
    '',
    'The pipeline checks the policy and plans the change; the deploy job is approved in Slack.',
  ].join('\n');
}

/** Why the bot removes a rule, for the reviewer of its merge request. */
function revocationDescription(rule: RuleFile): string {
  return [
    `Rule \`${rule.id}\` expired at ${rule.expires_at}; Portcullis opened this merge request to remove it.`,
    '',
    `- Originally requested by: Slack user ${rule.requester}`,
    `- Justification: ${rule.description}`,
    `- Ticket: ${rule.ticket ?? 'none'}`,
    `- Rule file removed: \`${ruleFilePath(rule.id)}\``,
    '',
    'The pipeline plans the removal; the deploy job is approved in Slack.',
  ].join('\n');
}
