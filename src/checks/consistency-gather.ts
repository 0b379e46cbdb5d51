/**
 * Reads the three sides of the consistency check into the normalised lists
 * consistency.ts compares: rule files (from GitLab's default branch or a checkout), the
 * Terraform state (version 4 JSON, as GitLab's HTTP backend stores it) and the live
 * rules, ingress and egress, of each declared group through the CloudPort.
 *
 * A peer group is named by its groups.json key wherever its id is known (the state's
 * groups, the live groups found in AWS), so `peer_group: "sg-app"` in git, the id in the
 * state and the id in AWS compare equal. The allow-all egress rule main.tf gives each
 * group it creates (`aws_vpc_security_group_egress_rule.all_outbound`) is Terraform's too:
 * it is not a rule file, so it is matched by its rule id and never reported as added by hand.
 */
import type { CloudPort, CloudRule, VcsPort } from '../core/ports.ts';
import { normalizeCidrStrict } from '../domain/cidr.ts';
import { InputError } from '../domain/errors.ts';
import { GROUPS_FILE, parseGroupsFile, type GroupSettings } from '../domain/groups.ts';
import { ALL_PROTOCOLS, normalizeProtocol } from '../domain/protocol.ts';
import { describePeer, parseRuleFile, rulePeer, RuleFileError, RULES_DIR, type Peer } from '../domain/rule.ts';
import { compareConsistency, type ConsistencyResult, type GitRule, type InvalidRuleFile, type LiveRule, type RuleShape, type StateRule } from './consistency.ts';
import { locateGroup } from './locate.ts';

export { GROUPS_FILE } from '../domain/groups.ts';
import { SINGLE_STATE_NAME } from '../domain/environment.ts';

const RULE_TYPES = { aws_vpc_security_group_ingress_rule: 'ingress', aws_vpc_security_group_egress_rule: 'egress' } as const;
const GROUP_TYPE = 'aws_security_group';
const EXISTING_GROUP_TYPE = 'aws_security_group';
/** main.tf's allow-all egress of each group it creates: Terraform's, not a rule file's. */
const BASELINE = { type: 'aws_vpc_security_group_egress_rule', name: 'all_outbound' } as const;

/** A group id's groups.json key, where known. */
export type GroupKeyOf = (groupId: string) => string | undefined;

/** An input of the check that cannot be read: the check cannot say anything, so exit 2. */
export class ConsistencyInputError extends InputError {
  readonly code = 'CONSISTENCY_INPUT';
}

export interface RuleFileText {
  /** e.g. terraform/rules/REQ-12.json */
  path: string;
  text: string;
}

/** What git and GitLab hold: the rule files, the declared groups and the state's text (null: no state yet). */
export interface GitSide {
  ruleFiles: RuleFileText[];
  groups: ReadonlyMap<string, GroupSettings>;
  stateText: string | null;
  /** Where the state came from, for error messages (a file, an address, a state name). */
  stateSource?: string;
}

// ------------------------------------------------------------------ normalising

/** The peer as the three sides compare it: a normalised CIDR, "group <key or id>", "prefix list pl-…". */
function peerText(peer: Peer | null, groupKeyOf: GroupKeyOf): string {
  if (peer === null) return '(no peer)';
  if (peer.kind === 'cidr') return normalizeCidrStrict(peer.value) ?? peer.value;
  if (peer.kind === 'security_group') return describePeer({ kind: 'security_group', value: groupKeyOf(peer.value) ?? peer.value });
  return describePeer(peer);
}

/** The peer Terraform's attributes (state) or EC2's fields (live) name. */
function peerOf(cidr: unknown, groupId: unknown, prefixList: unknown): Peer | null {
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  const g = text(groupId);
  const p = text(prefixList);
  const c = text(cidr);
  return g ? { kind: 'security_group', value: g } : p ? { kind: 'prefix_list', value: p } : c ? { kind: 'cidr', value: c } : null;
}

/** "-1" ports (all ICMP types) and the ports of an all-protocols rule mean "no ports": null. */
function shape(group: string, direction: 'ingress' | 'egress', protocol: string, from: unknown, to: unknown, peer: string, description: unknown): RuleShape {
  const proto = normalizeProtocol(protocol) ?? protocol;
  const port = (p: unknown) => (typeof p !== 'number' || p === -1 || proto === ALL_PROTOCOLS ? null : p);
  return {
    group,
    direction,
    protocol: proto,
    fromPort: port(from),
    toPort: port(to),
    peer,
    description: typeof description === 'string' ? description : '',
  };
}

const noKeys: GroupKeyOf = () => undefined;

/** Rule files as Terraform reads them: *.json directly in the folder, each named after its id. */
export function readRuleFiles(files: readonly RuleFileText[], groupKeyOf: GroupKeyOf = noKeys): { git: GitRule[]; invalid: InvalidRuleFile[] } {
  const git: GitRule[] = [];
  const invalid: InvalidRuleFile[] = [];
  for (const { path, text } of files) {
    const name = path.slice(path.lastIndexOf('/') + 1);
    if (!name.endsWith('.json')) continue;
    const id = name.slice(0, -'.json'.length);
    try {
      const rule = parseRuleFile(text, path);
      if (rule.id !== id) {
        invalid.push({ id, path, message: `holds the rule "${rule.id}": a rule file must be named after its id` });
        continue;
      }
      git.push({ id, ...shape(rule.group, rule.direction, rule.protocol, rule.from_port, rule.to_port, peerText(rulePeer(rule), groupKeyOf), rule.description) });
    } catch (err) {
      if (!(err instanceof RuleFileError)) throw err;
      invalid.push({ id, path, message: err.message.startsWith(`${path}: `) ? err.message.slice(path.length + 2) : err.message });
    }
  }
  return { git, invalid };
}

/** terraform/groups.json, checked as everywhere (src/domain/groups.ts). */
export function readGroups(text: string, name = GROUPS_FILE): Map<string, GroupSettings> {
  return parseGroupsFile(text, name);
}

interface StateInstance {
  index_key?: unknown;
  attributes?: Record<string, unknown>;
}

/** What a state holds: the rules of rule files, the baseline egress rules, and the group keys by id. */
export interface StateContents {
  rules: StateRule[];
  /** security_group_rule_ids of all_outbound: live, they are Terraform's own. */
  baseline: string[];
  groupKeys: Map<string, string>;
}

/**
 * The rules a version-4 Terraform state holds, each with its group key (found through
 * the state's aws_security_group instances and the existing groups' data sources). null
 * text: no state yet, no rules.
 */
export function readStateRules(text: string | null, name: string = 'Terraform state', groupKeyOf: GroupKeyOf = noKeys): StateRule[] {
  return readState(text, name, groupKeyOf).rules;
}

export function readState(text: string | null, name: string = 'Terraform state', groupKeyOf: GroupKeyOf = noKeys): StateContents {
  if (text === null || text.trim() === '') return { rules: [], baseline: [], groupKeys: new Map() };
  let json: { version?: unknown; resources?: unknown };
  try {
    json = JSON.parse(text) as typeof json;
  } catch (err) {
    throw new ConsistencyInputError(`${name}: not JSON (${(err as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || json.version !== 4 || !Array.isArray(json.resources)) {
    throw new ConsistencyInputError(`${name}: not a version 4 Terraform state`);
  }
  const resources = json.resources as Array<{ mode?: unknown; type?: unknown; name?: unknown; instances?: unknown }>;
  const instancesOf = (mode: string, type: string, resourceName: string): StateInstance[] =>
    resources
      .filter((r) => r.mode === mode && r.type === type && r.name === resourceName && Array.isArray(r.instances))
      .flatMap((r) => r.instances as StateInstance[]);

  const groupKeys = new Map<string, string>();
  for (const g of [...instancesOf('managed', GROUP_TYPE, 'group'), ...instancesOf('data', EXISTING_GROUP_TYPE, 'existing')]) {
    if (typeof g.attributes?.id === 'string') groupKeys.set(g.attributes.id, String(g.index_key ?? g.attributes.name));
  }
  const keyOf: GroupKeyOf = (id) => groupKeys.get(id) ?? groupKeyOf(id);
  const rules = Object.entries(RULE_TYPES).flatMap(([type, direction]) =>
    instancesOf('managed', type, 'rule').map((instance) => {
      const a = instance.attributes ?? {};
      const groupId = String(a.security_group_id ?? '');
      const tags = (a.tags ?? {}) as Record<string, unknown>;
      const group = keyOf(groupId) ?? (typeof tags['portcullis:group'] === 'string' ? tags['portcullis:group'] : groupId);
      const peer = peerOf(a.cidr_ipv4 ?? a.cidr_ipv6, a.referenced_security_group_id, a.prefix_list_id);
      return {
        id: String(instance.index_key),
        ruleId: String(a.security_group_rule_id ?? a.id ?? ''),
        ...shape(group, direction, String(a.ip_protocol ?? ''), a.from_port, a.to_port, peerText(peer, keyOf), a.description),
      };
    }),
  );
  const baseline = instancesOf('managed', BASELINE.type, BASELINE.name).map((i) => String(i.attributes?.security_group_rule_id ?? i.attributes?.id ?? ''));
  return { rules, baseline, groupKeys };
}

/** A live rule of the group `groupKey`, normalised like the other two sides. */
export function toLiveRule(groupKey: string, rule: CloudRule, groupKeyOf: GroupKeyOf = noKeys): LiveRule {
  return {
    ruleId: rule.ruleId,
    request: rule.tags['portcullis:request'] ?? null,
    ...shape(groupKey, rule.direction, rule.protocol, rule.fromPort, rule.toPort, peerText(peerOf(rule.cidr, rule.referencedGroupId, rule.prefixListId), groupKeyOf), rule.description),
  };
}

/** The declared groups AWS has, by key; a group AWS does not have is left out. */
export async function liveGroups(cloud: CloudPort, groups: ReadonlyMap<string, GroupSettings>): Promise<Map<string, string>> {
  const found = await Promise.all([...groups].map(async ([key, settings]) => [key, (await locateGroup(cloud, key, settings))?.groupId] as const));
  return new Map(found.filter((f): f is readonly [string, string] => f[1] !== undefined));
}

/** Live rules, both directions, of the declared groups (by key → id, from liveGroups). */
export async function readLiveRules(cloud: CloudPort, groupIds: ReadonlyMap<string, string>, groupKeyOf: GroupKeyOf = noKeys): Promise<LiveRule[]> {
  const perGroup = await Promise.all([...groupIds].map(async ([key, id]) => (await cloud.groupRules(id)).map((r) => toLiveRule(key, r, groupKeyOf))));
  return perGroup.flat();
}

// ------------------------------------------------------------------ the check

export async function checkConsistency(side: GitSide, cloud: CloudPort): Promise<ConsistencyResult> {
  const ids = await liveGroups(cloud, side.groups);
  const fromAws = new Map([...ids].map(([key, id]) => [id, key]));
  const state = readState(side.stateText, side.stateSource, (id) => fromAws.get(id));
  const groupKeyOf: GroupKeyOf = (id) => fromAws.get(id) ?? state.groupKeys.get(id);
  const { git, invalid } = readRuleFiles(side.ruleFiles, groupKeyOf);
  const baseline = new Set(state.baseline);
  const live = (await readLiveRules(cloud, ids, groupKeyOf)).filter((r) => !baseline.has(r.ruleId));
  return compareConsistency({ git, invalidFiles: invalid, state: state.rules, live });
}

/** The rule files and groups on the default branch, and the GitLab-managed state: what the bot checks after a deploy. */
/** `files`: an environment's groups.json and rules folder (default the single environment's). */
export async function readGitSide(vcs: VcsPort, stateName: string = SINGLE_STATE_NAME, files: { groupsFile: string; rulesDir: string } = { groupsFile: GROUPS_FILE, rulesDir: RULES_DIR }): Promise<GitSide> {
  const ref = await vcs.defaultBranch();
  const { groupsFile, rulesDir } = files;
  const [paths, groupsText, stateText] = await Promise.all([vcs.listFiles(ref, rulesDir), vcs.readFile(ref, groupsFile), vcs.terraformState(stateName)]);
  if (groupsText === null) throw new ConsistencyInputError(`${groupsFile}: not found on ${ref}`);
  const ruleFiles = await Promise.all(
    paths
      .filter((p) => p.endsWith('.json'))
      .map(async (path) => ({ path, text: (await vcs.readFile(ref, path)) ?? '' })),
  );
  return { ruleFiles, groups: readGroups(groupsText, `${groupsFile} on ${ref}`), stateText, stateSource: `Terraform state ${stateName}` };
}

/** The bot's check after a deploy: default branch, GitLab's state and AWS. */
export async function checkConsistencyFromGitLab(vcs: VcsPort, cloud: CloudPort, stateName: string = SINGLE_STATE_NAME, files?: { groupsFile: string; rulesDir: string }): Promise<ConsistencyResult> {
  return checkConsistency(await readGitSide(vcs, stateName, files), cloud);
}
