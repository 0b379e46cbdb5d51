import assert from 'node:assert/strict';
import { test } from 'node:test';
import { code, codeBlock, escapeMrkdwn, link, mention, slackDate, truncate, truncatePlain, truncateStart } from '../../src/slack/mrkdwn.ts';

test('escapeMrkdwn encodes exactly &, < and >', () => {
  assert.equal(escapeMrkdwn('<!channel> & <@U123> "quotes" \'apos\' *bold*'), '&lt;!channel&gt; &amp; &lt;@U123&gt; "quotes" \'apos\' *bold*');
  assert.equal(escapeMrkdwn('&amp;'), '&amp;amp;', 'an entity typed by a person is shown as typed');
});

test('mention only for valid user ids', () => {
  assert.equal(mention('U0ABC123'), '<@U0ABC123>');
  assert.equal(mention('W0ABC'), '<@W0ABC>');
  assert.equal(mention('<!channel>'), 'unknown user `&lt;!channel&gt;`');
  assert.equal(mention('u0abc'), 'unknown user `u0abc`');
});

test('link accepts http(s) urls only, and escapes its label', () => {
  assert.equal(link('https://gitlab.example/x?a=1', 'a <b> & c'), '<https://gitlab.example/x?a=1|a &lt;b&gt; &amp; c>');
  assert.equal(link('javascript:alert(1)', 'x'), 'x (javascript:alert(1))');
  assert.equal(link('http://a|b', 'x'), 'x (http://a|b)');
  assert.equal(link('http://a>b', 'x'), 'x (http://a&gt;b)');
  assert.equal(link('http://a b', 'x'), 'x (http://a b)');
});

test('inline code cannot be broken out of', () => {
  assert.equal(code('a`b <!here>\nc'), '`aˋb &lt;!here&gt; c`');
  assert.equal(code(''), '');
});

test('code block: fences inside are split, content escaped', () => {
  const block = codeBlock('x\n```\n<@U1>');
  assert.equal(block, '```\nx\n`\u200b`\u200b`\n&lt;@U1&gt;\n```');
  assert.equal(block.slice(3, -3).includes('```'), false);
});

test('slackDate: a Slack date with a UTC fallback; garbage shown as text', () => {
  assert.equal(slackDate('2024-05-01T09:30:00Z'), '<!date^1714555800^{date_short_pretty} at {time}|2024-05-01 09:30:00 UTC>');
  assert.equal(slackDate('<!channel>'), '&lt;!channel&gt;');
});

test('truncate keeps short text and cuts long text to max with the marker', () => {
  assert.equal(truncate('hello', 5), 'hello');
  assert.equal(truncate('hello world', 8), 'hello w…');
  assert.equal(truncate('hello world', 8, ' [cut]'), 'he [cut]');
  assert.equal(truncate('hello', 0), '');
});

test('truncate never cuts inside an entity', () => {
  const text = escapeMrkdwn('ab<cd');
  for (let max = 1; max <= text.length; max++) {
    const out = truncate(text, max);
    assert.ok(out.length <= max, `max ${max}: ${out}`);
    assert.doesNotMatch(out.replace(/&(amp|lt|gt);/g, ''), /&/, `max ${max}: ${out}`);
  }
  assert.equal(truncate(text, 5), 'ab…');
});

test('truncate never splits a surrogate pair', () => {
  const text = 'a😀😀😀';
  for (let max = 1; max <= text.length; max++) {
    for (const out of [truncate(text, max), truncatePlain(text, max), truncateStart(text, max)]) {
      assert.ok(out.length <= max);
      assert.doesNotMatch(out, /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/, `max ${max}: ${JSON.stringify(out)}`);
    }
  }
});

test('truncate never cuts a mention or link in half', () => {
  const text = `see ${link('http://127.0.0.1/x', 'the pipeline')} now`;
  for (let max = 1; max < text.length; max++) {
    const out = truncate(text, max);
    assert.ok(out.length <= max);
    assert.equal((out.match(/</g) ?? []).length, (out.match(/>/g) ?? []).length, `max ${max}: ${out}`);
  }
});

test('truncateStart keeps the end, whole entities included', () => {
  assert.equal(truncateStart('0123456789', 5), '…6789');
  const text = escapeMrkdwn('x>yz'); // x&gt;yz: the entity spans indexes 1-4
  for (let max = 1; max <= text.length; max++) {
    const kept = truncateStart(text, max).replace(/^…/, '');
    assert.ok(text.endsWith(kept) && kept.length < max + 1, `max ${max}: ${kept}`);
    assert.ok(![2, 3, 4].includes(text.length - kept.length), `max ${max} starts inside the entity: ${kept}`);
  }
  assert.equal(truncateStart(text, 6), '…yz');
});
