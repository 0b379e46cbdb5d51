/**
 * The bot's pino logger, built so that no token reaches a log line. Two layers:
 * `redact` censors the fields a token is known to travel in (headers, config, SDK
 * options), and a last pass over every serialized line scrubs token-shaped strings and
 * the configured secrets wherever else they hide: a message, an error's message or
 * stack, a URL, a field nobody thought of.
 */
import { pino, type DestinationStream, type LevelWithSilent, type Logger } from 'pino';
import { PREFIXED_TOKENS } from './domain/scrub.ts';

export type { Logger } from 'pino';

export const CENSOR = '[redacted]';

export interface LoggerOptions {
  level: LevelWithSilent;
  /** Where lines go; stdout when omitted. Tests pass an object collecting them. */
  destination?: DestinationStream;
  /** Values that must never appear verbatim (see configSecrets in config.ts). */
  secrets?: readonly string[];
}

/** Field names that hold a credential wherever they appear. */
const SECRET_KEYS = [
  'token', 'botToken', 'appToken', 'accessToken', 'refreshToken', 'privateToken', 'jobToken',
  'secret', 'webhookSecret', 'clientSecret', 'signingSecret', 'password', 'authorization', 'Authorization',
];
/** Credential headers, spelled as node (lower case) and as SDKs (mixed case) write them. */
const SECRET_HEADERS = [
  'authorization', 'Authorization', 'cookie', '["set-cookie"]',
  '["x-gitlab-token"]', '["X-Gitlab-Token"]', '["private-token"]', '["PRIVATE-TOKEN"]', '["Private-Token"]',
  '["job-token"]', '["JOB-TOKEN"]',
];

const join = (prefix: string, key: string) => (key.startsWith('[') ? `${prefix}${key}` : `${prefix}.${key}`);

/**
 * Redact's wildcards match one level each, so each path is listed at the depths our
 * objects nest to: `config.slack.botToken`, `err.config.headers.Authorization` (axios
 * errors from the Slack SDK), `req.headers["x-gitlab-token"]`.
 */
export const REDACT_PATHS: readonly string[] = [
  ...SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
  ...SECRET_HEADERS.flatMap((h) => ['headers', '*.headers', '*.*.headers', '*.*.*.headers'].map((p) => join(p, h))),
];

/**
 * Token formats by prefix, the same the job-log scrubber knows (domain/scrub.ts: Slack's
 * xoxb-, xoxe.xoxp-, xapp-…, GitLab's glpat-, gldt-, … and runner tokens); plus a Bearer
 * credential and the user:password of a URL, whatever their shape.
 */
const TOKEN_SHAPES = [
  PREFIXED_TOKENS.slack,
  PREFIXED_TOKENS.gitlab,
  PREFIXED_TOKENS.gitlabRunner,
  String.raw`(?<=\bBearer\s+)[A-Za-z0-9._~+/=-]+`,
  String.raw`(?<=\/\/)[^/\s:@"]+:[^/\s@"]+(?=@)`,
];

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A function replacing token-shaped strings and the given secrets in a text with
 * [redacted]. Also useful beyond logs, e.g. before posting a job's log tail to Slack.
 */
export function createScrubber(secrets: readonly string[] = []): (text: string) => string {
  // A secret may sit in a JSON line with its quotes and backslashes escaped: match both spellings.
  const spellings = secrets.filter((s) => s !== '').flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]);
  // Longest first, so a secret containing another is replaced whole.
  const literal = [...new Set(spellings)].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const pattern = new RegExp([...literal, ...TOKEN_SHAPES].join('|'), 'g');
  return (text) => text.replace(pattern, CENSOR);
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      redact: { paths: [...REDACT_PATHS], censor: CENSOR },
      // Runs on the finished line, after serializers and redact, for the root and every child.
      hooks: { streamWrite: createScrubber(options.secrets) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

export interface EventIds {
  deliveryId?: string | null;
  pipelineId?: number | null;
  requestId?: string | null;
}

/** A child logger carrying the ids of the event being handled; unknown ids are left out. */
export function eventLogger(log: Logger, ids: EventIds): Logger {
  const bindings = Object.fromEntries(Object.entries(ids).filter(([, v]) => v !== undefined && v !== null));
  return log.child(bindings);
}
