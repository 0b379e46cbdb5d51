/**
 * What a person typed reaches GitLab as text, never as Markdown, HTML, a link, an image,
 * a mention or a reference: asserted on the Markdown and the titles Portcullis produces.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gitLabChange, inertText, markdownCode } from '../../src/core/merge-request-text.ts';
import { parseRuleFile } from '../../src/domain/rule.ts';
import { changeRequest, ruleFile } from '../helpers/deps.ts';

const HOSTILE = '[click](http://evil) ![x](http://track/p.png) @all <img src=x> #1 !2';
const WJ = '\u2060';

/** The Markdown with its inline code spans taken out: what GitLab renders as Markdown. */
function outsideCode(markdown: string): string {
  return markdown.replace(/(`+)(?!`)([\s\S]*?[^`])\1(?!`)/g, '⟨code⟩');
}
/** The contents of its inline code spans, as CommonMark reads them. */
function insideCode(markdown: string): string[] {
  return [...markdown.matchAll(/(`+)(?!`)([\s\S]*?[^`])\1(?!`)/g)].map((m) => m[2]!.replace(/^ (.*) $/, '$1'));
}

/** Nothing GitLab would act on: a mention, an issue or MR reference, an autolink, a link or image, HTML. */
function assertInert(text: string, where: string) {
  assert.doesNotMatch(text, /@(?:all|group|here)\b/, `${where}: a mention`);
  assert.doesNotMatch(text, /[#!]\d/, `${where}: a reference`);
  assert.doesNotMatch(text, /:\/\/|www\./i, `${where}: an autolink`);
  assert.doesNotMatch(text, /\n/, `${where}: a line break`);
}

describe('the merge request of a hostile request', () => {
  const rule = ruleFile({ id: 'REQ-12', description: HOSTILE, requester: 'U0ALICE', ticket: 'NET#42' });
  const name = '**boss** <b>x</b> @group\n\n# Approved by security';
  const change = gitLabChange(changeRequest({ rule }), rule, name);

  test('no link, image, mention, reference or HTML is live in the description', () => {
    const outside = outsideCode(change.description);
    for (const live of ['](', '![', '@all', '@group', '<img', '<b>', '#1', '!2', 'http', 'NET#42', '**boss**']) {
      assert.ok(!outside.includes(live), `${JSON.stringify(live)} is Markdown in:\n${change.description}`);
    }
    assert.doesNotMatch(change.description, /^# /m, 'no heading injected by a line break');
    for (const code of insideCode(change.description)) assertInert(code, `code span ${JSON.stringify(code)}`);
  });

  test('each person-given field is one code span on its line, and still reads as typed', () => {
    const line = (label: string) => change.description.split('\n').find((l) => l.startsWith(label))!;
    assert.equal(line('- Justification: '), `- Justification: \`[click](http:${WJ}//evil) ![x](http:${WJ}//track/p.png) @${WJ}all <img src=x> #${WJ}1 !${WJ}2\``);
    assert.equal(line('- Ticket: '), `- Ticket: \`NET#${WJ}42\``);
    assert.equal(line('Requested from Slack by '), `Requested from Slack by \`**boss** <b>x</b> @${WJ}group # Approved by security\` (Slack user \`U0ALICE\`) with /sg-request.`);
  });

  test('the title and the commit message carry no mention, reference, link or extra line', () => {
    assertInert(change.title, 'title');
    assert.match(change.title, /^REQ-12: open tcp\/443 from 203\.0\.113\.0\/24 to sg-front \(for \*\*boss\*\* <b>x<\/b> @\u2060group # Approved by security\)$/);
    const [subject, blank, body, ...more] = change.commitMessage.split('\n');
    assert.deepEqual([blank, more], ['', []]);
    assertInert(`${subject} ${body}`, 'commit message');
  });

  test('a requester id from a hand-written rule file is made inert too', () => {
    const odd = ruleFile({ requester: '@all please see #3' });
    const c = gitLabChange(changeRequest({ rule: odd }), odd);
    assertInert(c.title, 'title');
    assertInert(c.commitMessage.split('\n').at(-1)!, 'commit body');
    assert.ok(!outsideCode(c.description).includes('@all'));
  });

  test('the revocation of a rule with such a description is just as inert', () => {
    const expired = ruleFile({ description: HOSTILE, requester: '@all' });
    const revocation = gitLabChange(changeRequest({ id: 'REV-REQ-12', kind: 'revocation', rule: expired }), expired);
    const outside = outsideCode(revocation.description);
    for (const live of ['](', '![', '@all', '<img', '#1', '!2', 'http']) assert.ok(!outside.includes(live), `${live} in:\n${revocation.description}`);
    for (const code of insideCode(revocation.description)) assertInert(code, 'code span');
  });
});

describe('the pieces', () => {
  test('the rule-file schema accepts link, image, mention and reference syntax in a description: escaping is needed', () => {
    const rule = parseRuleFile(JSON.stringify({ ...ruleFile(), description: '[click](http://evil) ![x](http://track/p.png) @all #1 !2' }));
    const line = gitLabChange(changeRequest({ rule }), rule).description.split('\n').find((l) => l.startsWith('- Justification'))!;
    assert.ok(!outsideCode(line).includes('@all') && !outsideCode(line).includes(']('), line);
  });

  test('a code span is fenced by more backticks than any run inside, padded at a backtick edge', () => {
    assert.equal(markdownCode('a`b'), '``a`b``');
    assert.equal(markdownCode('`x``'), '``` `x`` ```');
    assert.deepEqual(insideCode(markdownCode('``a```b`')), ['``a```b`']);
    assert.equal(markdownCode('  \n '), '(empty)');
  });

  test('inert text: one line, no bidi overrides, sigils and schemes split; ordinary text unchanged', () => {
    assert.equal(inertText('partner API (NET-42)'), 'partner API (NET-42)');
    assert.equal(inertText('a\r\nb\u202Ec\td'), 'a b c d');
    assert.equal(
      inertText('group/project#3 ~bug %v1 $5 &7 ^alert#2 *iteration:4 **bold** www.evil.example'),
      `group/project#${WJ}3 ~${WJ}bug %${WJ}v1 $${WJ}5 &${WJ}7 ^${WJ}alert#${WJ}2 *${WJ}iteration:4 **bold** www${WJ}.evil.example`,
    );
    assert.equal(inertText('mail me@127.0.0.1, see https://x'), `mail me@${WJ}127.0.0.1, see https:${WJ}//x`);
  });
});
