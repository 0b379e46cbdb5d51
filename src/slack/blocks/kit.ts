/**
 * Block Kit pieces that cannot exceed Slack's limits: every text goes through `fit` (or
 * `fitPlain` for plain_text) against the limit of the slot it lands in, so builders
 * compose freely and only budget the parts that grow with input (see `packLines`).
 * Texts handed to these functions are already mrkdwn (escaped by ../mrkdwn.ts) unless the
 * parameter says plain.
 */
import type { Block, SlackMessage } from '../../core/ports.ts';
import { truncate, truncatePlain } from '../mrkdwn.ts';
import { OUR_LIMITS, SLACK_LIMITS as L } from './limits.ts';

/** Slack refuses empty texts; a lone space is what an empty value shows as. */
const nonEmpty = (text: string): string => (text === '' ? ' ' : text);

/** mrkdwn cut to `max` without breaking an entity, a control sequence or a surrogate pair. */
export function fit(mrkdwn: string, max: number): string {
  return truncate(nonEmpty(mrkdwn), max);
}

export function fitPlain(text: string, max: number): string {
  return truncatePlain(nonEmpty(text), max);
}

export function mrkdwnText(text: string, max: number = L.sectionText): Block {
  return { type: 'mrkdwn', text: fit(text, max) };
}

/** plain_text: Slack does not parse it, so person-supplied text may go in unescaped. */
export function plainText(text: string, max: number): Block {
  return { type: 'plain_text', text: fitPlain(text, max), emoji: true };
}

export function header(plain: string): Block {
  return { type: 'header', text: plainText(plain, L.headerText) };
}

export function section(text: string): Block {
  return { type: 'section', text: mrkdwnText(text) };
}

/** A two-column section; at most ten fields are shown (callers pass a fixed few). */
export function fields(items: readonly string[]): Block {
  return { type: 'section', fields: items.slice(0, L.sectionFields).map((t) => mrkdwnText(t, L.fieldText)) };
}

export function context(items: readonly string[]): Block {
  return { type: 'context', elements: items.slice(0, L.contextElements).map((t) => mrkdwnText(t)) };
}

export function divider(): Block {
  return { type: 'divider' };
}

export function actions(blockId: string, elements: readonly Block[]): Block {
  return { type: 'actions', block_id: fitPlain(blockId, L.blockId), elements: elements.slice(0, L.actionsElements) };
}

export interface ConfirmDialog {
  title: string;
  /** mrkdwn */
  text: string;
  confirm: string;
  deny: string;
}

export interface ButtonSpec {
  text: string;
  actionId: string;
  value?: string;
  style?: 'primary' | 'danger';
  confirm?: ConfirmDialog;
}

export function button(spec: ButtonSpec): Block {
  const b: Block = { type: 'button', action_id: fitPlain(spec.actionId, L.actionId), text: plainText(spec.text, L.buttonText) };
  if (spec.value !== undefined) b.value = truncatePlain(spec.value, L.buttonValue, '');
  if (spec.style !== undefined) b.style = spec.style;
  if (spec.confirm !== undefined) {
    b.confirm = {
      title: plainText(spec.confirm.title, L.confirmTitle),
      text: mrkdwnText(spec.confirm.text, L.confirmText),
      confirm: plainText(spec.confirm.confirm, L.confirmButton),
      deny: plainText(spec.confirm.deny, L.confirmButton),
    };
  }
  return b;
}

/** A message whose fallback `text` (notifications, screen readers) is kept short. */
export function message(fallback: string, blocks: Block[]): SlackMessage {
  return { text: fit(fallback, OUR_LIMITS.fallbackText), blocks };
}

export interface PackOptions {
  /** Blocks the lines may take, including the "more" note. */
  maxBlocks: number;
  /** Characters the lines may take in total (a share of OUR_LIMITS.messageBlockText). */
  maxChars: number;
  /** Wraps each section's lines, e.g. in a code block. */
  wrap?: (body: string) => string;
  /** The note shown when lines were left out, e.g. "…and 12 more violations". */
  more: (omitted: number) => string;
}

export interface Packed {
  blocks: Block[];
  /** How many of the lines are shown (from the start). */
  shown: number;
  /** Characters of text the blocks hold. */
  chars: number;
}

/**
 * Lines (mrkdwn, one item each) packed into as few sections as fit, within a block and a
 * character budget; an over-long line is cut, lines past the budget are counted in a note.
 */
export function packLines(lines: readonly string[], opts: PackOptions): Packed {
  const wrap = opts.wrap ?? ((body: string) => body);
  const all = chunkLines(lines, opts.maxBlocks, opts.maxChars, wrap);
  if (all.shown === lines.length) return toPacked(all.texts, all.shown);
  // Room for the note, sized for the largest count it can show.
  const noteRoom = fit(opts.more(lines.length), L.sectionText).length;
  const some = chunkLines(lines, opts.maxBlocks - 1, opts.maxChars - noteRoom, wrap);
  const note = fit(opts.more(lines.length - some.shown), L.sectionText);
  const packed = toPacked(some.texts, some.shown);
  return { blocks: [...packed.blocks, context([note])], shown: packed.shown, chars: packed.chars + note.length };
}

function toPacked(texts: readonly string[], shown: number): Packed {
  return { blocks: texts.map(section), shown, chars: texts.reduce((n, t) => n + t.length, 0) };
}

/** Section texts holding the first `shown` lines within the budgets. */
function chunkLines(
  lines: readonly string[],
  maxBlocks: number,
  maxChars: number,
  wrap: (body: string) => string,
): { texts: string[]; shown: number } {
  const overhead = wrap('').length;
  const perSection = L.sectionText - overhead;
  const chunks: string[][] = [];
  let current: string[] = [];
  let currentLength = 0;
  let used = 0;
  for (const raw of lines) {
    const line = fit(raw, perSection);
    if (current.length > 0 && currentLength + 1 + line.length > perSection) {
      chunks.push(current);
      current = [];
      currentLength = 0;
    }
    const cost = current.length > 0 ? 1 + line.length : overhead + line.length;
    if (current.length === 0 && chunks.length >= maxBlocks) break;
    if (used + cost > maxChars) break;
    current.push(line);
    currentLength += current.length > 1 ? 1 + line.length : line.length;
    used += cost;
  }
  if (current.length > 0) chunks.push(current);
  return { texts: chunks.map((c) => wrap(c.join('\n'))), shown: chunks.reduce((n, c) => n + c.length, 0) };
}
