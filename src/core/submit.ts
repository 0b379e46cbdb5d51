/**
 * /sg-request, once Slack has been answered: refuse a rule that is already live or
 * already asked for, give the request its id and rule file, and hand it to the queue
 * (queue.ts), which records it and opens it in GitLab. `precheck` is the policy check the
 * Slack surfaces make before that, with the same policies as the pipeline.
 */
import { judgeChanges, type ComplianceReport } from '../compliance/engine.ts';
import type { PolicySet } from '../compliance/policy.ts';
import { proposedRuleChange } from '../compliance/request.ts';
import { InputError } from '../domain/errors.ts';
import type { ChangeRequest, RequestInput } from '../domain/request.ts';
import { ruleFileSchema, RULES_DIR, type RuleFile } from '../domain/rule.ts';
import type { BotDeps } from './deps.ts';
import type { CloudRule } from './ports.ts';
import { recordAndOpen } from './queue.ts';

export interface Submission {
  input: RequestInput;
  /** Slack user id of the person asking. */
  requester: string;
  /** Their Slack name, for the merge request (the id alone means little in GitLab). */
  requesterName?: string;
}

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

/**
 * Records the request and, unless another one holds the state, opens it in GitLab. GitLab
 * failures after the request is stored are reported in its thread and leave it `failed`;
 * a failure before (reading the rules folder for the next id) rejects, nothing stored.
 */
export async function submitRequest(deps: BotDeps, submission: Submission): Promise<ChangeRequest> {
  await refuseDuplicate(deps, submission.input);
  const ref = await deps.vcs.defaultBranch();
  const inGit = await deps.vcs.listFiles(ref, RULES_DIR);
  // From here to the save in recordAndOpen nothing awaits: the id, the queue decision and the row are one step.
  const id = nextRequestId(deps, inGit);
  const rule = ruleOf(id, submission, deps.now().toISOString());
  return recordAndOpen(deps, { id, kind: 'request', rule, requester: submission.requester }, submission.requesterName);
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
