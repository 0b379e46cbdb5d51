import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadPolicies, parsePolicyFile, PolicyError } from '../../src/compliance/policy.ts';
import { judgePlan } from '../../src/compliance/engine.ts';
import { plan, vpcRule } from '../helpers/plans.ts';

const policy = (fields: Record<string, string | boolean>) =>
  `policies:\n  - ${Object.entries({ id: 'p1', severity: 'deny', description: 'd', remediation: 'r', require: 'true', ...fields })
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? JSON.stringify(v) : v}`)
    .join('\n    ')}\n`;

async function policyDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'portcullis-policies-'));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

describe('loading policies', () => {
  test('the default policy loads with its rules in file order', async () => {
    const set = await loadPolicies();
    assert.deepEqual(set.policies.map((p) => p.id), [
      'public-ingress-web-only',
      'public-ingress-no-admin-ports',
      'description-required',
      'known-at-plan-time',
      'broad-private-source',
    ]);
  });

  const refusals: Array<[string, string, RegExp]> = [
    ['not YAML', 'policies: [unclosed', /f\.yml: not valid YAML/],
    ['no policies list', 'rules: []', /f\.yml: .*policies/],
    ['a missing remediation', policy({ remediation: '' }), /f\.yml: policy "p1": remediation/],
    ['an unknown key', policy({ severty: 'deny' }), /f\.yml: policy "p1": .*severty/],
    ['a bad severity', policy({ severity: 'block' }), /f\.yml: policy "p1": severity/],
    ['a misspelt rule field', policy({ require: 'rule.protocl == "tcp"' }), /f\.yml: policy "p1": require: .*protocl/],
    ['a CEL syntax error', policy({ when: 'rule.direction ==' }), /f\.yml: policy "p1": when:/],
    ['a condition that is not a bool', policy({ require: 'rule.from_port + 1' }), /f\.yml: policy "p1": require: must be a condition \(bool\), is int/],
    ['a bad id', policy({ id: 'No Spaces' }), /f\.yml: policy "No Spaces": id/],
    ['a prefix list id that is not one', `${policy({})}private_prefix_lists:\n  - sg-0123456789abcdef0\n`, /f\.yml: private_prefix_lists\.0: a prefix list id/],
    ['a prefix list given as a CIDR', `${policy({})}private_prefix_lists:\n  - 10.0.0.0/8\n`, /f\.yml: private_prefix_lists\.0: a prefix list id/],
    ['an empty private_prefix_lists', `${policy({})}private_prefix_lists: []\n`, /f\.yml: private_prefix_lists: /],
  ];
  for (const [what, text, message] of refusals) {
    test(`a file with ${what} is refused, naming file, policy and problem`, () => {
      assert.throws(() => parsePolicyFile(text, 'policies/f.yml'), (err: unknown) => err instanceof PolicyError && message.test(err.message));
    });
  }

  test('private_prefix_lists may stand in a file of its own; the lists of all files add up', async () => {
    const dir = await policyDir({
      'a.yml': `${policy({})}private_prefix_lists: [pl-0123456789abcdef0]\n`,
      'prefix-lists.yml': 'private_prefix_lists:\n  - pl-63a5400a   # an 8-digit id\n',
    });
    const set = await loadPolicies(dir);
    assert.deepEqual([...set.privatePrefixLists].sort(), ['pl-0123456789abcdef0', 'pl-63a5400a']);
    assert.deepEqual(set.policies.map((p) => p.id), ['p1']);
    await writeFile(path.join(dir, 'prefix-lists.yml'), 'private_prefix_list:\n  - pl-63a5400a\n');
    await assert.rejects(loadPolicies(dir), /prefix-lists\.yml: .*"private_prefix_list"/, 'a misspelt key is refused, never ignored');
    await rm(dir, { recursive: true });
  });

  test('files that name prefix lists but no policy are refused: they would judge nothing', async () => {
    const dir = await policyDir({ 'prefix-lists.yml': 'private_prefix_lists: [pl-0123456789abcdef0]\n' });
    await assert.rejects(loadPolicies(dir), /no policies in prefix-lists\.yml/);
    await rm(dir, { recursive: true });
  });

  test('the same id in two files is refused', async () => {
    const dir = await policyDir({ 'a.yml': policy({}), 'b.yaml': policy({}) });
    await assert.rejects(loadPolicies(dir), /b\.yaml: policy "p1": id already used in .*a\.yml/);
    await rm(dir, { recursive: true });
  });

  test('an empty or missing directory is refused', async () => {
    const dir = await policyDir({ 'README.md': '# not a policy' });
    await assert.rejects(loadPolicies(dir), /no policy files/);
    await assert.rejects(loadPolicies(path.join(dir, 'missing')), /ENOENT/);
    await rm(dir, { recursive: true });
  });
});

describe('operator-written policies', () => {
  test('a new file adds a rule without touching code (the README example)', async () => {
    const dir = await policyDir({
      'default.yml': policy({ id: 'base' }),
      'no-udp-public.yml': `policies:
  - id: no-public-udp
    severity: deny
    description: UDP is never open to the internet.
    remediation: Use TCP, or a private source.
    when: rule.direction == "ingress" && rule.source.public
    require: rule.protocol != "udp"
`,
    });
    const set = await loadPolicies(dir);
    const udp = judgePlan(plan([vpcRule({ protocol: 'udp', cidr: '0.0.0.0/0', from: 53, to: 53 })]), set);
    const tcp = judgePlan(plan([vpcRule({ protocol: 'tcp', cidr: '0.0.0.0/0', from: 53, to: 53 })]), set);
    assert.deepEqual(udp.violations.map((v) => v.policy), ['no-public-udp']);
    assert.equal(tcp.compliant, true);
    await rm(dir, { recursive: true });
  });

  test('a warn policy reports without failing', async () => {
    const dir = await policyDir({ 'w.yml': policy({ severity: 'warn', require: 'rule.description.size() > 20' }) });
    const r = judgePlan(plan([vpcRule({ description: 'short' })]), await loadPolicies(dir));
    assert.equal(r.compliant, true);
    assert.deepEqual(r.warnings.map((w) => w.policy), ['p1']);
    await rm(dir, { recursive: true });
  });

  test('a policy that fails while evaluating fails closed', async () => {
    const dir = await policyDir({ 'x.yml': policy({ require: '10 / (rule.from_port - 443) > 0' }) });
    const r = judgePlan(plan([vpcRule({ from: 443, to: 443 })]), await loadPolicies(dir));
    assert.equal(r.compliant, false);
    assert.match(r.violations[0]!.message, /could not be evaluated/);
    await rm(dir, { recursive: true });
  });

  test('an unreadable policy file is refused with its name', async () => {
    const dir = await policyDir({ 'a.yml': policy({}) });
    await mkdir(path.join(dir, 'sub.yml'));
    await assert.rejects(loadPolicies(dir), /sub\.yml: cannot read \(EISDIR\)/);
    await rm(dir, { recursive: true });
  });
});
