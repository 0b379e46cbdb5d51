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
import type { GroupSettings } from '../domain/groups.ts';
import { rulesDirOf } from '../domain/environment.ts';
import { peerFields, rulePeer, ruleFileSchema, type Peer, type RuleFile } from '../domain/rule.ts';
import { locateGroup } from '../checks/locate.ts';
import type { BotDeps } from './deps.ts';
import { cloudOf, environmentsOf, UnknownEnvironmentError } from './environments.ts';
import type { CloudRule } from './ports.ts';
import { recordAndOpen } from './queue.ts';

export interface Submission {
  input: RequestInput;
  /** Slack user id of the person asking. */
  requester: string;
  /** Their Slack name, for the merge request (the id alone means little in GitLab). */
  requesterName?: string;
  /** The environment's groups.json as read, so groups made elsewhere are found by their id or lookup. */
  groups?: ReadonlyMap<string, GroupSettings>;
}

const ID_PREFIX = 'REQ-';

/** The same policies as the pipeline, judged before anything is created. */
export function precheck(policies: PolicySet, input: RequestInput): ComplianceReport {
  const change = proposedRuleChange({
    direction: input.direction,
    protocol: input.protocol,
    from_port: input.fromPort,
    to_port: input.toPort,
    ...peerFields(input.peer),
    description: input.justification,
    security_group: input.group,
  });
  return judgeChanges([change], policies);
}

/** The rule asked for exists already: live in AWS, or asked for by an open request. */
export class DuplicateRuleError extends InputError {
  readonly code = 'RULE_DUPLICATE';
}

/** The peer group or prefix list is not in AWS, or the group is in another VPC or account. */
export class UnknownPeerError extends InputError {
  readonly code = 'PEER_UNKNOWN';
}

const samePeer = (a: Peer, b: Peer) => a.kind === b.kind && a.value === b.value;

/** The live rule's peer as a Peer (a group by id). */
function livePeer(r: CloudRule): Peer {
  if (r.referencedGroupId) return { kind: 'security_group', value: r.referencedGroupId };
  if (r.prefixListId) return { kind: 'prefix_list', value: r.prefixListId };
  return { kind: 'cidr', value: r.cidr };
}

/**
 * A group or prefix-list peer must exist, and a group must be in the same VPC and account
 * as the rule's group (AWS would refuse it at deploy, after someone approved). Returns the
 * peer as AWS names it (a group key becomes its id). AWS not answering is a refusal here:
 * the peer cannot be vouched for.
 */
async function resolvePeer(deps: BotDeps, input: RequestInput, groups: ReadonlyMap<string, GroupSettings>): Promise<Peer> {
  const { peer } = input;
  if (peer.kind === 'cidr') return peer;
  const cloud = cloudIn(deps, input);
  try {
    if (peer.kind === 'prefix_list') {
      if (!(await cloud.findPrefixList(peer.value))) throw new UnknownPeerError(`the prefix list ${peer.value} does not exist in AWS`);
      return peer;
    }
    const target = await locateGroup(cloud, input.group, groups.get(input.group));
    if (!target) throw new UnknownPeerError(`${input.group} does not exist in AWS yet, so a group peer cannot be checked against it; deploy the group first`);
    const found = groups.has(peer.value) ? await locateGroup(cloud, peer.value, groups.get(peer.value), target.vpcId) : await cloud.findGroup(peer.value);
    if (!found) throw new UnknownPeerError(`the security group ${peer.value} does not exist in AWS`);
    if (found.vpcId !== target.vpcId || found.ownerId !== target.ownerId) {
      throw new UnknownPeerError(`the security group ${peer.value} is in ${found.vpcId} of account ${found.ownerId}, not in ${target.vpcId} of ${target.ownerId} with ${input.group}`);
    }
    return { kind: 'security_group', value: found.groupId };
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new UnknownPeerError(`checking the peer ${peer.value} in AWS: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * AWS refuses a second identical rule in a group (InvalidPermission.Duplicate), so such a
 * request could only fail at deploy, after someone approved it. Refuse it up front. AWS
 * being unreachable is no reason to refuse: the pipeline will tell.
 */
async function refuseDuplicate(deps: BotDeps, input: RequestInput, awsPeer: Peer, groups: ReadonlyMap<string, GroupSettings>): Promise<void> {
  const port = (p: number | null) => p ?? -1;
  const same = (direction: string, protocol: string, from: number | null, to: number | null) =>
    direction === input.direction && protocol === input.protocol && port(from) === input.fromPort && port(to) === input.toPort;
  const open = deps.store.requests
    .open()
    .find((r) => r.kind === 'request' && r.environment === input.environment && r.rule?.group === input.group && same(r.rule.direction, r.rule.protocol, r.rule.from_port, r.rule.to_port) && samePeer(rulePeer(r.rule), input.peer));
  if (open) throw new DuplicateRuleError(`${open.id} already asks for exactly this rule; follow it in its thread`);
  let live: CloudRule[];
  try {
    const cloud = cloudIn(deps, input);
    const group = await locateGroup(cloud, input.group, groups.get(input.group));
    live = group ? await cloud.groupRules(group.groupId) : [];
  } catch (err) {
    deps.log.warn({ err, group: input.group }, 'reading live rules to spot a duplicate failed; not checked');
    return;
  }
  const hit = live.find((r) => same(r.direction, r.protocol, r.fromPort, r.toPort) && samePeer(livePeer(r), awsPeer));
  if (hit) throw new DuplicateRuleError(`${input.group} already allows exactly this (${hit.tags['portcullis:request'] ?? hit.ruleId}); nothing to ask for`);
}

/**
 * Records the request and, unless another one holds the state, opens it in GitLab. GitLab
 * failures after the request is stored are reported in its thread and leave it `failed`;
 * a failure before (reading the rules folder for the next id) rejects, nothing stored.
 */
export async function submitRequest(deps: BotDeps, submission: Submission): Promise<ChangeRequest> {
  const groups = submission.groups ?? new Map<string, GroupSettings>();
  const awsPeer = await resolvePeer(deps, submission.input, groups);
  await refuseDuplicate(deps, submission.input, awsPeer, groups);
  const ref = await deps.vcs.defaultBranch();
  // Ids are unique across environments: every environment's rules folder is counted.
  const inGit = (await Promise.all(environmentsOf(deps).list.map((env) => deps.vcs.listFiles(ref, rulesDirOf(env))))).flat();
  // From here to the save in recordAndOpen nothing awaits: the id, the queue decision and the row are one step.
  const id = nextRequestId(deps, inGit);
  const rule = ruleOf(id, submission, deps.now().toISOString());
  return recordAndOpen(deps, { id, kind: 'request', environment: submission.input.environment, rule, requester: submission.requester }, submission.requesterName);
}

/** AWS in the account of the environment asked for; an environment not configured is refused. */
function cloudIn(deps: BotDeps, input: RequestInput) {
  const env = environmentsOf(deps).get(input.environment);
  if (!env) throw new UnknownEnvironmentError(`there is no environment "${input.environment}"`);
  return cloudOf(deps, env);
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
    direction: s.input.direction,
    protocol: s.input.protocol,
    from_port: s.input.fromPort,
    to_port: s.input.toPort,
    ...peerFields(s.input.peer),
    description: s.input.justification,
    requester: s.requester,
    ticket: s.input.ticket,
    created_at: at,
    expires_at: s.input.expiresAt,
  });
}
