/**
 * Slack mrkdwn, safely. Every function here takes RAW text (from a person, a pipeline, a
 * log) and returns mrkdwn in which that text is shown, never acted on: `<!channel>`,
 * `<@U123>` or `<http://evil|innocent>` typed into a description reach Slack as
 * `&lt;!channel&gt;` and so on. Slack's rule (its message formatting docs): `&`, `<`, `>` become
 * `&amp;`, `&lt;`, `&gt;`, and nothing else is entity-encoded.
 *
 * Because every `<` from input is escaped, any `<` left in mrkdwn built here opens a
 * control sequence this module made (a mention, a link, a date); `truncate` relies on
 * that to never cut one in half.
 */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

export function escapeMrkdwn(text: string): string {
  return text.replace(/[&<>]/g, (c) => ENTITIES[c]!);
}

/** Slack user ids the bot will turn into a mention; anything else is shown as text. */
export const USER_ID_PATTERN = /^[UW][A-Z0-9]{2,}$/;

/** `<@U123>` for a valid user id, else the id shown (escaped) so nobody is pinged by accident. */
export function mention(userId: string): string {
  return USER_ID_PATTERN.test(userId) ? `<@${userId}>` : `unknown user ${code(userId)}`;
}

const SAFE_URL = /^https?:\/\/[^\s|<>]+$/i;

/** `<url|label>`; a url that is not http(s) or could break out of the link is shown as text. */
export function link(url: string, label: string): string {
  if (!SAFE_URL.test(url)) return escapeMrkdwn(label === '' ? url : `${label} (${url})`);
  return label === '' ? `<${url}>` : `<${url}|${escapeMrkdwn(label)}>`;
}

/**
 * Inline code. mrkdwn has no escape for a backtick inside code, so backticks become the
 * look-alike U+02CB; line breaks become spaces (inline code is one line).
 */
export function code(text: string): string {
  if (text === '') return '';
  return `\`${escapeMrkdwn(text.replace(/`/g, 'ˋ').replace(/[\r\n]+/g, ' '))}\``;
}

/** A fenced code block showing raw text. */
export function codeBlock(text: string): string {
  return fence(escapeCode(text));
}

/**
 * Raw text escaped for the inside of a code block: runs of backticks are split with a
 * zero-width space so they cannot close the fence. Lets callers measure lines before fencing.
 */
export function escapeCode(text: string): string {
  return escapeMrkdwn(text).replace(/`(?=`)/g, '`\u200b');
}

/** Fences text already passed through `escapeCode`. */
export function fence(escapedCode: string): string {
  return `\`\`\`\n${escapedCode === '' ? ' ' : escapedCode}\n\`\`\``;
}

/** `<!date^…>`: each reader sees the time in their own zone; the fallback is UTC. */
export function slackDate(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeMrkdwn(iso);
  const fallback = new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} at {time}|${fallback}>`;
}

// ------------------------------------------------------------------- truncation

const ENTITY_AT = /^&(?:amp|lt|gt);/;

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** The largest index ≤ i that does not split a surrogate pair, an entity or a control sequence. */
function safeEnd(text: string, i: number): number {
  if (i > 0 && isHighSurrogate(text.charCodeAt(i - 1))) i -= 1;
  const amp = text.lastIndexOf('&', i - 1);
  if (amp >= 0 && i - amp < 5) {
    const m = ENTITY_AT.exec(text.slice(amp, amp + 5));
    if (m && amp + m[0].length > i) i = amp;
  }
  const open = text.lastIndexOf('<', i - 1);
  if (open >= 0 && text.lastIndexOf('>', i - 1) < open && text.indexOf('>', i) >= 0) i = open;
  return i;
}

/** The smallest index ≥ i that does not split a surrogate pair, an entity or a control sequence. */
function safeStart(text: string, i: number): number {
  const amp = text.lastIndexOf('&', i - 1);
  if (amp >= 0 && i - amp < 5) {
    const m = ENTITY_AT.exec(text.slice(amp, amp + 5));
    if (m && amp + m[0].length > i) i = amp + m[0].length;
  }
  const open = text.lastIndexOf('<', i - 1);
  const close = text.indexOf('>', i);
  if (open >= 0 && text.lastIndexOf('>', i - 1) < open && close >= 0) i = close + 1;
  if (i > 0 && i < text.length && isHighSurrogate(text.charCodeAt(i - 1))) i += 1;
  return i;
}

/**
 * At most `max` UTF-16 units (Slack's limits are at least that generous), keeping the
 * start and ending with `marker`; never cuts inside an entity, a surrogate pair or a
 * control sequence.
 */
export function truncate(text: string, max: number, marker = '…'): string {
  if (text.length <= max) return text;
  const mark = marker.length <= max ? marker : '';
  return text.slice(0, safeEnd(text, max - mark.length)) + mark;
}

/** Like `truncate`, but keeps the END of the text (log tails), with `marker` in front. */
export function truncateStart(text: string, max: number, marker = '…'): string {
  if (text.length <= max) return text;
  const mark = marker.length <= max ? marker : '';
  return mark + text.slice(safeStart(text, text.length - (max - mark.length)));
}

/** Plain text (not parsed by Slack) only needs surrogate pairs kept whole. */
export function truncatePlain(text: string, max: number, marker = '…'): string {
  if (text.length <= max) return text;
  const mark = marker.length <= max ? marker : '';
  let i = max - mark.length;
  if (i > 0 && isHighSurrogate(text.charCodeAt(i - 1))) i -= 1;
  return text.slice(0, i) + mark;
}
