// The view limits of the Slack fake's Block Kit validator (message limits are exercised
// through the real WebClient in slack-web-api.test.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateMessageBlocks, validateView } from '../../src/fakes/slack/blocks-validation.ts';

const plain = (text: string) => ({ type: 'plain_text', text });
const x = (n: number) => 'x'.repeat(n);
const validModal = { type: 'modal', title: plain('Request'), submit: plain('Send'), close: plain('Cancel'), blocks: [] };

describe('Slack fake view validation', () => {
  it('accepts a modal at every limit', () => {
    const atLimits = {
      ...validModal,
      title: plain(x(24)),
      submit: plain(x(24)),
      close: plain(x(24)),
      private_metadata: x(3000),
      callback_id: x(255),
      blocks: Array.from({ length: 100 }, () => ({ type: 'divider' })),
    };
    assert.deepEqual(validateView(atLimits), []);
  });

  const overLimit: Array<[string, Record<string, unknown>, string]> = [
    ['title over 24', { title: plain(x(25)) }, '/view/title/text'],
    ['submit over 24', { submit: plain(x(25)) }, '/view/submit/text'],
    ['close over 24', { close: plain(x(25)) }, '/view/close/text'],
    ['private_metadata over 3000', { private_metadata: x(3001) }, '/view/private_metadata'],
    ['callback_id over 255', { callback_id: x(256) }, '/view/callback_id'],
    ['more than 100 blocks', { blocks: Array.from({ length: 101 }, () => ({ type: 'divider' })) }, '/view/blocks'],
    ['an unknown view type', { type: 'dialog' }, '/view/type'],
    ['an input label over 2000', { blocks: [{ type: 'input', label: plain(x(2001)), element: { type: 'plain_text_input' } }] }, '/view/blocks/0/label/text'],
    [
      'a select option value over 75',
      { blocks: [{ type: 'input', label: plain('l'), element: { type: 'static_select', options: [{ text: plain('o'), value: x(76) }] } }] },
      '/view/blocks/0/element/options/0/value',
    ],
  ];
  for (const [name, change, pointer] of overLimit) {
    it(`refuses a modal with ${name}`, () => {
      const problems = validateView({ ...validModal, ...change });
      assert.ok(
        problems.some((p) => p.startsWith('[ERROR] ') && p.endsWith(`[json-pointer:${pointer}]`)),
        `no problem at ${pointer}: ${JSON.stringify(problems)}`,
      );
    });
  }

  it('names unsupported block types and blocks without a type', () => {
    assert.deepEqual(validateMessageBlocks([{ type: 'carousel' }, {}]), [
      '[ERROR] unsupported type: carousel [json-pointer:/blocks/0/type]',
      '[ERROR] missing required field: type [json-pointer:/blocks/1]',
    ]);
  });
});
