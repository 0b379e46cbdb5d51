/**
 * One checker for every message the bot builds: Slack's documented Block Kit limits
 * (via the same constants the builders use) plus our own budgets.
 * Returns every problem found, with a path, so a failing test says what broke where.
 */
import assert from 'node:assert/strict';
import type { SlackMessage } from '../../src/core/ports.ts';
import { OUR_LIMITS, SLACK_LIMITS as L } from '../../src/slack/blocks/limits.ts';

type Json = Record<string, unknown>;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

class Problems {
  readonly list: string[] = [];
  add(path: string, what: string): void {
    this.list.push(`${path}: ${what}`);
  }
  length(path: string, value: unknown, min: number, max: number): void {
    if (typeof value !== 'string') return this.add(path, 'not a string');
    if (value.length < min || value.length > max) this.add(path, `${value.length} characters, allowed ${min}-${max}`);
    if (LONE_SURROGATE.test(value)) this.add(path, 'lone surrogate (a character cut in half)');
  }
  count(path: string, value: unknown, min: number, max: number): unknown[] {
    if (!Array.isArray(value)) {
      this.add(path, 'not an array');
      return [];
    }
    if (value.length < min || value.length > max) this.add(path, `${value.length} items, allowed ${min}-${max}`);
    return value;
  }
}

function textObject(p: Problems, path: string, value: unknown, max: number, types = ['plain_text', 'mrkdwn']): void {
  if (!isObject(value)) return p.add(path, 'missing text object');
  if (!types.includes(String(value.type))) p.add(`${path}.type`, `"${String(value.type)}", allowed ${types.join(', ')}`);
  p.length(`${path}.text`, value.text, 1, max);
}

function element(p: Problems, path: string, el: unknown): void {
  if (!isObject(el) || el.type !== 'button') return p.add(path, 'only buttons are expected in messages');
  textObject(p, `${path}.text`, el.text, L.buttonText, ['plain_text']);
  p.length(`${path}.action_id`, el.action_id, 1, L.actionId);
  if (el.value !== undefined) p.length(`${path}.value`, el.value, 1, L.buttonValue);
  if (el.confirm !== undefined) {
    const c = el.confirm as Json;
    textObject(p, `${path}.confirm.title`, c.title, L.confirmTitle, ['plain_text']);
    textObject(p, `${path}.confirm.text`, c.text, L.confirmText);
    textObject(p, `${path}.confirm.confirm`, c.confirm, L.confirmButton, ['plain_text']);
    textObject(p, `${path}.confirm.deny`, c.deny, L.confirmButton, ['plain_text']);
  }
}

function block(p: Problems, path: string, b: unknown): void {
  if (!isObject(b)) return p.add(path, 'not an object');
  if (b.block_id !== undefined) p.length(`${path}.block_id`, b.block_id, 1, L.blockId);
  switch (b.type) {
    case 'header':
      return textObject(p, `${path}.text`, b.text, L.headerText, ['plain_text']);
    case 'section':
      if (b.text === undefined && b.fields === undefined) p.add(path, 'section without text or fields');
      if (b.text !== undefined) textObject(p, `${path}.text`, b.text, L.sectionText);
      if (b.fields !== undefined) {
        p.count(`${path}.fields`, b.fields, 1, L.sectionFields).forEach((f, i) => textObject(p, `${path}.fields[${i}]`, f, L.fieldText));
      }
      return;
    case 'context':
      return p.count(`${path}.elements`, b.elements, 1, L.contextElements).forEach((e, i) => textObject(p, `${path}.elements[${i}]`, e, L.sectionText));
    case 'actions':
      return p.count(`${path}.elements`, b.elements, 1, L.actionsElements).forEach((e, i) => element(p, `${path}.elements[${i}]`, e));
    case 'divider':
      return;
    default:
      return p.add(`${path}.type`, `unexpected block type "${String(b.type)}"`);
  }
}

/** Every string under a "text" key: what counts toward Slack's undocumented total. */
export function blockTexts(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(blockTexts);
  if (!isObject(value)) return [];
  return Object.entries(value).flatMap(([k, v]) => (k === 'text' && typeof v === 'string' ? [v] : blockTexts(v)));
}

export function slackLimitProblems(message: SlackMessage): string[] {
  const p = new Problems();
  p.length('text', message.text, 1, OUR_LIMITS.fallbackText);
  const blocks = p.count('blocks', message.blocks ?? [], 0, L.messageBlocks);
  blocks.forEach((b, i) => block(p, `blocks[${i}]`, b));
  const total = blockTexts(blocks).reduce((n, t) => n + t.length, 0);
  if (total > OUR_LIMITS.messageBlockText) p.add('blocks', `${total} characters of text in all, our budget is ${OUR_LIMITS.messageBlockText}`);
  return p.list;
}

export function assertWithinSlackLimits(message: SlackMessage): void {
  const problems = slackLimitProblems(message);
  assert.deepEqual(problems, [], `message breaks Slack's limits:\n${problems.join('\n')}`);
}
