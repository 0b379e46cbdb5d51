/** Inline /sg-request text and the field validation shared with the modal: every accepted shape and every error. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseInline } from '../../src/slack/sg-request/parse.ts';
import { DEFAULT_MAX_TTL_MS, resolveEnvironment, validateRequest, type Field, type RawRequest } from '../../src/slack/sg-request/validate.ts';

const ctx = { knownGroups: ['sg-backend', 'sg-front'], now: new Date('2026-06-01T12:00:00Z'), maxTtlMs: DEFAULT_MAX_TTL_MS };
const read = (text: string) => {
  const parsed = parseInline(text);
  const v = validateRequest(parsed.raw, ctx);
  return { ...v, errors: { ...(v.ok ? {} : v.errors), ...parsed.errors } };
};

test('accepted inline shapes become normalised requests', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['sg-front tcp 443 203.0.113.9/24 "partner API" ttl=7d ticket=NET-42', { protocol: 'tcp', fromPort: 443, toPort: 443, peer: { kind: 'cidr', value: '203.0.113.0/24' }, justification: 'partner API', ticket: 'NET-42', expiresAt: '2026-06-08T12:00:00.000Z' }],
    ['sg-front tcp 8000-8100 198.51.100.7 rest of the line', { fromPort: 8000, toPort: 8100, peer: { kind: 'cidr', value: '198.51.100.7/32' }, justification: 'rest of the line', ticket: null, expiresAt: null }],
    ["sg-backend udp 53 2001:db8:0:0::1/32 'dns (NET-1)' expires=2026-06-30", { group: 'sg-backend', protocol: 'udp', peer: { kind: 'cidr', value: '2001:db8::/32' }, justification: 'dns (NET-1)', expiresAt: '2026-07-01T00:00:00.000Z' }],
    ['sg-front icmp 10.0.0.0/8 ping', { protocol: 'icmp', fromPort: -1, toPort: -1 }],
    ['sg-front 6 443 10.0.0.0/8 "by number"', { protocol: 'tcp', fromPort: 443 }],
    ['sg-front 47 10.0.0.0/8 gre tunnel', { protocol: '47', fromPort: -1, justification: 'gre tunnel' }],
    ['sg-front TCP 443 10.0.0.0/8 "spaces   collapse"', { protocol: 'tcp', justification: 'spaces collapse' }],
  ];
  for (const [text, expected] of cases) {
    const r = read(text);
    assert.ok(r.ok, `${text}: ${JSON.stringify(r.errors)}`);
    assert.deepEqual(Object.keys(r.errors), [], text);
    for (const [k, v] of Object.entries(expected)) assert.deepEqual((r.input as unknown as Record<string, unknown>)[k], v, `${text}: ${k}`);
  }
});

test('each kind of bad input is reported against its field', () => {
  const cases: Array<[string, Field, RegExp]> = [
    ['', 'group', /Choose a security group/],
    ['sg-nowhere tcp 443 10.0.0.0/8 x', 'group', /Unknown security group "sg-nowhere"; known: sg-backend, sg-front/],
    ['sg-front sctp 443 10.0.0.0/8 x', 'protocol', /Unknown protocol "sctp"/],
    ['sg-front 256 10.0.0.0/8 x', 'protocol', /Unknown protocol "256"/],
    ['sg-front all 10.0.0.0/8 x', 'protocol', /All protocols cannot be requested/],
    ['sg-front tcp 10.0.0.0/8 x', 'ports', /Give a port/],
    ['sg-front tcp 0 10.0.0.0/8 x', 'ports', /1-65535/],
    ['sg-front tcp 65536 10.0.0.0/8 x', 'ports', /1-65535/],
    ['sg-front tcp 9000-8000 10.0.0.0/8 x', 'ports', /starts after it ends \(9000-8000\)/],
    ['sg-front icmp 8 10.0.0.0/8 x', 'ports', /icmp has no ports/],
    ['sg-front tcp 443 10.0.0.0/33 x', 'peer', /"10\.0\.0\.0\/33" is not an IPv4 or IPv6 CIDR/],
    ['sg-front tcp 443 example.com x', 'peer', /not an IPv4 or IPv6 CIDR/],
    ['sg-front tcp 443 2001:db8::/129 x', 'peer', /not an IPv4 or IPv6 CIDR/],
    ['sg-front tcp 443 10.0.0.0/8', 'justification', /Say why/],
    ['sg-front tcp 443 10.0.0.0/8 "<!channel> hi"', 'justification', /AWS rule descriptions allow no others/],
    [`sg-front tcp 443 10.0.0.0/8 "${'a'.repeat(256)}"`, 'justification', /At most 255 characters/],
    ['sg-front tcp 443 10.0.0.0/8 "unclosed', 'justification', /quote is not closed/],
    ['sg-front tcp 443 10.0.0.0/8 x owner=me', 'justification', /Unknown option "owner="/],
    ['sg-front tcp 443 10.0.0.0/8 x ticket=-bad', 'ticket', /"-bad" is not a ticket reference/],
    ['sg-front tcp 443 10.0.0.0/8 x ticket=A ticket=B', 'ticket', /given twice/],
    ['sg-front tcp 443 10.0.0.0/8 x ttl=1w', 'expiry', /neither a duration .* nor a date/],
    ['sg-front tcp 443 10.0.0.0/8 x ttl=0d', 'expiry', /neither a duration/],
    ['sg-front tcp 443 10.0.0.0/8 x ttl=91d', 'expiry', /At most 90 days ahead/],
    ['sg-front tcp 443 10.0.0.0/8 x expires=2026-05-31', 'expiry', /in the past/],
    ['sg-front tcp 443 10.0.0.0/8 x expires=2026-02-30', 'expiry', /"2026-02-30" is not a date/],
    ['sg-front tcp 443 10.0.0.0/8 x ttl=1d expires=2026-06-05', 'expiry', /given twice/],
  ];
  for (const [text, field, expected] of cases) {
    const r = read(text);
    assert.equal(r.ok && Object.keys(r.errors).length === 0, false, `${text} should be refused`);
    assert.match(r.errors[field] ?? '(no error)', expected, text);
  }
});

test('every problem of one text is listed, not only the first', () => {
  const r = read('sg-nowhere sctp 1.2.3.4/40');
  assert.deepEqual(Object.keys(r.errors).sort(), ['group', 'justification', 'peer', 'protocol']);
});

test('modal values go through the same validation (selects give values, empty optionals are none)', () => {
  const raw: RawRequest = { group: 'sg-front', protocol: 'udp', ports: ' 53 ', peer: '203.0.113.1/24', justification: 'dns\nfor partner', ticket: '', expiry: '30d' };
  const r = validateRequest(raw, ctx);
  assert.ok(r.ok);
  assert.deepEqual(r.input, { environment: 'default', group: 'sg-front', direction: 'ingress', protocol: 'udp', fromPort: 53, toPort: 53, peer: { kind: 'cidr', value: '203.0.113.0/24' }, justification: 'dns for partner', ticket: null, expiresAt: '2026-07-01T12:00:00.000Z' });
});

test('env= names the environment: required with several, the only one otherwise, an unknown one refused', () => {
  const parsed = parseInline('sg-front tcp 443 203.0.113.0/24 "partner API" env=production');
  assert.equal(parsed.raw.environment, 'production');
  const several = { ...ctx, environments: ['staging', 'production'] };
  const named = validateRequest(parsed.raw, several);
  assert.ok(named.ok);
  assert.equal(named.input.environment, 'production');
  const unnamed = validateRequest({ ...parsed.raw, environment: undefined }, several);
  assert.equal(!unnamed.ok && unnamed.errors.environment, 'Choose an environment: staging, production.');
  const unknown = validateRequest({ ...parsed.raw, environment: 'prod' }, several);
  assert.equal(!unknown.ok && unknown.errors.environment, 'Unknown environment "prod"; known: staging, production.');
  assert.deepEqual(resolveEnvironment(undefined, ['default']), 'default');
});
