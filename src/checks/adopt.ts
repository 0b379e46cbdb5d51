/**
 * Adopting a group's live rules (`portcullis import`): each live rule becomes a rule file
 * (id `IMP-<the sgr- id's hex>`, so importing twice names them alike) and a Terraform
 * `import` block, so the first pipeline takes them into the state in place: 0 to add,
 * 0 to destroy (their tags gain portcullis:*, changed in place). A rule a file cannot
 * express is listed with the reason, never dropped silently.
 */
import type { CloudPort, CloudRule } from '../core/ports.ts';
import { InputError } from '../domain/errors.ts';
import type { GroupSettings } from '../domain/groups.ts';
import { normalizeProtocol, protocolHasPorts } from '../domain/protocol.ts';
import { GROUP_ID_PATTERN, ruleFileSchema, serializeRuleFile, type Peer, type RuleFile } from '../domain/rule.ts';
import { liveGroups } from './consistency-gather.ts';
import { locateGroup } from './locate.ts';

export const IMPORT_REQUESTER = 'portcullis-import';

export interface Adopted {
  rule: RuleFile;
  /** The live rule's sgr- id, the import block's id. */
  awsRuleId: string;
}

export interface Skipped {
  awsRuleId: string;
  reason: string;
}

export interface Adoption {
  /** The groups.json key of the group. */
  group: string;
  groupId: string;
  adopted: Adopted[];
  skipped: Skipped[];
}

export class AdoptError extends InputError {
  readonly code = 'IMPORT_INVALID';
}

/** The group by key, or by an sg- id that a groups.json group has (a rule file names a key). */
async function findKey(cloud: CloudPort, asked: string, groups: ReadonlyMap<string, GroupSettings>): Promise<{ key: string; groupId: string }> {
  if (groups.has(asked)) {
    const group = await locateGroup(cloud, asked, groups.get(asked));
    if (!group) throw new AdoptError(`group "${asked}" is not in AWS: nothing to import`);
    return { key: asked, groupId: group.groupId };
  }
  if (!GROUP_ID_PATTERN.test(asked)) throw new AdoptError(`"${asked}" is neither a key of groups.json (${[...groups.keys()].join(', ') || 'none'}) nor a security group id`);
  const ids = await liveGroups(cloud, groups);
  const key = [...ids].find(([, id]) => id === asked)?.[0];
  if (!key) throw new AdoptError(`${asked} is no group of groups.json: declare it first (e.g. "sg-name": {"id": "${asked}"}), then import it by its key`);
  return { key, groupId: asked };
}

/** What a rule file would say of the live rule, or why it cannot say it. */
function toRuleFile(r: CloudRule, key: string, keyOfId: ReadonlyMap<string, string>, existingIds: ReadonlySet<string>): Adopted | Skipped {
  const hex = r.ruleId.replace(/^sgr-/, '');
  const skip = (reason: string): Skipped => ({ awsRuleId: r.ruleId, reason });
  const id = `IMP-${hex}`;
  if (r.tags['portcullis:request'] !== undefined && existingIds.has(r.tags['portcullis:request'])) return skip(`already managed as ${r.tags['portcullis:request']}`);
  if (existingIds.has(id)) return skip(`already imported as ${id}`);
  const protocol = normalizeProtocol(r.protocol);
  if (protocol === null) return skip(`protocol "${r.protocol}" is not one a rule file names`);
  const peer: Peer | null = r.referencedGroupId
    ? { kind: 'security_group', value: keyOfId.get(r.referencedGroupId) ?? r.referencedGroupId }
    : r.prefixListId
      ? { kind: 'prefix_list', value: r.prefixListId }
      : r.cidr !== ''
        ? { kind: 'cidr', value: r.cidr }
        : null;
  if (peer === null) return skip('no CIDR, group or prefix list as its peer');
  const ports = protocol === '-1' ? { from_port: -1, to_port: -1 } : { from_port: r.fromPort ?? -1, to_port: r.toPort ?? -1 };
  const parsed = ruleFileSchema.safeParse({
    id,
    group: key,
    direction: r.direction,
    protocol,
    ...ports,
    ...(peer.kind === 'cidr' ? { cidr: peer.value } : peer.kind === 'security_group' ? { peer_group: peer.value } : { prefix_list: peer.value }),
    description: r.description,
    requester: IMPORT_REQUESTER,
    ticket: null,
    expires_at: null,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return skip(`${issue.path.join('.') || 'rule'}: ${issue.message}`);
  }
  if (protocolHasPorts(protocol) && (r.fromPort === null || r.toPort === null)) return skip('a tcp/udp rule without ports');
  return { rule: parsed.data, awsRuleId: r.ruleId };
}

/** Reads the group's live rules and says which become rule files and which cannot. */
export async function adoptGroup(cloud: CloudPort, asked: string, groups: ReadonlyMap<string, GroupSettings>, existingRuleIds: ReadonlySet<string>): Promise<Adoption> {
  const { key, groupId } = await findKey(cloud, asked, groups);
  const keyOfId = new Map([...(await liveGroups(cloud, groups))].map(([k, id]) => [id, k]));
  const adopted: Adopted[] = [];
  const skipped: Skipped[] = [];
  for (const r of (await cloud.groupRules(groupId)).sort((a, b) => a.ruleId.localeCompare(b.ruleId))) {
    const result = toRuleFile(r, key, keyOfId, existingRuleIds);
    if ('rule' in result) adopted.push(result);
    else skipped.push(result);
  }
  return { group: key, groupId, adopted, skipped };
}

/** The rule files' texts by path under `rulesDir`. */
export function adoptedFiles(adoption: Adoption, rulesDir: string): Map<string, string> {
  return new Map(adoption.adopted.map((a) => [`${rulesDir}/${a.rule.id}.json`, serializeRuleFile(a.rule)]));
}

/** The import blocks, one per adopted rule; ids and addresses are checked patterns, so no quoting is needed. */
export function importBlocks(adoption: Adoption, at: Date): string {
  const blocks = adoption.adopted.map((a) => {
    const type = a.rule.direction === 'egress' ? 'aws_vpc_security_group_egress_rule' : 'aws_vpc_security_group_ingress_rule';
    return `import {\n  to = ${type}.rule["${a.rule.id}"]\n  id = "${a.awsRuleId}"\n}\n`;
  });
  return [`# Written by \`portcullis import --group ${adoption.group}\` at ${at.toISOString()}: adopts the live rules of`, `# ${adoption.group} (${adoption.groupId}) into the state. Keep or delete once deployed.`, '', ...blocks].join('\n');
}
