/**
 * The rule as Portcullis records it: one JSON file per rule under terraform/rules/,
 * committed by /sg-request, `portcullis import` or a person, turned into an
 * aws_vpc_security_group_ingress_rule or _egress_rule by terraform/main.tf. This module
 * is the single definition of that file's shape; every reader and writer goes through
 * `parseRuleFile` and `serializeRuleFile`.
 *
 * The peer — the source of an ingress rule, the destination of an egress rule — is
 * exactly one of `cidr` (IPv4 or IPv6), `peer_group` (a groups.json key or an `sg-` id)
 * and `prefix_list` (a managed prefix list's `pl-` id). Files from before egress and
 * peers other than CIDRs existed (`direction` absent, `cidr` set) stay valid as they are.
 */
import { z } from 'zod';
import { normalizeCidrStrict } from './cidr.ts';
import { normalizeProtocol, protocolHasPorts } from './protocol.ts';
import { InputError } from './errors.ts';

/** Request and rule ids: also a file name and part of a branch name, so deliberately narrow. */
export const RULE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** Security-group keys as declared in terraform/groups.json (e.g. `sg-front`). */
export const GROUP_KEY_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** What AWS accepts in a rule description (EC2 API reference), up to 255 characters. */
export const DESCRIPTION_PATTERN = /^[A-Za-z0-9 ._\-:/()#,@[\]+=&;{}!$*]{1,255}$/;
/** A rule file may also have no description (""): a live rule adopted by `portcullis import` often has none. */
const FILE_DESCRIPTION_PATTERN = /^[A-Za-z0-9 ._\-:/()#,@[\]+=&;{}!$*]{0,255}$/;
/** EC2 ids: a prefix and 8 or 17 hex digits. A groups.json key never looks like one (groups.ts). */
export const GROUP_ID_PATTERN = /^sg-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
export const PREFIX_LIST_ID_PATTERN = /^pl-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;

export type Direction = 'ingress' | 'egress';

/** The other end of a rule: where ingress comes from, where egress goes to. */
export type Peer =
  | { kind: 'cidr'; value: string }
  /** A groups.json key, or an sg- id. */
  | { kind: 'security_group'; value: string }
  | { kind: 'prefix_list'; value: string };

export type PeerKind = Peer['kind'];

/** The rule file key that holds each kind of peer. */
export const PEER_KEYS = { cidr: 'cidr', security_group: 'peer_group', prefix_list: 'prefix_list' } as const satisfies Record<PeerKind, string>;

const port = z.number().int().min(-1).max(65535);

export const ruleFileSchema = z
  .object({
    id: z.string().regex(RULE_ID_PATTERN, 'letters, digits, "-" and "_" only, at most 64'),
    group: z.string().regex(GROUP_KEY_PATTERN, 'a group key such as "sg-front"'),
    direction: z.enum(['ingress', 'egress']).default('ingress'),
    protocol: z.string().transform((p, ctx) => {
      const n = normalizeProtocol(p);
      if (n === null) {
        ctx.addIssue({ code: 'custom', message: `unknown protocol "${p}"` });
        return z.NEVER;
      }
      return n;
    }),
    from_port: port,
    to_port: port,
    cidr: z
      .string()
      .transform((c, ctx) => {
        const n = normalizeCidrStrict(c);
        if (n === null) {
          ctx.addIssue({ code: 'custom', message: `"${c}" is not an IPv4 or IPv6 CIDR` });
          return z.NEVER;
        }
        return n;
      })
      .optional(),
    peer_group: z
      .string()
      .refine((g) => GROUP_ID_PATTERN.test(g) || GROUP_KEY_PATTERN.test(g), 'a groups.json key such as "sg-app" or a security group id such as "sg-0123456789abcdef0"')
      .optional(),
    prefix_list: z.string().regex(PREFIX_LIST_ID_PATTERN, 'a managed prefix list id such as "pl-0123456789abcdef0"').optional(),
    description: z.string().regex(FILE_DESCRIPTION_PATTERN, 'at most 255 characters AWS accepts in a rule description'),
    requester: z.string().min(1).max(64),
    ticket: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_./#-]{0,63}$/).nullable().default(null),
    created_at: z.iso.datetime({ offset: true }).optional(),
    expires_at: z.iso.datetime({ offset: true }).nullable().default(null),
  })
  .strict()
  .superRefine((r, ctx) => {
    const peers = Object.values(PEER_KEYS).filter((k) => r[k] !== undefined);
    if (peers.length !== 1) {
      ctx.addIssue({ code: 'custom', path: [peers[1] ?? 'cidr'], message: 'exactly one of cidr, peer_group and prefix_list names the rule\'s peer' });
    }
    if (protocolHasPorts(r.protocol)) {
      if (r.from_port < 1 || r.to_port < 1) ctx.addIssue({ code: 'custom', path: ['from_port'], message: 'ports are 1-65535' });
      if (r.from_port > r.to_port) ctx.addIssue({ code: 'custom', path: ['to_port'], message: 'from_port must not exceed to_port' });
    }
  });

export type RuleFile = z.output<typeof ruleFileSchema>;
export type RuleFileInput = z.input<typeof ruleFileSchema>;

/** Where rule files live in the repository, one `<id>.json` each. */
export const RULES_DIR = 'terraform/rules';

/** Parses and validates a rule file's text; throws RuleFileError naming the file and field. */
export function parseRuleFile(text: string, name = 'rule file'): RuleFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new RuleFileError(`${name}: not JSON (${(err as Error).message})`);
  }
  const parsed = ruleFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RuleFileError(`${name}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** The rule's peer (the schema guarantees there is exactly one). */
export function rulePeer(rule: Pick<RuleFile, 'cidr' | 'peer_group' | 'prefix_list'>): Peer {
  if (rule.peer_group !== undefined) return { kind: 'security_group', value: rule.peer_group };
  if (rule.prefix_list !== undefined) return { kind: 'prefix_list', value: rule.prefix_list };
  return { kind: 'cidr', value: rule.cidr ?? '' };
}

/** The rule file fields of a peer: `{cidr}`, `{peer_group}` or `{prefix_list}`. */
export function peerFields(peer: Peer): Partial<Pick<RuleFile, 'cidr' | 'peer_group' | 'prefix_list'>> {
  return { [PEER_KEYS[peer.kind]]: peer.value };
}

/** "203.0.113.0/24", "group sg-app", "prefix list pl-…", as a person reads the peer. */
export function describePeer(peer: Peer): string {
  return peer.kind === 'cidr' ? peer.value : `${peer.kind === 'security_group' ? 'group' : 'prefix list'} ${peer.value}`;
}

/** Stable, reviewable text: fixed key order, two-space indent, trailing newline. */
export function serializeRuleFile(rule: RuleFile): string {
  const ordered = {
    id: rule.id,
    group: rule.group,
    direction: rule.direction,
    protocol: rule.protocol,
    from_port: rule.from_port,
    to_port: rule.to_port,
    ...peerFields(rulePeer(rule)),
    description: rule.description,
    requester: rule.requester,
    ticket: rule.ticket,
    ...(rule.created_at ? { created_at: rule.created_at } : {}),
    expires_at: rule.expires_at,
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

export class RuleFileError extends InputError {
  readonly code = 'RULE_FILE_INVALID';
}
