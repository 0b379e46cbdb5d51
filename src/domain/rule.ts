/**
 * The rule as Portcullis records it: one JSON file per rule under terraform/rules/,
 * committed by /sg-request (or by a person), turned into an
 * aws_vpc_security_group_ingress_rule by terraform/main.tf. This module is the single
 * definition of that file's shape; every reader and writer goes through `parseRuleFile`
 * and `serializeRuleFile`.
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

const port = z.number().int().min(-1).max(65535);

export const ruleFileSchema = z
  .object({
    id: z.string().regex(RULE_ID_PATTERN, 'letters, digits, "-" and "_" only, at most 64'),
    group: z.string().regex(GROUP_KEY_PATTERN, 'a group key such as "sg-front"'),
    direction: z.literal('ingress').default('ingress'),
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
    cidr: z.string().transform((c, ctx) => {
      const n = normalizeCidrStrict(c);
      if (n === null) {
        ctx.addIssue({ code: 'custom', message: `"${c}" is not an IPv4 or IPv6 CIDR` });
        return z.NEVER;
      }
      return n;
    }),
    description: z.string().regex(DESCRIPTION_PATTERN, '1-255 characters AWS accepts in a rule description'),
    requester: z.string().min(1).max(64),
    ticket: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_./#-]{0,63}$/).nullable().default(null),
    created_at: z.iso.datetime({ offset: true }).optional(),
    expires_at: z.iso.datetime({ offset: true }).nullable().default(null),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (protocolHasPorts(r.protocol)) {
      if (r.from_port < 1 || r.to_port < 1) ctx.addIssue({ code: 'custom', path: ['from_port'], message: 'ports are 1-65535' });
      if (r.from_port > r.to_port) ctx.addIssue({ code: 'custom', path: ['to_port'], message: 'from_port must not exceed to_port' });
    }
  });

export type RuleFile = z.output<typeof ruleFileSchema>;
export type RuleFileInput = z.input<typeof ruleFileSchema>;

/** Where rule files live in the repository, one `<id>.json` each. */
export const RULES_DIR = 'terraform/rules';

export function ruleFilePath(id: string): string {
  return `${RULES_DIR}/${id}.json`;
}

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

/** Stable, reviewable text: fixed key order, two-space indent, trailing newline. */
export function serializeRuleFile(rule: RuleFile): string {
  const ordered = {
    id: rule.id,
    group: rule.group,
    direction: rule.direction,
    protocol: rule.protocol,
    from_port: rule.from_port,
    to_port: rule.to_port,
    cidr: rule.cidr,
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
