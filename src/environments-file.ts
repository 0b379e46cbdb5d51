/**
 * The environments file (ENVIRONMENTS_FILE, e.g. portcullis.environments.yaml): several
 * environments, each with its AWS account, region and the role the bot reads it with,
 * its Terraform state, who may approve its changes, how many approvals, how long an
 * approval may wait, and optionally its own channel. Checked once at start like the
 * environment variables: every problem is one line naming the file, the environment and
 * the key, and saying what was expected, never what was given.
 *
 * ```yaml
 * environments:
 *   production:
 *     aws: { account_id: "222222222222", region: eu-west-1, role_arn: "arn:aws:iam::222222222222:role/portcullis-read" }
 *     terraform_state: portcullis-production     # default portcullis-<name>
 *     channel: C0PRODOPS                         # default SLACK_CHANNEL_ID
 *     approvals: { approver_ids: [U0ALICE], approver_group: S0PRODSEC, required: 2, ttl: 4h }
 * ```
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseDuration } from './domain/duration.ts';
import {
  environmentDir,
  environmentJobs,
  ENVIRONMENT_NAME_PATTERN,
  Environments,
  type Environment,
} from './domain/environment.ts';

/** What the environment variables give every environment unless the file says otherwise. */
export interface EnvironmentDefaults {
  channel: string;
  required: number;
  ttlMs: number;
}

const SLACK_ID = '[A-Z0-9]{2,}';
const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
/** arn:<partition>:iam::<account>:role/<path/name> */
const ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;
const STATE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === null || ms <= 0) ctx.addIssue({ code: 'custom', message: 'not a duration' });
  return ms ?? 0;
});

const environmentSchema = z.strictObject({
  aws: z.strictObject({
    account_id: z.string().regex(ACCOUNT_ID),
    region: z.string().regex(REGION),
    role_arn: z.string().regex(ROLE_ARN).optional(),
    deploy_role_arn: z.string().regex(ROLE_ARN).optional(),
  }),
  terraform_state: z.string().regex(STATE_NAME).optional(),
  channel: z.string().regex(new RegExp(`^[CG]${SLACK_ID}$`)).optional(),
  approvals: z.strictObject({
    approver_ids: z.array(z.string().regex(new RegExp(`^[UW]${SLACK_ID}$`))).optional(),
    approver_group: z.string().regex(new RegExp(`^S${SLACK_ID}$`)).optional(),
    required: z.number().int().min(1).max(100).optional(),
    ttl: duration.optional(),
  }),
});

/** What each key should hold, as the error message says it. */
const EXPECTED: Record<string, string> = {
  aws: 'a mapping with account_id, region and optionally role_arn and deploy_role_arn',
  'aws.account_id': 'a 12-digit AWS account id, quoted',
  'aws.region': 'an AWS region such as eu-west-1',
  'aws.role_arn': "an IAM role ARN in the environment's account, such as arn:aws:iam::123456789012:role/portcullis-read",
  'aws.deploy_role_arn': "an IAM role ARN in the environment's account, such as arn:aws:iam::123456789012:role/portcullis-deploy",
  terraform_state: 'a Terraform state name of letters, digits, ".", "_" or "-"',
  channel: 'a Slack channel id such as C0123ABCD',
  approvals: 'a mapping with approver_ids and/or approver_group, and optionally required and ttl',
  'approvals.approver_ids': 'a list of Slack user ids such as U0123ABCD',
  'approvals.approver_group': 'a Slack user group id such as S0123ABCD',
  'approvals.required': 'a whole number from 1 to 100',
  'approvals.ttl': 'a duration such as 30m, 4h or 2d',
};

/** One line per problem: `FILE: environment "NAME": KEY: missing|invalid|unknown key; expected …`. */
export class EnvironmentsFileError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

/** Reads the file's text into the environments; throws EnvironmentsFileError with every problem. */
export function parseEnvironmentsFile(text: string, file: string, defaults: EnvironmentDefaults): Environments {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    // The YAML library's message quotes the offending line, which may hold anything: give only where.
    const where = (err as { linePos?: Array<{ line: number }> }).linePos?.[0]?.line;
    throw new EnvironmentsFileError([`${file}: not YAML${where ? ` (line ${where})` : ''}`]);
  }
  if (!isObj(doc) || !isObj(doc.environments)) throw new EnvironmentsFileError([`${file}: environments: missing; expected a mapping of environment names to their settings`]);
  const problems = Object.keys(doc)
    .filter((key) => key !== 'environments')
    .map((key) => `${file}: ${JSON.stringify(key).slice(0, 40)}: unknown key; only "environments" belongs at the top`);
  const list: Environment[] = [];
  for (const [name, raw] of Object.entries(doc.environments)) {
    const at = `${file}: environment ${JSON.stringify(name).slice(0, 40)}`;
    if (!ENVIRONMENT_NAME_PATTERN.test(name)) {
      problems.push(`${at}: invalid name; expected lower-case letters, digits and "-", starting with a letter, at most 30 characters`);
      continue;
    }
    const parsed = environmentSchema.safeParse(raw);
    if (!parsed.success) {
      problems.push(...issueLines(parsed.error.issues, raw, at));
      continue;
    }
    const env = toEnvironment(name, parsed.data, defaults);
    problems.push(...crossChecks(env, parsed.data, at));
    list.push(env);
  }
  if (Object.keys(doc.environments).length === 0) problems.push(`${file}: environments: empty; name at least one environment`);
  problems.push(...sharedStates(list, file));
  if (problems.length > 0) throw new EnvironmentsFileError(problems);
  return new Environments(list);
}

type Parsed = z.output<typeof environmentSchema>;

function toEnvironment(name: string, v: Parsed, defaults: EnvironmentDefaults): Environment {
  return {
    name,
    stateName: v.terraform_state ?? `portcullis-${name}`,
    dir: environmentDir(name),
    jobs: environmentJobs(name),
    channel: v.channel ?? defaults.channel,
    approvals: {
      approverIds: new Set(v.approvals.approver_ids ?? []),
      approverGroup: v.approvals.approver_group ?? null,
      required: v.approvals.required ?? defaults.required,
      ttlMs: v.approvals.ttl ?? defaults.ttlMs,
    },
    aws: { accountId: v.aws.account_id, region: v.aws.region, roleArn: v.aws.role_arn ?? null, deployRoleArn: v.aws.deploy_role_arn ?? null },
  };
}

/** What the schema alone cannot say: someone may approve, enough of them, the role is in the account. */
function crossChecks(env: Environment, v: Parsed, at: string): string[] {
  const problems: string[] = [];
  const { approverIds, approverGroup, required } = env.approvals;
  if (approverIds.size === 0 && approverGroup === null) {
    problems.push(`${at}: approvals.approver_ids / approvals.approver_group: missing; set at least one of them to say who may approve this environment`);
  } else if (approverGroup === null && approverIds.size < required) {
    problems.push(`${at}: approvals.required: invalid; ${required} approvals can never come from the ${approverIds.size} user(s) in approvals.approver_ids`);
  }
  for (const key of ['role_arn', 'deploy_role_arn'] as const) {
    const role = v.aws[key];
    const roleAccount = role === undefined ? null : ROLE_ARN.exec(role)?.[2];
    if (roleAccount && roleAccount !== v.aws.account_id) problems.push(`${at}: aws.${key}: invalid; the role must be in the environment's account (aws.account_id)`);
  }
  return problems;
}

/** Two environments on one Terraform state would plan each other's rules away. */
function sharedStates(list: readonly Environment[], file: string): string[] {
  const seen = new Map<string, string>();
  const problems: string[] = [];
  for (const env of list) {
    const other = seen.get(env.stateName);
    if (other !== undefined) problems.push(`${file}: environment "${env.name}": terraform_state: invalid; environment "${other}" uses the same state, and each environment needs its own`);
    seen.set(env.stateName, env.name);
  }
  return problems;
}

/** One line per key, from zod's issues; the issue's own text is not used, so no value leaks. */
function issueLines(issues: readonly z.core.$ZodIssue[], raw: unknown, at: string): string[] {
  const lines = new Set<string>();
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const parent = issue.path.map(String).join('.');
      for (const key of issue.keys) lines.add(`${at}: ${parent ? `${parent}.` : ''}${JSON.stringify(key).slice(1, -1).slice(0, 40)}: unknown key`);
      continue;
    }
    // A list entry is reported as its list.
    const path = issue.path.filter((p) => typeof p === 'string').join('.');
    const given = valueAt(raw, path) !== undefined;
    lines.add(`${at}: ${path || 'settings'}: ${given ? 'invalid' : 'missing'}; expected ${EXPECTED[path] ?? 'a mapping of aws, approvals and optionally terraform_state and channel'}`);
  }
  return [...lines];
}

function valueAt(raw: unknown, path: string): unknown {
  let value = raw;
  for (const key of path === '' ? [] : path.split('.')) value = isObj(value) ? value[key] : undefined;
  return value;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
