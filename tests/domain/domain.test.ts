import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeCidrStrict, reachesPublic } from '../../src/domain/cidr.ts';
import { describePorts, normalizeProtocol } from '../../src/domain/protocol.ts';
import { parseRuleFile, RuleFileError, serializeRuleFile } from '../../src/domain/rule.ts';
import { decodeText, oneLine } from '../../src/domain/text.ts';

describe('CIDR', () => {
  test('normalises host bits, IPv6 spelling and bare addresses', () => {
    assert.equal(normalizeCidrStrict('10.1.2.3/8'), '10.0.0.0/8');
    assert.equal(normalizeCidrStrict(' 203.0.113.5 '), '203.0.113.5/32');
    assert.equal(normalizeCidrStrict('2001:0DB8:0000::1/64'), '2001:db8::/64');
    assert.equal(normalizeCidrStrict('::1'), '::1/128');
  });

  for (const bad of ['300.1.1.1/8', '1.2.3/24', '01.2.3.4/8', '1.2.3.4/33', '::/129', '1::2::3/64', '1.2.3.4/', 'example.com', '1.2.3.4/24/1', '']) {
    test(`refuses ${JSON.stringify(bad)}`, () => assert.equal(normalizeCidrStrict(bad), null));
  }

  test('public means reaching any address outside private and reserved space', () => {
    assert.equal(reachesPublic('11.0.0.0/8'), true);
    assert.equal(reachesPublic('10.0.0.0/7'), true);
    assert.equal(reachesPublic('172.16.0.0/12'), false);
    assert.equal(reachesPublic('172.0.0.0/8'), true);
    assert.equal(reachesPublic('fc00::/7'), false);
    assert.equal(reachesPublic('::/0'), true);
  });
});

describe('protocols', () => {
  test('numbers and names mean the same protocol', () => {
    assert.deepEqual(['6', 'TCP', '17', 'udp', '1', '58', 'all', '-1', 50, '050'].map(normalizeProtocol), ['tcp', 'tcp', 'udp', 'udp', 'icmp', 'icmpv6', '-1', '-1', '50', '50']);
    assert.deepEqual(['smtp', '256', '', '1.5'].map(normalizeProtocol), [null, null, null, null]);
  });

  test('ports read naturally', () => {
    assert.equal(describePorts('tcp', 443, 443), 'tcp/443');
    assert.equal(describePorts('udp', 1000, 2000), 'udp/1000-2000');
    assert.equal(describePorts('tcp', 0, 65535), 'tcp/all ports');
    assert.equal(describePorts('-1', null, null), 'all traffic');
    assert.equal(describePorts('icmp', 8, -1), 'icmp type 8');
    assert.equal(describePorts('50', null, null), 'protocol 50');
  });
});

describe('rule files', () => {
  const rule = { id: 'REQ-12', group: 'sg-front', protocol: '6', from_port: 443, to_port: 443, cidr: '203.0.113.9/24', description: 'partner API', requester: 'U0ALICE', ticket: 'NET-42', expires_at: '2026-12-31T00:00:00Z' };

  test('parse normalises and serialize is stable', () => {
    const parsed = parseRuleFile(JSON.stringify(rule));
    assert.equal(parsed.protocol, 'tcp');
    assert.equal(parsed.cidr, '203.0.113.0/24');
    assert.equal(parsed.direction, 'ingress');
    const text = serializeRuleFile(parsed);
    assert.equal(serializeRuleFile(parseRuleFile(text)), text);
    assert.ok(text.endsWith('}\n'));
  });

  const bad: Array<[string, Record<string, unknown>, RegExp]> = [
    ['a path in the id', { id: '../etc/passwd' }, /id:/],
    ['an unknown group key shape', { group: 'SG Front' }, /group:/],
    ['an unknown protocol', { protocol: 'smtp' }, /protocol: unknown protocol "smtp"/],
    ['a bad CIDR', { cidr: '1.2.3.4/40' }, /cidr:/],
    ['reversed ports', { from_port: 500, to_port: 400 }, /to_port: from_port must not exceed to_port/],
    ['port 0 for tcp', { from_port: 0 }, /from_port: ports are 1-65535/],
    ['mrkdwn in the description', { description: '<!channel> hi' }, /description:/],
    ['a stray field', { owner: 'me' }, /Unrecognized key/],
  ];
  for (const [what, change, message] of bad) {
    test(`refuses ${what}`, () => {
      assert.throws(() => parseRuleFile(JSON.stringify({ ...rule, ...change }), 'REQ-12.json'), (e: unknown) => e instanceof RuleFileError && /^REQ-12\.json: /.test(e.message) && message.test(e.message));
    });
  }

  test('refuses text that is not JSON', () => assert.throws(() => parseRuleFile('{', 'x.json'), /x\.json: not JSON/));
});

describe('text from bytes', () => {
  const text = '{"description": "café ✓"}\r\n';
  test('decoded by byte-order mark, the mark never part of the text', () => {
    assert.equal(decodeText(Buffer.from(text, 'utf8')), text);
    assert.equal(decodeText(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')])), text);
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    assert.equal(decodeText(le), text);
    assert.equal(decodeText(Buffer.from(le).swap16()), text, 'UTF-16 BE (FE FF)');
  });

  test('one line, nothing unprintable: line breaks, controls, BOMs and replacement characters escaped', () => {
    assert.equal(oneLine('a\nb\r\u0000\ufeff\ufffd é'), 'a\\u000ab\\u000d\\u0000\\ufeff\\ufffd é');
  });
});
