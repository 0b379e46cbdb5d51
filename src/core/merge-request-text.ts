/**
 * What a request puts in GitLab, in GitLab's words: its one commit (message and file
 * change) and its merge request (title and Markdown description).
 *
 * Text a person gave (justification, ticket, requester name and id) is shown, never
 * acted on. The rule-file schema lets a justification hold `[`, `]`, `(`, `)`, `!`, `@`,
 * `#` (what AWS accepts in a rule description), so `[click](http://evil)`, `![x](…)`,
 * `@all` or `#1` would be live Markdown, a tracking image, a mention that notifies
 * everyone, a reference. In the description such text is an inline code span (GitLab
 * renders no Markdown, HTML, link, image, mention or reference inside code); everywhere,
 * it is one line and a word joiner (U+2060) follows each reference or mention sigil and
 * splits `://` and `www.`, so neither GitLab's single-line renderers (titles, commit
 * messages) nor anything that reads the raw text finds a mention, reference or link.
 */
import { requestTitle, type ChangeRequest } from '../domain/request.ts';
import { DEFAULT_ENVIRONMENT, environmentDir, ruleFileOf } from '../domain/environment.ts';
import { serializeRuleFile, type RuleFile } from '../domain/rule.ts';
import type { FileAction } from './ports.ts';

export interface GitLabChange {
  commitMessage: string;
  action: FileAction;
  title: string;
  description: string;
}

const WORD_JOINER = '\u2060';

/** Line breaks, control characters and bidirectional overrides (which reorder what a reviewer sees). */
const UNSHOWN = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g;

/**
 * Person-given text made inert for GitLab, on one line: nothing in it is a mention
 * (`@all`), a reference (`#1`, `!2`, `~label`, `%milestone`, `$snippet`, `&epic`,
 * `^alert`, `*iteration:`, `group/project#3`) or an autolink (`http://…`, `www.…`).
 */
export function inertText(text: string): string {
  return text
    .replace(UNSHOWN, ' ')
    .replace(/ {2,}/g, ' ')
    .trim()
    .replace(/([@#!~%$&^])(?=[\p{L}\p{N}_])|(\*)(?=iteration:)/gu, (_m, sigil?: string, star?: string) => `${sigil ?? star}${WORD_JOINER}`)
    .replace(/:\/\//g, `:${WORD_JOINER}//`)
    .replace(/\b(www)\./gi, `$1${WORD_JOINER}.`);
}

/**
 * Person-given text as a GitLab Markdown inline code span: fenced by more backticks than
 * any run inside, padded when it starts or ends with one (CommonMark strips one space
 * each side), and inert (see inertText) besides.
 */
export function markdownCode(text: string): string {
  const inner = inertText(text);
  if (inner === '') return '(empty)';
  const longest = Math.max(0, ...(inner.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = inner.startsWith('`') || inner.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${inner}${pad}${fence}`;
}

/** The commit and merge request of a request (a rule to add) or a revocation (a rule to remove). */
export function gitLabChange(request: ChangeRequest, rule: RuleFile, requesterName?: string): GitLabChange {
  // The rule file lives in the request's environment's folder, and only there.
  const path = ruleFileOf({ dir: environmentDir(request.environment) }, rule.id);
  if (request.kind === 'revocation') {
    return {
      commitMessage: `${requestTitle(request)}\n\nRule ${rule.id} expired at ${rule.expires_at}; revocation opened by Portcullis.`,
      action: { action: 'delete', path },
      title: `${requestTitle(request)} (${rule.id} expired)`,
      description: revocationDescription(rule, path, request.environment),
    };
  }
  return {
    commitMessage: `${requestTitle(request)}\n\nRequested from Slack by ${inertText(rule.requester)}.`,
    action: { action: 'create', path, content: serializeRuleFile(rule) },
    title: `${requestTitle(request)} (for ${inertText(requesterName ?? rule.requester)})`,
    description: mergeRequestDescription(rule, path, request.environment, requesterName),
  };
}

/** GitLab Markdown; the Slack id is kept so the bot (and a reader) can find the person. */
function mergeRequestDescription(rule: RuleFile, path: string, environment: string, requesterName?: string): string {
  return [
    `Requested from Slack by ${markdownCode(requesterName ?? rule.requester)} (Slack user ${markdownCode(rule.requester)}) with /sg-request.`,
    '',
    ...environmentLine(environment),
    `- Justification: ${markdownCode(rule.description)}`,
    `- Ticket: ${rule.ticket === null ? 'none' : markdownCode(rule.ticket)}`,
    `- Expires: ${rule.expires_at ?? 'never'}`,
    `- Rule file: \`${path}\``,
    '',
    'The pipeline checks the policy and plans the change; the deploy job is approved in Slack.',
  ].join('\n');
}

/** Why the bot removes a rule, for the reviewer of its merge request. */
function revocationDescription(rule: RuleFile, path: string, environment: string): string {
  return [
    `Rule \`${rule.id}\` expired at ${rule.expires_at}; Portcullis opened this merge request to remove it.`,
    '',
    ...environmentLine(environment),
    `- Originally requested by: Slack user ${markdownCode(rule.requester)}`,
    `- Justification: ${markdownCode(rule.description)}`,
    `- Ticket: ${rule.ticket === null ? 'none' : markdownCode(rule.ticket)}`,
    `- Rule file removed: \`${path}\``,
    '',
    'The pipeline plans the removal; the deploy job is approved in Slack.',
  ].join('\n');
}

/** The environment, named when there are several (a name is a checked slug: nothing to escape). */
function environmentLine(environment: string): string[] {
  return environment === DEFAULT_ENVIRONMENT ? [] : [`- Environment: \`${environment}\``];
}
