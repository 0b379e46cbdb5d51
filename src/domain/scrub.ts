/**
 * Secrets out of text that is about to be shown to people: a failed job's log tail
 * before it goes to Slack. CI jobs print credentials more often than anyone intends
 * (`set -x`, `env`, a verbose curl, a `terraform` error echoing a provider block), and a
 * channel is a much wider audience than a job log.
 *
 * What is masked, each replaced by MASK (the prefix of a prefixed token is kept, so a
 * reader knows which credential to rotate):
 *
 * - the configured secrets, as exact strings (at least MIN_SECRET_LENGTH characters);
 * - private key blocks, `-----BEGIN … PRIVATE KEY-----` to its END line, also when the
 *   text starts or ends inside one (a log tail cuts anywhere);
 * - AWS access key ids (AKIA/ASIA/ABIA/ACCA/A3T… and 16 more of [A-Z0-9]); AWS secret
 *   access keys after a label (`aws_secret_access_key=`, `"SecretAccessKey": "`…),
 *   session tokens after theirs, and a bare 40-character key on or next to the line of
 *   an access key id (`AKIA… wJalr…`, as CSV exports and `aws configure` echoes print them);
 * - GitLab tokens by their documented prefixes (glpat-, gloas-, gldt-, glrt-, glrtr-,
 *   glcbt-, glptt-, glft-, glimt-, glagent-, glwt-, glsoat-, glffct-; an instance prefix
 *   in front is kept) and legacy runner registration tokens (GR1348941…);
 * - Slack tokens (xoxb-, xoxp-, xoxa-, xoxr-, xoxs-, xoxc-, xoxd-, xoxe-, xoxe.xoxp-…, xapp-);
 * - the credential of an `Authorization:` header (Bearer, Basic, token…), of GitLab's
 *   `PRIVATE-TOKEN:` / `JOB-TOKEN:` headers, and a bare `Bearer <token>`;
 * - the user:password (or a lone token) in a URL, `https://user:pass@host`.
 *
 * Every pattern is linear in the text; commit shas, pipeline ids and an ordinary base64
 * blob in prose are left alone (tests/domain/scrub.test.ts).
 */

export const MASK = '[MASKED]';

/** Shorter configured secrets are not masked: masking a short string everywhere would reveal it by its places. */
export const MIN_SECRET_LENGTH = 8;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** GitLab's token prefixes (docs.gitlab.com/security/tokens, "Token prefixes"). */
const GITLAB_PREFIXES = ['glpat', 'gloas', 'gldt', 'glrtr', 'glrt', 'glcbt', 'glptt', 'glft', 'glimt', 'glagent', 'glwt', 'glsoat', 'glffct'];

/**
 * Tokens recognisable by their prefix, as regular-expression sources without capture
 * groups: GitLab's (glpat-, gldt-, … and runner registration tokens) and Slack's (xoxb-,
 * xoxe.xoxp-, xapp-, …). The log scrubber (src/log.ts) redacts the same shapes.
 */
export const PREFIXED_TOKENS = {
  gitlab: String.raw`(?:${GITLAB_PREFIXES.join('|')})-[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]+)*`,
  gitlabRunner: String.raw`\bGR1348941[A-Za-z0-9_-]{20,}`,
  slack: String.raw`\b(?:xox[abcdeoprs](?:\.xox[a-z])?|xapp)-[A-Za-z0-9-]{4,}`,
} as const;
/** `xoxb-…` → `xoxb-` (what a masked prefixed token keeps of itself). */
const prefixOf = (token: string) => token.slice(0, token.indexOf('-') + 1);

const AWS_KEY_ID = String.raw`\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b`;
/** A 40-character AWS secret access key standing alone: base64 characters, nothing of the kind around it. */
const BARE_AWS_SECRET = /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;
const HEX_ONLY = /^[0-9a-f]+$/i;

/** Separator between a label and its value: `=`, `:`, `=>`, quotes and spaces around them. */
const SEP = String.raw`["']?\s*(?:=>|[:=])\s*["']?`;

interface Rule {
  pattern: RegExp;
  replace: (match: string, ...groups: string[]) => string;
}

const keep = (label: string) => `${label}${MASK}`;

const RULES: readonly Rule[] = [
  // Labelled AWS secrets, before anything else reads their values.
  {
    pattern: new RegExp(String.raw`((?:aws[_-]?)?secret[_-]?(?:access[_-]?)?key${SEP})[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])`, 'gi'),
    replace: (_m, label) => keep(label!),
  },
  {
    pattern: new RegExp(String.raw`((?:aws[_-]?)?(?:session|security)[_-]?token${SEP})[A-Za-z0-9/+=]{16,}`, 'gi'),
    replace: (_m, label) => keep(label!),
  },
  // Credential headers: `Authorization: Bearer x`, `authorization="Basic x"`, `PRIVATE-TOKEN: x`.
  {
    pattern: new RegExp(String.raw`\b((?:proxy-)?authorization${SEP}(?:(?:bearer|basic|token|bot|digest|negotiate)\s+)?)[^\s"',;]+`, 'gi'),
    replace: (_m, label) => keep(label!),
  },
  {
    pattern: new RegExp(String.raw`\b((?:private|job|deploy)-token${SEP}|x-gitlab-token${SEP})[^\s"',;]+`, 'gi'),
    replace: (_m, label) => keep(label!),
  },
  { pattern: /\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g, replace: (_m, label) => keep(label!) },
  // user:password@ in a URL (the password may hold an unescaped "@": up to the last one).
  {
    pattern: /\b([a-z][a-z0-9+.-]{0,30}:\/\/)([^\s/?#@:"'<>]*):[^\s/?#"'<>]*@/gi,
    replace: (_m, scheme, user) => `${scheme}${user}:${MASK}@`,
  },
  // A lone userinfo long enough to be a token (`https://<token>@host`); `ssh://git@host` stays.
  // (Its length is checked here: V8 runs a `{16,}` over a long run far slower than a `*`.)
  {
    pattern: /\b([a-z][a-z0-9+.-]{0,30}:\/\/)([^\s/?#@:"'<>]*)@/gi,
    replace: (m, scheme, user) => (user!.length >= 16 ? `${scheme}${MASK}@` : m),
  },
  // Prefixed tokens.
  { pattern: new RegExp(PREFIXED_TOKENS.gitlab, 'g'), replace: (m) => `${prefixOf(m)}${MASK}` },
  { pattern: new RegExp(PREFIXED_TOKENS.gitlabRunner, 'g'), replace: () => `GR1348941${MASK}` },
  { pattern: new RegExp(PREFIXED_TOKENS.slack, 'g'), replace: (m) => `${prefixOf(m)}${MASK}` },
  { pattern: new RegExp(AWS_KEY_ID, 'g'), replace: (m) => `${m.slice(0, 4)}${MASK}` },
];

const PEM_BEGIN = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/;
const PEM_END = /-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/;
/** A line that can be part of a PEM body: base64, an RFC 1421 header (`Proc-Type: …`), or empty. */
const PEM_BODY_LINE = /^\s*(?:[A-Za-z0-9+/=]+|(?:Proc-Type|DEK-Info|Comment): .*)?\s*$/;
const PEM_MASK = `${MASK} (private key)`;

/**
 * Private key blocks become one masked line. A block the text starts inside (an END
 * line and no BEGIN) takes the body-like lines before its END; one the text ends inside
 * takes everything after its BEGIN.
 */
function maskPrivateKeys(lines: string[]): string[] {
  const out: string[] = [];
  let inside = false;
  for (const line of lines) {
    if (inside) {
      if (PEM_END.test(line)) {
        inside = false;
        out.push(line.replace(/^.*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/, ''));
        if (out.at(-1) === '') out.pop();
      }
      continue;
    }
    const begin = PEM_BEGIN.exec(line);
    if (begin) {
      const before = line.slice(0, begin.index);
      const rest = line.slice(begin.index + begin[0].length);
      const end = PEM_END.exec(rest);
      out.push(`${before}${PEM_MASK}${end ? rest.slice(end.index + end[0].length) : ''}`);
      // A one-line key (`-----BEGIN…-----MIIE…-----END…-----`) ends where it starts.
      inside = end === null;
      continue;
    }
    const end = PEM_END.exec(line);
    if (end) {
      // The text began inside a key: its body is the run of body-like lines just above.
      while (out.length > 0 && PEM_BODY_LINE.test(out.at(-1)!)) out.pop();
      out.push(`${PEM_MASK}${line.slice(end.index + end[0].length)}`);
      continue;
    }
    out.push(line);
  }
  return out;
}

/** A bare 40-character secret on the line of an access key id, or on the line before or after it. */
function maskSecretsBesideKeyIds(lines: string[]): string[] {
  const keyId = new RegExp(AWS_KEY_ID);
  const near = new Set<number>();
  lines.forEach((line, i) => {
    if (keyId.test(line)) for (const j of [i - 1, i, i + 1]) near.add(j);
  });
  if (near.size === 0) return lines;
  return lines.map((line, i) =>
    near.has(i) ? line.replace(BARE_AWS_SECRET, (candidate) => (HEX_ONLY.test(candidate) ? candidate : MASK)) : line,
  );
}

/** One pattern matching any of the configured secrets (longest first, so a secret containing another is masked whole). */
function literalPattern(secrets: readonly string[]): RegExp | null {
  const literal = [...new Set(secrets.filter((s) => s.length >= MIN_SECRET_LENGTH))].sort((a, b) => b.length - a.length).map(escapeRegExp);
  return literal.length > 0 ? new RegExp(literal.join('|'), 'g') : null;
}

/** Returns a function that masks `secrets` (exact strings) and every known credential shape in a text. */
export function createSecretScrubber(secrets: readonly string[] = []): (text: string) => string {
  const configured = literalPattern(secrets);
  return (text) => {
    const plain = configured ? text.replace(configured, MASK) : text;
    let out = maskSecretsBesideKeyIds(maskPrivateKeys(plain.split('\n'))).join('\n');
    for (const rule of RULES) out = out.replace(rule.pattern, rule.replace as (m: string, ...g: unknown[]) => string);
    return out;
  };
}

const defaultScrubber = createSecretScrubber();

/** `text` with every known credential shape masked (no configured secrets). */
export function scrubSecrets(text: string): string {
  return defaultScrubber(text);
}

/**
 * Only the configured secrets, as exact strings: for text already laid out to a length
 * budget, since MASK is never longer than a secret it replaces. Null when there are none.
 */
export function createExactScrubber(secrets: readonly string[]): ((text: string) => string) | null {
  const pattern = literalPattern(secrets);
  return pattern ? (text) => text.replace(pattern, MASK) : null;
}
