/**
 * The bot's configuration, read once from an environment map (main passes process.env
 * after dotenv; tests pass a literal). Every bad or missing variable is reported in one
 * ConfigError, one line each, saying what was expected and never what was given: most
 * of these values are secrets.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseDuration } from './domain/duration.ts';
import { Environments, singleEnvironment } from './domain/environment.ts';
import { InputError } from './domain/errors.ts';
import { EnvironmentsFileError, parseEnvironmentsFile } from './environments-file.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  readonly slack: {
    readonly botToken: string;
    readonly appToken: string;
    /** Web API base, ending in "/". */
    readonly apiUrl: string;
    readonly channelId: string;
  };
  readonly approvals: {
    readonly approverIds: ReadonlySet<string>;
    /** Slack user group whose members may approve. */
    readonly approverGroup: string | null;
    readonly required: number;
    readonly ttlMs: number;
    /** The bot plays the deploy of an expired rule's revocation itself when its plan only removes that rule. */
    readonly autoApproveExpiredRevocations: boolean;
    /** How long an approved deploy may still show as not played in GitLab before the approval is taken as lost. */
    readonly deployPlayTimeoutMs: number;
  };
  readonly gitlab: {
    /** Instance base URL without a trailing "/". */
    readonly url: string;
    readonly token: string;
    /** Numeric project id, or its full path ("group/project"). */
    readonly project: number | string;
    readonly webhookSecret: string;
  };
  readonly port: number;
  readonly databasePath: string;
  readonly reconcileIntervalMs: number;
  readonly logLevel: LogLevel;
  /** Unset means the AWS SDK's own resolution (profile, instance metadata). */
  readonly awsRegion: string | null;
  /** `/check-services`: least time between the starts of two runs of one group (and one run at a time). */
  readonly checkServicesIntervalMs: number;
  /** On SIGTERM, how long in-flight work may take to finish before the process exits anyway. */
  readonly shutdownTimeoutMs: number;
  /**
   * The environments: those of ENVIRONMENTS_FILE, or without it the one the variables
   * describe (`default`: SLACK_CHANNEL_ID, APPROVER_IDS/APPROVER_GROUP, ..., state `portcullis`).
   */
  readonly environments: Environments;
  /** ENVIRONMENTS_FILE as given, or null. */
  readonly environmentsFile: string | null;
}

export class ConfigError extends InputError {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

export { parseDuration };

const SLACK_ID = '[A-Z0-9]{2,}';
const positiveDuration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === null || ms <= 0) ctx.addIssue({ code: 'custom', message: 'not a duration' });
  return ms ?? 0;
});
/** A duration from `min` to `max` milliseconds inclusive. */
const boundedDuration = (min: number, max: number) =>
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === null || ms < min || ms > max) ctx.addIssue({ code: 'custom', message: 'duration out of range' });
    return ms ?? 0;
  });
const integer = (min: number, max: number) => z.string().regex(/^\d+$/).transform(Number).pipe(z.number().int().min(min).max(max));
const httpUrl = z.url({ protocol: /^https?$/ });

const schema = z.object({
  SLACK_BOT_TOKEN: z.string().regex(/^xoxb-[A-Za-z0-9-]+$/),
  SLACK_APP_TOKEN: z.string().regex(/^xapp-[A-Za-z0-9-]+$/),
  SLACK_API_URL: httpUrl.transform((u) => (u.endsWith('/') ? u : `${u}/`)),
  SLACK_CHANNEL_ID: z.string().regex(new RegExp(`^[CG]${SLACK_ID}$`)),
  APPROVER_IDS: z
    .string()
    .optional()
    .transform((list) => (list ?? '').split(',').map((id) => id.trim()).filter((id) => id !== ''))
    .pipe(z.array(z.string().regex(new RegExp(`^[UW]${SLACK_ID}$`))))
    .transform((ids) => new Set(ids)),
  APPROVER_GROUP: z.string().regex(new RegExp(`^S${SLACK_ID}$`)).optional(),
  REQUIRED_APPROVALS: integer(1, 100),
  APPROVAL_TTL: positiveDuration,
  AUTO_APPROVE_EXPIRED_REVOCATIONS: z.enum(['true', 'false']).transform((v) => v === 'true'),
  DEPLOY_PLAY_TIMEOUT: positiveDuration,
  GITLAB_URL: httpUrl.transform((u) => u.replace(/\/+$/, '')),
  GITLAB_TOKEN: z.string().regex(/^\S{8,}$/),
  GITLAB_PROJECT: z.union([
    z.string().regex(/^\d+$/).transform(Number),
    z.string().regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/),
  ]),
  GITLAB_WEBHOOK_SECRET: z.string().min(16),
  PORT: integer(0, 65535),
  DATABASE_PATH: z.string().min(1),
  RECONCILE_INTERVAL: positiveDuration,
  LOG_LEVEL: z.enum(LOG_LEVELS),
  AWS_REGION: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/).optional(),
  CHECK_SERVICES_INTERVAL: boundedDuration(1000, 86_400_000),
  SHUTDOWN_TIMEOUT: boundedDuration(1000, 600_000),
  ENVIRONMENTS_FILE: z.string().min(1).optional(),
});

type Variable = keyof z.input<typeof schema>;

/** What each variable should hold, as the error message says it. */
const EXPECTED: Record<Variable, string> = {
  SLACK_BOT_TOKEN: 'the Slack bot token, starting "xoxb-"',
  SLACK_APP_TOKEN: 'the Slack app-level token for Socket Mode, starting "xapp-"',
  SLACK_API_URL: 'an http(s) URL of the Slack Web API',
  SLACK_CHANNEL_ID: 'a Slack channel id such as C0123ABCD',
  APPROVER_IDS: 'a comma-separated list of Slack user ids such as U0123ABCD',
  APPROVER_GROUP: 'a Slack user group id such as S0123ABCD',
  REQUIRED_APPROVALS: 'a whole number from 1 to 100',
  APPROVAL_TTL: 'a duration such as 30m, 4h or 2d',
  AUTO_APPROVE_EXPIRED_REVOCATIONS: 'true or false',
  DEPLOY_PLAY_TIMEOUT: 'a duration such as 5m',
  GITLAB_URL: 'the http(s) URL of the GitLab instance',
  GITLAB_TOKEN: 'a GitLab access token with api scope (at least 8 characters, no spaces)',
  GITLAB_PROJECT: 'a numeric project id or a path such as group/project',
  GITLAB_WEBHOOK_SECRET: 'the webhook secret token, at least 16 characters',
  PORT: 'a TCP port from 0 to 65535',
  DATABASE_PATH: 'a file path for the SQLite database',
  RECONCILE_INTERVAL: 'a duration such as 30s or 2m',
  LOG_LEVEL: LOG_LEVELS.join(', '),
  AWS_REGION: 'an AWS region such as eu-west-1',
  CHECK_SERVICES_INTERVAL: 'a duration from 1s to 24h, such as 60s or 5m',
  SHUTDOWN_TIMEOUT: 'a duration from 1s to 10m, such as 8s',
  ENVIRONMENTS_FILE: 'the path of the environments file (see README, "Several environments")',
};

/** Every variable the bot reads, in documentation order (.env.example lists the same). */
export const CONFIG_VARIABLES = Object.keys(EXPECTED) as readonly Variable[];

/** Where the bot keeps its SQLite database unless DATABASE_PATH says otherwise; the operator's commands default to it too. */
export const DEFAULT_DATABASE_PATH = './data/portcullis.sqlite';

const DEFAULTS: Partial<Record<Variable, string>> = {
  SLACK_API_URL: 'https://slack.com/api/',
  REQUIRED_APPROVALS: '1',
  APPROVAL_TTL: '24h',
  AUTO_APPROVE_EXPIRED_REVOCATIONS: 'false',
  DEPLOY_PLAY_TIMEOUT: '5m',
  PORT: '3000',
  DATABASE_PATH: DEFAULT_DATABASE_PATH,
  RECONCILE_INTERVAL: '2m',
  LOG_LEVEL: 'info',
  CHECK_SERVICES_INTERVAL: '1m',
  SHUTDOWN_TIMEOUT: '8s',
};

/**
 * `readText` reads ENVIRONMENTS_FILE (tests pass their own); its problems are reported
 * with the variables', each naming the file, the environment and the key.
 */
export function loadConfig(env: Record<string, string | undefined>, readText: (path: string) => string = (path) => readFileSync(path, 'utf8')): Config {
  const raw: Partial<Record<Variable, string>> = {};
  for (const name of CONFIG_VARIABLES) {
    // dotenv turns "NAME=" into "": treat a blank value as unset.
    const value = env[name]?.trim() || DEFAULTS[name];
    if (value !== undefined) raw[name] = value;
  }
  const parsed = schema.safeParse(raw);
  const problems = parsed.success ? [] : problemLines(parsed.error.issues, raw);
  const hasApproverIds = (raw.APPROVER_IDS ?? '').split(',').some((id) => id.trim() !== '');
  const file = raw.ENVIRONMENTS_FILE ?? null;
  // With an environments file, each environment names its own approvers.
  if (file === null && !hasApproverIds && raw.APPROVER_GROUP === undefined) {
    problems.push('APPROVER_IDS / APPROVER_GROUP: missing; set at least one of them to say who may approve');
  }
  if (parsed.success) {
    const { APPROVER_IDS: ids, APPROVER_GROUP: group, REQUIRED_APPROVALS: required } = parsed.data;
    if (hasApproverIds && group === undefined && ids.size < required) {
      problems.push(`REQUIRED_APPROVALS: invalid; ${required} approvals can never come from the ${ids.size} user(s) in APPROVER_IDS`);
    }
  }
  let environments: Environments | null = null;
  if (parsed.success) {
    const v = parsed.data;
    try {
      environments = file === null ? singleEnvironmentOf(v) : readEnvironments(file, readText, { channel: v.SLACK_CHANNEL_ID, required: v.REQUIRED_APPROVALS, ttlMs: v.APPROVAL_TTL });
    } catch (err) {
      if (!(err instanceof EnvironmentsFileError)) throw err;
      problems.push(...err.problems);
    }
  }
  if (!parsed.success || problems.length > 0 || environments === null) throw new ConfigError(problems);
  const v = parsed.data;
  return deepFreeze({
    slack: { botToken: v.SLACK_BOT_TOKEN, appToken: v.SLACK_APP_TOKEN, apiUrl: v.SLACK_API_URL, channelId: v.SLACK_CHANNEL_ID },
    approvals: {
      approverIds: v.APPROVER_IDS,
      approverGroup: v.APPROVER_GROUP ?? null,
      required: v.REQUIRED_APPROVALS,
      ttlMs: v.APPROVAL_TTL,
      autoApproveExpiredRevocations: v.AUTO_APPROVE_EXPIRED_REVOCATIONS,
      deployPlayTimeoutMs: v.DEPLOY_PLAY_TIMEOUT,
    },
    gitlab: { url: v.GITLAB_URL, token: v.GITLAB_TOKEN, project: v.GITLAB_PROJECT, webhookSecret: v.GITLAB_WEBHOOK_SECRET },
    port: v.PORT,
    databasePath: v.DATABASE_PATH,
    reconcileIntervalMs: v.RECONCILE_INTERVAL,
    logLevel: v.LOG_LEVEL,
    awsRegion: v.AWS_REGION ?? null,
    checkServicesIntervalMs: v.CHECK_SERVICES_INTERVAL,
    shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT,
    environments,
    environmentsFile: file,
  });
}

type Values = z.output<typeof schema>;

/** The one environment of a setup without an environments file, from the variables. */
function singleEnvironmentOf(v: Values): Environments {
  const approvals = { approverIds: v.APPROVER_IDS, approverGroup: v.APPROVER_GROUP ?? null, required: v.REQUIRED_APPROVALS, ttlMs: v.APPROVAL_TTL };
  return new Environments([singleEnvironment(v.SLACK_CHANNEL_ID, approvals)]);
}

function readEnvironments(file: string, readText: (path: string) => string, defaults: { channel: string; required: number; ttlMs: number }): Environments {
  let text: string;
  try {
    text = readText(file);
  } catch (err) {
    throw new EnvironmentsFileError([`ENVIRONMENTS_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  return parseEnvironmentsFile(text, file, defaults);
}

const GITLAB_VARIABLES = ['GITLAB_URL', 'GITLAB_TOKEN', 'GITLAB_PROJECT', 'GITLAB_WEBHOOK_SECRET'] as const;

/**
 * The GitLab variables alone, checked as loadConfig checks them: for `portcullis setup
 * gitlab-webhook`, which a team runs before the Slack app exists.
 */
export function loadGitLabConfig(env: Record<string, string | undefined>): Config['gitlab'] {
  const raw: Partial<Record<Variable, string>> = {};
  for (const name of GITLAB_VARIABLES) {
    const value = env[name]?.trim();
    if (value) raw[name] = value;
  }
  const parsed = schema.pick({ GITLAB_URL: true, GITLAB_TOKEN: true, GITLAB_PROJECT: true, GITLAB_WEBHOOK_SECRET: true }).safeParse(raw);
  if (!parsed.success) throw new ConfigError(problemLines(parsed.error.issues, raw));
  const v = parsed.data;
  return Object.freeze({ url: v.GITLAB_URL, token: v.GITLAB_TOKEN, project: v.GITLAB_PROJECT, webhookSecret: v.GITLAB_WEBHOOK_SECRET });
}

/** The values no log line may contain: hand them to createLogger's `secrets`. */
export function configSecrets(config: Config): string[] {
  return [config.slack.botToken, config.slack.appToken, config.gitlab.token, config.gitlab.webhookSecret];
}

/** One line per variable, from zod's issues; the issue's own text is not used, so no value leaks. */
function problemLines(issues: readonly z.core.$ZodIssue[], raw: Partial<Record<Variable, string>>): string[] {
  const names = [...new Set(issues.map((issue) => issue.path[0] as Variable))];
  return names.map((name) => `${name}: ${raw[name] === undefined ? 'missing' : 'invalid'}; expected ${EXPECTED[name]}`);
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (child !== null && typeof child === 'object' && !(child instanceof Set) && !(child instanceof Environments)) deepFreeze(child);
  }
  return Object.freeze(value);
}
