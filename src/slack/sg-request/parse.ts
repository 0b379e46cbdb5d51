/**
 * Inline `/sg-request` text into the same raw fields the modal yields:
 *
 *   <group> [ingress|egress] <protocol> [<port>|<from>-<to>] [from|to] <peer> <justification…> [env=…] [ticket=…] [ttl=…|expires=…]
 *
 * The peer is a CIDR, a security group (groups.json key or sg- id) or a prefix list
 * (pl- id); `from` says ingress and `to` egress, as `ingress`/`egress` after the group do.
 *
 * The justification is a "double" or 'single' quoted text, or the rest of the words.
 * Only the shape is read here; `validateRequest` judges the values.
 */
import type { FieldErrors, RawRequest } from './validate.ts';

export interface ParsedInline {
  raw: RawRequest;
  /** Problems of shape (unknown option, unbalanced quote), by the field they concern. */
  errors: FieldErrors;
}

const OPTIONS = { ticket: 'ticket', ttl: 'expiry', expires: 'expiry', env: 'environment' } as const;
const PORTS = /^\d+(?:-\d+)?$/;

interface Token {
  text: string;
  quoted: boolean;
}

export function parseInline(text: string): ParsedInline {
  const errors: FieldErrors = {};
  const { tokens, unbalanced } = tokenize(text);
  if (unbalanced) errors.justification = 'A quote is not closed.';
  const raw: RawRequest = {};
  const words: Token[] = [];
  for (const token of tokens) {
    const option = token.quoted ? null : /^([a-z]+)=(.*)$/.exec(token.text);
    if (!option) {
      words.push(token);
      continue;
    }
    const field = OPTIONS[option[1] as keyof typeof OPTIONS];
    if (field === undefined) errors.justification = `Unknown option "${option[1]}="; use env=, ticket=, ttl= or expires=.`;
    else if (raw[field] !== undefined) errors[field] = `${field === 'expiry' ? 'ttl= or expires=' : `${option[1]}=`} is given twice.`;
    else raw[field] = option[2];
  }
  const next = () => words.shift()?.text;
  const keyword = (set: readonly string[]) => (words[0] && !words[0].quoted && set.includes(words[0].text.toLowerCase()) ? next()!.toLowerCase() : undefined);
  raw.group = next();
  const direction = keyword(['ingress', 'egress']);
  raw.protocol = next();
  if (words[0] && !words[0].quoted && PORTS.test(words[0].text)) raw.ports = next();
  const side = keyword(['from', 'to']);
  const implied = side === undefined ? undefined : side === 'to' ? 'egress' : 'ingress';
  if (direction !== undefined && implied !== undefined && direction !== implied) errors.direction = `"${direction} … ${side}" contradicts itself: ingress comes from a peer, egress goes to one.`;
  if (direction !== undefined || implied !== undefined) raw.direction = direction ?? implied;
  raw.peer = next();
  raw.justification = words.map((w) => w.text).join(' ');
  return { raw, errors };
}

/** Words split on white space; a quoted run (either quote) is one token, quotes removed. */
function tokenize(text: string): { tokens: Token[]; unbalanced: boolean } {
  const tokens: Token[] = [];
  const re = /"([^"]*)"|'([^']*)'|(["'])|(\S+?)(?=\s|$|["'])/g;
  let unbalanced = false;
  for (const m of text.matchAll(re)) {
    if (m[3] !== undefined) {
      unbalanced = true;
      tokens.push({ text: text.slice(m.index + 1).trim(), quoted: true });
      break;
    }
    const quoted = m[1] ?? m[2];
    tokens.push(quoted === undefined ? { text: m[4]!, quoted: false } : { text: quoted, quoted: true });
  }
  return { tokens, unbalanced };
}
