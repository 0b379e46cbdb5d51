/**
 * A small XML writer for AWS answers: a plain object becomes one element per key, an
 * array becomes a wrapper whose entries are `<item>` elements (EC2's list convention),
 * and undefined/null members are left out, as AWS omits absent fields.
 */

export type XmlValue = string | number | boolean | null | undefined | Date | XmlValue[] | XmlObject;
export interface XmlObject {
  [key: string]: XmlValue;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

/** Text content escapes only what XML requires, so quotes read as AWS writes them. */
function escapeText(text: string): string {
  return text.replace(/[&<>]/g, (c) => ESCAPES[c] ?? c);
}

function escapeAttribute(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ESCAPES[c] ?? c);
}

function renderValue(name: string, value: XmlValue): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) {
    if (value.length === 0) return `<${name}/>`;
    return `<${name}>${value.map((v) => renderValue('item', v)).join('')}</${name}>`;
  }
  if (value instanceof Date) return `<${name}>${value.toISOString()}</${name}>`;
  if (typeof value === 'object') return `<${name}>${renderChildren(value)}</${name}>`;
  return `<${name}>${escapeText(String(value))}</${name}>`;
}

function renderChildren(object: XmlObject): string {
  return Object.entries(object)
    .map(([k, v]) => renderValue(k, v))
    .join('');
}

/** A complete document: `<root xmlns="namespace">…children…</root>`. */
export function renderXmlDocument(root: string, children: XmlObject, namespace?: string): string {
  const xmlns = namespace === undefined ? '' : ` xmlns="${escapeAttribute(namespace)}"`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${xmlns}>${renderChildren(children)}</${root}>`;
}
