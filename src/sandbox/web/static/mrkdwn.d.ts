// Types of mrkdwn.js (plain browser JavaScript), for the tests that run its parser in Node.
export type MrkdwnNode =
  | { t: 'text' | 'code' | 'pre' | 'mention' | 'date'; text: string }
  | { t: 'b' | 'i' | 's' | 'quote'; children: MrkdwnNode[] }
  | { t: 'link'; href: string; text: string }
  | { t: 'user' | 'channel'; id: string; label: string | null }
  | { t: 'emoji'; name: string; text: string }
  | { t: 'br' };
export function decode(text: string): string;
export function parse(text: string): MrkdwnNode[];
export function toDom(nodes: MrkdwnNode[], ctx?: { people?: Array<{ id: string; name: string }> }): unknown;
export function render(text: string, ctx?: { people?: Array<{ id: string; name: string }> }): unknown;
