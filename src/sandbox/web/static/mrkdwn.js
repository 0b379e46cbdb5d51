// Slack's mrkdwn, read as Slack's client reads it (Slack's "Formatting text for app
// surfaces"): the text arrives with &, < and > escaped as &amp; &lt; &gt;; a raw <...> is a
// control sequence (link, mention, date); *bold*, _italic_, ~strike~, `code`, ```blocks```
// and > quotes. parse() turns text into plain nodes (no DOM: tests run it in Node);
// toDom() builds elements from them with textContent only, so nothing a person typed is
// ever read as HTML.
import { el } from './dom.js';

const ENTITIES = { '&amp;': '&', '&lt;': '<', '&gt;': '>' };
/** Slack's own three entities, and only those (Slack asks apps to escape nothing else). */
export function decode(text) {
  return text.replace(/&(amp|lt|gt);/g, (m) => ENTITIES[m]);
}

const SAFE_LINK = /^(https?:\/\/|mailto:)/i;
const EMOJI = {
  white_check_mark: '✅', x: '❌', warning: '⚠️', no_entry: '⛔', no_entry_sign: '🚫', raised_hand: '✋',
  rotating_light: '🚨', inbox_tray: '📥', hourglass: '⌛', hourglass_flowing_sand: '⏳', rocket: '🚀',
  large_yellow_circle: '🟡', heavy_multiplication_x: '✖️', gear: '⚙️', fast_forward: '⏩',
  double_vertical_bar: '⏸️', ballot_box_with_check: '☑️', arrow_forward: '▶️', lock: '🔒', white_circle: '⚪',
  large_green_circle: '🟢', red_circle: '🔴', mag: '🔍', memo: '📝', page_facing_up: '📄', clipboard: '📋',
};

/** One control sequence <...>, its inside still escaped. */
function control(inside) {
  const bar = inside.indexOf('|');
  const target = bar === -1 ? inside : inside.slice(0, bar);
  const label = bar === -1 ? null : inside.slice(bar + 1);
  if (target.startsWith('@')) return { t: 'user', id: target.slice(1), label: label === null ? null : decode(label) };
  if (target.startsWith('#')) return { t: 'channel', id: target.slice(1), label: label === null ? null : decode(label) };
  if (target.startsWith('!subteam^')) return { t: 'mention', text: label === null ? `@${target.slice(9)}` : decode(label) };
  if (target.startsWith('!date^')) return { t: 'date', text: decode(label ?? target) };
  if (target.startsWith('!')) return { t: 'mention', text: `@${target.slice(1)}` };
  const href = decode(target);
  const text = label === null ? href : decode(label);
  return SAFE_LINK.test(href) ? { t: 'link', href, text } : { t: 'text', text };
}

// Formatting marks take effect at word edges only, as in Slack: `a*b*c` stays as typed.
const MARKS = { '*': 'b', _: 'i', '~': 's' };
const EDGE_BEFORE = /[\s([{'"“‘>:-]|^$/;
const EDGE_AFTER = /[\s)\]}'"”’.,;:!?<-]|^$/;

/** Inline nodes of one line (or of a mark's inside). */
function inline(text) {
  const nodes = [];
  let plain = '';
  const flush = () => {
    if (plain !== '') nodes.push({ t: 'text', text: decode(plain) });
    plain = '';
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '<') {
      const end = text.indexOf('>', i + 1);
      if (end > i + 1) {
        flush();
        nodes.push(control(text.slice(i + 1, end)));
        i = end + 1;
        continue;
      }
    }
    if (c === '`') {
      const end = text.indexOf('`', i + 1);
      if (end > i + 1) {
        flush();
        nodes.push({ t: 'code', text: decode(text.slice(i + 1, end)) });
        i = end + 1;
        continue;
      }
    }
    if (c === ':') {
      const m = /^:([a-z0-9_+-]+):/.exec(text.slice(i));
      if (m && EMOJI[m[1]] !== undefined) {
        flush();
        nodes.push({ t: 'emoji', name: m[1], text: EMOJI[m[1]] });
        i += m[0].length;
        continue;
      }
    }
    const mark = MARKS[c];
    if (mark !== undefined && EDGE_BEFORE.test(text[i - 1] ?? '') && text[i + 1] !== undefined && !/\s/.test(text[i + 1])) {
      let end = text.indexOf(c, i + 1);
      while (end !== -1 && (/\s/.test(text[end - 1]) || !EDGE_AFTER.test(text[end + 1] ?? ''))) end = text.indexOf(c, end + 1);
      if (end !== -1) {
        flush();
        nodes.push({ t: mark, children: inline(text.slice(i + 1, end)) });
        i = end + 1;
        continue;
      }
    }
    plain += c;
    i += 1;
  }
  flush();
  return nodes;
}

/** Block-level nodes: ```pre``` blocks, > quotes and lines with their inline marks. */
export function parse(text) {
  const nodes = [];
  const parts = String(text).split('```');
  parts.forEach((part, index) => {
    // Odd parts sit between fences: preformatted, marks not applied.
    if (index % 2 === 1 && index < parts.length - 1) {
      nodes.push({ t: 'pre', text: decode(part.replace(/^\n/, '')) });
      return;
    }
    const source = index % 2 === 1 ? '```' + part : part;
    const lines = source.split('\n');
    lines.forEach((line, n) => {
      // A raw > starts a quote; &gt; is a literal > a person typed, shown as text.
      if (line.startsWith('>')) {
        nodes.push({ t: 'quote', children: inline(line.slice(1)) });
        return;
      }
      nodes.push(...inline(line));
      if (n < lines.length - 1) nodes.push({ t: 'br' });
    });
  });
  return nodes;
}

/** The text a node shows, for names: `<@U…>` by the person's name when known. */
function personName(id, people) {
  const p = people?.find((x) => x.id === id);
  return `@${p ? p.name : id}`;
}

/** DOM for parsed nodes; `ctx.people` names mentions. Only textContent and safe attributes. */
export function toDom(nodes, ctx = {}) {
  const fragment = document.createDocumentFragment();
  for (const node of nodes) fragment.append(nodeDom(node, ctx));
  return fragment;
}

function nodeDom(node, ctx) {
  switch (node.t) {
    case 'text':
      return document.createTextNode(node.text);
    case 'b':
    case 'i':
    case 's': {
      const e = el({ b: 'strong', i: 'em', s: 's' }[node.t]);
      e.append(toDom(node.children, ctx));
      return e;
    }
    case 'code':
      return el('code', '', node.text);
    case 'pre':
      return el('pre', '', node.text);
    case 'quote': {
      const e = el('blockquote');
      e.append(toDom(node.children, ctx));
      return e;
    }
    case 'br':
      return el('br');
    case 'emoji': {
      const e = el('span', 'emoji', node.text);
      e.title = `:${node.name}:`;
      return e;
    }
    case 'link': {
      const a = el('a', '', node.text);
      a.href = node.href;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      return a;
    }
    case 'user':
      return el('span', 'mention', node.label ? `@${node.label}` : personName(node.id, ctx.people));
    case 'channel':
      return el('span', 'mention', `#${node.label ?? node.id}`);
    case 'mention':
      return el('span', 'mention', node.text);
    case 'date':
      return el('span', 'date', node.text);
    default:
      return document.createTextNode('');
  }
}

/** Mrkdwn text straight to DOM. */
export function render(text, ctx) {
  return toDom(parse(text), ctx);
}
