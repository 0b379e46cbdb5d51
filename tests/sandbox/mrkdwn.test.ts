// The page's mrkdwn reader (plain browser JavaScript), run in Node: what a person typed
// stays text, control sequences become mentions and safe links only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, type MrkdwnNode } from '../../src/sandbox/web/static/mrkdwn.js';

/** The text a reader sees, with the node kinds around it. */
function shown(nodes: MrkdwnNode[]): string {
  return nodes
    .map((n) => {
      if ('children' in n) return `${n.t}(${shown(n.children)})`;
      if (n.t === 'link') return `link(${n.text} → ${n.href})`;
      if ('id' in n) return `${n.t}(${n.id})`;
      if (!('text' in n)) return '⏎';
      return n.t === 'text' ? n.text : `${n.t}(${n.text})`;
    })
    .join('');
}

test('escaped text is decoded once, to text: entities a person typed stay as typed', () => {
  assert.equal(shown(parse('&lt;script&gt;alert(1)&lt;/script&gt; &amp;lt;')), '<script>alert(1)</script> &lt;');
});

test('links keep only http(s) and mailto targets; anything else shows its label as text', () => {
  assert.equal(shown(parse('<https://gitlab.test/p?a=1&amp;b=2|Pipeline>')), 'link(Pipeline → https://gitlab.test/p?a=1&b=2)');
  assert.equal(shown(parse('<javascript:alert(1)|click me>')), 'click me');
  assert.equal(shown(parse('<data:text/html,x>')), 'data:text/html,x');
});

test('mentions, dates and broadcasts are shown by name, never as links', () => {
  assert.equal(shown(parse('by <@U0BOB> at <!date^1700000000^{time}|12:00 UTC> <!here>')), 'by user(U0BOB) at date(12:00 UTC) mention(@here)');
});

test('bold, italic, strike and code at word edges; marks inside words and code stay literal', () => {
  assert.equal(shown(parse('*Approved* by _Bob_ ~old~ `a*b*c` x*y*z')), 'b(Approved) by i(Bob) s(old) code(a*b*c) x*y*z');
  assert.equal(shown(parse(':white_check_mark: ok :unknown_emoji:')), 'emoji(✅) ok :unknown_emoji:');
});

test('quotes, line breaks and preformatted blocks', () => {
  assert.equal(shown(parse('*Rejected*\n>too broad\n&gt; not a quote')), 'b(Rejected)⏎quote(too broad)> not a quote');
  assert.equal(shown(parse('plan:\n```+ ingress *tcp*/443```')), 'plan:⏎pre(+ ingress *tcp*/443)');
});
