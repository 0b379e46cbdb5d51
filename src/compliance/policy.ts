/**
 * The security policy as data: every *.yml / *.yaml file in the policies directory holds
 * a list of policies, each a CEL condition over one rule, and may name the managed
 * prefix lists that hold only private addresses (`private_prefix_lists`; every other
 * prefix list is judged as public, see facts.ts). Raw files become a checked PolicySet
 * once, at load; a bad file is refused naming the file, the policy and the problem, so an
 * operator never finds out from a pipeline that half a policy was ignored.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { policyEnvironment, type RuleFacts } from './facts.ts';
import { InputError } from '../domain/errors.ts';

export const DEFAULT_POLICY_DIR = fileURLToPath(new URL('../../policies/', import.meta.url));

const policySchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lower-case letters, digits and "-"'),
    severity: z.enum(['deny', 'warn']),
    description: z.string().trim().min(1),
    remediation: z.string().trim().min(1),
    /** Which rules the policy looks at (CEL, default: every rule). */
    when: z.string().trim().min(1).default('true'),
    /** What those rules must satisfy (CEL); a rule for which it is false violates the policy. */
    require: z.string().trim().min(1),
    /**
     * Whether the policy also judges rules with values unknown until apply. Other
     * policies skip them: they would be judging placeholders.
     */
    applies_to_unknown: z.boolean().default(false),
  })
  .strict();

/** A managed prefix list id as AWS writes it: `pl-` and 8 (AWS-managed lists) to 17 hex digits. */
export const PREFIX_LIST_ID_PATTERN = /^pl-[0-9a-f]{8,17}$/;

const policyFileSchema = z
  .object({
    policies: z.array(z.unknown()).min(1).optional(),
    /** Prefix lists whose every entry is private: a rule from one is judged as from a private source. */
    private_prefix_lists: z.array(z.string().regex(PREFIX_LIST_ID_PATTERN, 'a prefix list id such as "pl-0123456789abcdef0"')).min(1).optional(),
  })
  .strict()
  .refine((f) => f.policies !== undefined || f.private_prefix_lists !== undefined, 'nothing in the file');

export type Severity = 'deny' | 'warn';

export interface Policy {
  id: string;
  severity: Severity;
  description: string;
  remediation: string;
  appliesToUnknown: boolean;
  file: string;
  /** Whether the policy looks at this rule. */
  when(rule: RuleFacts): boolean;
  /** Whether the rule satisfies the policy. */
  require(rule: RuleFacts): boolean;
}

export interface PolicySet {
  dir: string;
  policies: Policy[];
  /** Prefix-list ids the files name as private (`private_prefix_lists`); any other is public. */
  privatePrefixLists: ReadonlySet<string>;
}

/** What one policy file declares. */
export interface PolicyFile {
  policies: Policy[];
  privatePrefixLists: string[];
}

export class PolicyError extends InputError {
  readonly code = 'POLICY_INVALID';
}

export async function loadPolicies(dir: string = DEFAULT_POLICY_DIR): Promise<PolicySet> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort();
  } catch (err) {
    throw new PolicyError(`reading policies from ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (names.length === 0) throw new PolicyError(`${dir}: no policy files (*.yml)`);
  const env = policyEnvironment();
  const policies: Policy[] = [];
  const privatePrefixLists = new Set<string>();
  const seen = new Map<string, string>();
  for (const name of names) {
    const file = path.join(dir, name);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new PolicyError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    const parsed = parsePolicyFile(text, file, env);
    for (const policy of parsed.policies) {
      const other = seen.get(policy.id);
      if (other) throw new PolicyError(`${file}: policy "${policy.id}": id already used in ${other}`);
      seen.set(policy.id, file);
      policies.push(policy);
    }
    for (const id of parsed.privatePrefixLists) privatePrefixLists.add(id);
  }
  // Files that only name prefix lists would judge nothing: every rule would pass.
  if (policies.length === 0) throw new PolicyError(`${dir}: no policies in ${names.join(', ')}`);
  return { dir, policies, privatePrefixLists };
}

/** Parses one policy file's text; exported for tests. */
export function parsePolicyFile(text: string, file: string, env = policyEnvironment()): PolicyFile {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new PolicyError(`${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const top = policyFileSchema.safeParse(doc);
  if (!top.success) {
    throw new PolicyError(`${file}: ${issueText(top.error)} (expected a top-level "policies:" list, and optionally "private_prefix_lists:")`);
  }
  const policies = (top.data.policies ?? []).map((raw, index): Policy => {
    const label = typeof (raw as { id?: unknown })?.id === 'string' ? `policy "${(raw as { id: string }).id}"` : `policy #${index + 1}`;
    const parsed = policySchema.safeParse(raw);
    if (!parsed.success) throw new PolicyError(`${file}: ${label}: ${issueText(parsed.error)}`);
    const p = parsed.data;
    const compile = (field: 'when' | 'require') => {
      const checked = env.check(p[field]);
      if (!checked.valid) {
        throw new PolicyError(`${file}: ${label}: ${field}: ${checked.error?.message.split('\n')[0] ?? 'invalid expression'}`);
      }
      if (checked.type !== 'bool') throw new PolicyError(`${file}: ${label}: ${field}: must be a condition (bool), is ${checked.type}`);
      const evaluate = env.parse(p[field]);
      return (rule: RuleFacts) => evaluate({ rule }) === true;
    };
    return {
      id: p.id,
      severity: p.severity,
      description: p.description,
      remediation: p.remediation,
      appliesToUnknown: p.applies_to_unknown,
      file,
      when: compile('when'),
      require: compile('require'),
    };
  });
  return { policies, privatePrefixLists: top.data.private_prefix_lists ?? [] };
}

function issueText(error: z.ZodError): string {
  const issue = error.issues[0]!;
  return `${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`;
}
