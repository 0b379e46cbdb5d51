/**
 * Reads the three sides of the consistency check into the normalised lists
 * consistency.ts compares: rule files (from GitLab's default branch or a checkout), the
 * Terraform state (version 4 JSON, as GitLab's HTTP backend stores it) and the live
 * ingress rules of each declared group through the CloudPort.
 */
import type { CloudPort, CloudRule, VcsPort } from '../core/ports.ts';
import { normalizeCidrStrict } from '../domain/cidr.ts';
import { InputError } from '../domain/errors.ts';
import { ALL_PROTOCOLS, normalizeProtocol } from '../domain/protocol.ts';
import { parseRuleFile, RuleFileError, RULES_DIR } from '../domain/rule.ts';
import { compareConsistency, type ConsistencyResult, type GitRule, type InvalidRuleFile, type LiveRule, type RuleShape, type StateRule } from './consistency.ts';

export const GROUPS_FILE = 'terraform/groups.json';
/** TF_STATE_NAME's default in terraform/.gitlab-ci.yml. */
export const DEFAULT_STATE_NAME = 'portcullis';

const RULE_TYPE = 'aws_vpc_security_group_ingress_rule';
const GROUP_TYPE = 'aws_security_group';

/** An input of the check that cannot be read: the check cannot say anything, so exit 2. */
export class ConsistencyInputError extends InputError {
  readonly code = 'CONSISTENCY_INPUT';
}

export interface RuleFileText {
  /** e.g. terraform/rules/REQ-12.json */
  path: string;
  text: string;
}

/** What git and GitLab hold: the rule files, the declared group keys and the state's text (null: no state yet). */
export interface GitSide {
  ruleFiles: RuleFileText[];
  groupKeys: string[];
  stateText: string | null;
  /** Where the state came from, for error messages (a file, an address, a state name). */
  stateSource?: string;
}

// ------------------------------------------------------------------ normalising

/** "-1" ports (all ICMP types) and the ports of an all-protocols rule mean "no ports": null. */
function shape(group: string, protocol: string, from: unknown, to: unknown, cidr: string, description: unknown): RuleShape {
  const proto = normalizeProtocol(protocol) ?? protocol;
  const port = (p: unknown) => (typeof p !== 'number' || p === -1 || proto === ALL_PROTOCOLS ? null : p);
  return {
    group,
    protocol: proto,
    fromPort: port(from),
    toPort: port(to),
    cidr: cidr === '' ? '' : (normalizeCidrStrict(cidr) ?? cidr),
    description: typeof description === 'string' ? description : '',
  };
}

/** Rule files as Terraform reads them: *.json directly in the folder, each named after its id. */
export function readRuleFiles(files: readonly RuleFileText[]): { git: GitRule[]; invalid: InvalidRuleFile[] } {
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
      git.push({ id, ...shape(rule.group, rule.protocol, rule.from_port, rule.to_port, rule.cidr, rule.description) });
    } catch (err) {
      if (!(err instanceof RuleFileError)) throw err;
      invalid.push({ id, path, message: err.message.startsWith(`${path}: `) ? err.message.slice(path.length + 2) : err.message });
    }
  }
  return { git, invalid };
}

/** The keys of terraform/groups.json ({"sg-front": {...}, ...}). */
export function readGroupKeys(text: string, name = GROUPS_FILE): string[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConsistencyInputError(`${name}: not JSON (${(err as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ConsistencyInputError(`${name}: expected an object of groups by key`);
  }
  return Object.keys(json);
}

interface StateInstance {
  index_key?: unknown;
  attributes?: Record<string, unknown>;
}

/**
 * The ingress rules a version-4 Terraform state holds, each with its group key (found
 * through the state's aws_security_group instances). null text: no state yet, no rules.
 */
export function readStateRules(text: string | null, name: string = 'Terraform state'): StateRule[] {
  if (text === null || text.trim() === '') return [];
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
  const instancesOf = (type: string, resourceName: string): StateInstance[] =>
    resources
      .filter((r) => r.mode === 'managed' && r.type === type && r.name === resourceName && Array.isArray(r.instances))
      .flatMap((r) => r.instances as StateInstance[]);

  const groupKeyById = new Map<string, string>();
  for (const g of instancesOf(GROUP_TYPE, 'group')) {
    if (typeof g.attributes?.id === 'string') groupKeyById.set(g.attributes.id, String(g.index_key ?? g.attributes.name));
  }
  return instancesOf(RULE_TYPE, 'rule').map((instance) => {
    const a = instance.attributes ?? {};
    const groupId = String(a.security_group_id ?? '');
    const tags = (a.tags ?? {}) as Record<string, unknown>;
    const group = groupKeyById.get(groupId) ?? (typeof tags['portcullis:group'] === 'string' ? tags['portcullis:group'] : groupId);
    const cidr = String(a.cidr_ipv4 ?? a.cidr_ipv6 ?? '');
    return {
      id: String(instance.index_key),
      ruleId: String(a.security_group_rule_id ?? a.id ?? ''),
      ...shape(group, String(a.ip_protocol ?? ''), a.from_port, a.to_port, cidr, a.description),
    };
  });
}

/** A live rule of the group `groupKey`, normalised like the other two sides. */
export function toLiveRule(groupKey: string, rule: CloudRule): LiveRule {
  return {
    ruleId: rule.ruleId,
    request: rule.tags['portcullis:request'] ?? null,
    ...shape(groupKey, rule.protocol, rule.fromPort, rule.toPort, rule.cidr, rule.description),
  };
}

/** Live ingress rules of the declared groups; a group AWS does not have contributes none. */
export async function readLiveRules(cloud: CloudPort, groupKeys: readonly string[]): Promise<LiveRule[]> {
  const perGroup = await Promise.all(
    groupKeys.map(async (key) => {
      const group = await cloud.findGroup(key);
      if (!group) return [];
      const rules = await cloud.ingressRules(group.groupId);
      return rules.map((r) => toLiveRule(key, r));
    }),
  );
  return perGroup.flat();
}

// ------------------------------------------------------------------ the check

export async function checkConsistency(side: GitSide, cloud: CloudPort): Promise<ConsistencyResult> {
  const { git, invalid } = readRuleFiles(side.ruleFiles);
  const state = readStateRules(side.stateText, side.stateSource);
  const live = await readLiveRules(cloud, side.groupKeys);
  return compareConsistency({ git, invalidFiles: invalid, state, live });
}

/** The rule files and groups on the default branch, and the GitLab-managed state: what the bot checks after a deploy. */
export async function readGitSide(vcs: VcsPort, stateName: string = DEFAULT_STATE_NAME): Promise<GitSide> {
  const ref = await vcs.defaultBranch();
  const [paths, groupsText, stateText] = await Promise.all([vcs.listFiles(ref, RULES_DIR), vcs.readFile(ref, GROUPS_FILE), vcs.terraformState(stateName)]);
  if (groupsText === null) throw new ConsistencyInputError(`${GROUPS_FILE}: not found on ${ref}`);
  const ruleFiles = await Promise.all(
    paths
      .filter((p) => p.endsWith('.json'))
      .map(async (path) => ({ path, text: (await vcs.readFile(ref, path)) ?? '' })),
  );
  return { ruleFiles, groupKeys: readGroupKeys(groupsText, `${GROUPS_FILE} on ${ref}`), stateText, stateSource: `Terraform state ${stateName}` };
}

/** The bot's check after a deploy: default branch, GitLab's state and AWS. */
export async function checkConsistencyFromGitLab(vcs: VcsPort, cloud: CloudPort, stateName: string = DEFAULT_STATE_NAME): Promise<ConsistencyResult> {
  return checkConsistency(await readGitSide(vcs, stateName), cloud);
}
