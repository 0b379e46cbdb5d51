/**
 * The pure comparison and the readers that normalise its inputs, table-driven: each kind
 * of difference from three small lists, and spellings that mean the same rule.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compareConsistency, type ConsistencyInput, type FindingKind, type GitRule, type LiveRule, type StateRule } from '../../src/checks/consistency.ts';
import { ConsistencyInputError, readRuleFiles, readStateRules, toLiveRule } from '../../src/checks/consistency-gather.ts';
import { consistencyJUnitCases } from '../../src/checks/consistency-report.ts';
import type { CloudRule } from '../../src/core/ports.ts';

const base = { group: 'sg-front', direction: 'ingress' as const, protocol: 'tcp', fromPort: 443, toPort: 443, peer: '203.0.113.0/24', description: 'Partner API' };
const git = (over: Partial<GitRule> = {}): GitRule => ({ id: 'REQ-2', ...base, ...over });
const state = (over: Partial<StateRule> = {}): StateRule => ({ id: 'REQ-2', ruleId: 'sgr-2', ...base, ...over });
const live = (over: Partial<LiveRule> = {}): LiveRule => ({ ruleId: 'sgr-2', request: 'REQ-2', ...base, ...over });

interface Case {
  name: string;
  input: ConsistencyInput;
  /** Expected findings as "kind ruleId awsRuleId", in order. */
  findings: string[];
  inSync: number;
  /** Fragments the first finding's message must contain. */
  says?: string[];
}

const cases: Case[] = [
  { name: 'an empty estate is in sync', input: { git: [], state: [], live: [] }, findings: [], inSync: 0 },
  { name: 'the same rule in all three is in sync', input: { git: [git()], state: [state()], live: [live()] }, findings: [], inSync: 1 },
  {
    name: 'in git and the state but not live: missing in AWS',
    input: { git: [git()], state: [state()], live: [] },
    findings: ['missing_in_aws REQ-2 sgr-2'],
    inSync: 0,
    says: ['REQ-2', 'sg-front', 'not live in AWS', 'tcp/443 from 203.0.113.0/24'],
  },
  {
    name: 'a live rule without a tag: unmanaged (added by hand)',
    input: { git: [git()], state: [state()], live: [live(), live({ ruleId: 'sgr-9', request: null, fromPort: 22, toPort: 22 })] },
    findings: ['unmanaged_in_aws null sgr-9'],
    inSync: 1,
    says: ['sgr-9', 'sg-front', 'no portcullis:request tag', 'tcp/22'],
  },
  {
    name: 'a live rule tagged with an id git does not have: unmanaged',
    input: { git: [], state: [], live: [live({ request: 'REQ-404', ruleId: 'sgr-4' })] },
    findings: ['unmanaged_in_aws REQ-404 sgr-4'],
    inSync: 0,
    says: ['REQ-404', 'which git does not have'],
  },
  {
    name: 'the state records another AWS rule than the tagged one: missing plus unmanaged',
    input: { git: [git()], state: [state()], live: [live({ ruleId: 'sgr-other' })] },
    findings: ['missing_in_aws REQ-2 sgr-2', 'unmanaged_in_aws REQ-2 sgr-other'],
    inSync: 0,
  },
  {
    name: 'in git, not in the state: merged but never deployed',
    input: { git: [git()], state: [], live: [] },
    findings: ['not_applied REQ-2 null'],
    inSync: 0,
    says: ['REQ-2', 'never deployed'],
  },
  {
    name: 'not applied but live with its tag: the live rule is not reported as unmanaged too',
    input: { git: [git()], state: [], live: [live()] },
    findings: ['not_applied REQ-2 sgr-2'],
    inSync: 0,
  },
  {
    name: 'in the state, not in git: stale in the state (and the live rule it holds is accounted for)',
    input: { git: [], state: [state()], live: [live()] },
    findings: ['stale_in_state REQ-2 sgr-2'],
    inSync: 0,
    says: ['no longer in git', 'still live as sgr-2'],
  },
  {
    name: 'the state differs from AWS: drift between state and AWS',
    input: { git: [git()], state: [state()], live: [live({ fromPort: 8443, toPort: 8443 })] },
    findings: ['state_drift REQ-2 sgr-2'],
    inSync: 0,
    says: ['the state and AWS differ', 'ports "tcp/443" ≠ "tcp/8443"'],
  },
  {
    name: 'the state differs from git: drift between git and the state',
    input: { git: [git({ peer: '198.51.100.0/24' })], state: [state()], live: [live()] },
    findings: ['state_drift REQ-2 sgr-2'],
    inSync: 0,
    says: ['git and the state differ', 'peer "198.51.100.0/24" ≠ "203.0.113.0/24"'],
  },
  {
    name: 'a description edited by hand in AWS is drift',
    input: { git: [git()], state: [state()], live: [live({ description: 'changed' })] },
    findings: ['state_drift REQ-2 sgr-2'],
    inSync: 0,
    says: ['description "Partner API" ≠ "changed"'],
  },
  {
    name: 'a protocol difference is one difference, not protocol plus ports',
    input: { git: [git()], state: [state()], live: [live({ protocol: 'udp' })] },
    findings: ['state_drift REQ-2 sgr-2'],
    inSync: 0,
    says: ['protocol "tcp" ≠ "udp"'],
  },
  {
    name: 'git, state and AWS all different: both drifts reported',
    input: { git: [git({ description: 'A' })], state: [state({ description: 'B' })], live: [live({ description: 'C' })] },
    findings: ['state_drift REQ-2 sgr-2', 'state_drift REQ-2 sgr-2'],
    inSync: 0,
  },
  {
    name: 'a rule file that does not parse is a finding, not a stale state entry',
    input: { git: [], invalidFiles: [{ id: 'REQ-2', path: 'terraform/rules/REQ-2.json', message: 'cidr: bad' }], state: [state()], live: [live()] },
    findings: ['invalid_rule_file REQ-2 sgr-2'],
    inSync: 0,
    says: ['terraform/rules/REQ-2.json', 'cidr: bad'],
  },
];

describe('compareConsistency', () => {
  for (const c of cases) {
    test(c.name, () => {
      const result = compareConsistency(c.input);
      assert.deepEqual(
        result.findings.map((f) => `${f.kind} ${f.ruleId} ${f.awsRuleId}`),
        c.findings,
      );
      assert.equal(result.ok, c.findings.length === 0);
      assert.equal(result.counts.in_sync, c.inSync);
      assert.equal(result.inSync.length, c.inSync);
      const total = Object.entries(result.counts).filter(([k]) => k !== 'in_sync').reduce((n, [, v]) => n + v, 0);
      assert.equal(total, result.findings.length);
      for (const fragment of c.says ?? []) assert.ok(result.findings[0]!.message.includes(fragment), `"${result.findings[0]!.message}" should say "${fragment}"`);
    });
  }

  test('the differences name each field with both values', () => {
    const result = compareConsistency({ git: [git()], state: [state()], live: [live({ peer: '0.0.0.0/0', group: 'sg-backend' })] });
    assert.deepEqual(result.findings[0]!.differences, [
      { field: 'group', expected: 'sg-front', actual: 'sg-backend' },
      { field: 'peer', expected: '203.0.113.0/24', actual: '0.0.0.0/0' },
    ]);
    assert.equal(result.findings[0]!.between, 'state-aws');
  });

  test('counts every kind, zero included', () => {
    const kinds: FindingKind[] = ['invalid_rule_file', 'not_applied', 'stale_in_state', 'state_drift', 'missing_in_aws', 'unmanaged_in_aws'];
    const { counts } = compareConsistency({
      git: [git({ id: 'A' }), git({ id: 'B' }), git({ id: 'C' })],
      state: [state({ id: 'A', ruleId: 'sgr-a' }), state({ id: 'B', ruleId: 'sgr-b' }), state({ id: 'D', ruleId: 'sgr-d' })],
      live: [live({ ruleId: 'sgr-a', request: 'A' }), live({ ruleId: 'sgr-x', request: null })],
    });
    assert.deepEqual(Object.keys(counts).sort(), [...kinds, 'in_sync'].sort());
    assert.deepEqual(counts, { invalid_rule_file: 0, not_applied: 1, stale_in_state: 1, state_drift: 0, missing_in_aws: 1, unmanaged_in_aws: 1, in_sync: 1 });
  });
});

// ------------------------------------------------------------------ normalisation

const ruleFile = (over: Record<string, unknown> = {}) =>
  JSON.stringify({ id: 'REQ-2', group: 'sg-front', protocol: 'tcp', from_port: 443, to_port: 443, cidr: '203.0.113.0/24', description: 'Partner API', requester: 'U1', ...over });

function stateText(attrs: Record<string, unknown>, groupId = 'sg-0abc'): string {
  return JSON.stringify({
    version: 4,
    serial: 1,
    lineage: 'x',
    resources: [
      { mode: 'managed', type: 'aws_security_group', name: 'group', instances: [{ index_key: 'sg-front', attributes: { id: groupId, name: 'sg-front' } }] },
      {
        mode: 'managed',
        type: 'aws_vpc_security_group_ingress_rule',
        name: 'rule',
        instances: [
          {
            index_key: 'REQ-2',
            attributes: { security_group_id: groupId, security_group_rule_id: 'sgr-2', ip_protocol: 'tcp', from_port: 443, to_port: 443, cidr_ipv4: '203.0.113.0/24', cidr_ipv6: null, description: 'Partner API', ...attrs },
          },
        ],
      },
    ],
  });
}

describe('normalising the three sides', () => {
  const liveBase = { direction: 'ingress' as const, protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '203.0.113.0/24', referencedGroupId: null, prefixListId: null, description: 'Partner API' };
  const spellings: Array<{ name: string; file: Record<string, unknown>; state: Record<string, unknown>; live: Partial<CloudRule> }> = [
    { name: 'protocol "6" and "tcp"', file: { protocol: '6' }, state: { ip_protocol: '6' }, live: {} },
    { name: 'host bits in a CIDR', file: { cidr: '203.0.113.77/24' }, state: { cidr_ipv4: '203.0.113.9/24' }, live: {} },
    {
      name: 'IPv6 spelled long and short',
      file: { cidr: '2001:0db8:0000::/32' },
      state: { cidr_ipv4: null, cidr_ipv6: '2001:db8:0:0::/32' },
      live: { cidr: '2001:DB8::/32' },
    },
    {
      name: 'all protocols: ports -1 in git, null in the state and AWS',
      file: { protocol: '-1', from_port: -1, to_port: -1 },
      state: { ip_protocol: '-1', from_port: null, to_port: null },
      live: { protocol: 'all', fromPort: null, toPort: null },
    },
    {
      name: 'all ICMP types: -1 ports everywhere',
      file: { protocol: 'icmp', from_port: -1, to_port: -1 },
      state: { ip_protocol: '1', from_port: -1, to_port: -1 },
      live: { protocol: 'icmp', fromPort: -1, toPort: -1 },
    },
  ];
  for (const s of spellings) {
    test(`${s.name} are the same rule`, () => {
      const { git: gitRules, invalid } = readRuleFiles([{ path: 'terraform/rules/REQ-2.json', text: ruleFile(s.file) }]);
      assert.deepEqual(invalid, []);
      const stateRules = readStateRules(stateText(s.state));
      const cloudRule: CloudRule = { ruleId: 'sgr-2', groupId: 'sg-0abc', ...liveBase, ...s.live, tags: { 'portcullis:request': 'REQ-2' } };
      const liveRule = toLiveRule('sg-front', cloudRule);
      const result = compareConsistency({ git: gitRules, state: stateRules, live: [liveRule] });
      assert.deepEqual(result.findings, [], JSON.stringify({ git: gitRules[0], state: stateRules[0], live: liveRule }));
      assert.deepEqual(result.inSync, [{ ruleId: 'REQ-2', group: 'sg-front', awsRuleId: 'sgr-2' }]);
    });
  }

  test('the state gives each rule its group key through the group instances', () => {
    const [rule] = readStateRules(stateText({}));
    assert.deepEqual(rule, { id: 'REQ-2', ruleId: 'sgr-2', group: 'sg-front', direction: 'ingress', protocol: 'tcp', fromPort: 443, toPort: 443, peer: '203.0.113.0/24', description: 'Partner API' });
  });

  test('no state yet holds no rules', () => {
    assert.deepEqual(readStateRules(null), []);
    assert.deepEqual(readStateRules(''), []);
  });

  for (const [name, text] of [
    ['not JSON', '{"version": 4,'],
    ['another state version', JSON.stringify({ version: 3, resources: [] })],
    ['no resources', JSON.stringify({ version: 4 })],
  ] as const) {
    test(`a state that is ${name} is bad input`, () => {
      assert.throws(() => readStateRules(text, 'state.json'), (err: unknown) => err instanceof ConsistencyInputError && err.message.startsWith('state.json: '));
    });
  }

  test('rule files that do not parse, or are named after another id, are reported by path', () => {
    const { git: rules, invalid } = readRuleFiles([
      { path: 'terraform/rules/REQ-2.json', text: ruleFile() },
      { path: 'terraform/rules/REQ-3.json', text: ruleFile({ id: 'REQ-3', cidr: 'not-a-cidr' }) },
      { path: 'terraform/rules/REQ-4.json', text: ruleFile({ id: 'REQ-5' }) },
      { path: 'terraform/rules/REQ-6.json', text: '{' },
      { path: 'terraform/rules/README.md', text: '# not a rule' },
    ]);
    assert.deepEqual(rules.map((r) => r.id), ['REQ-2']);
    assert.deepEqual(invalid.map((f) => f.id), ['REQ-3', 'REQ-4', 'REQ-6']);
    assert.match(invalid[0]!.message, /^cidr: "not-a-cidr" is not an IPv4 or IPv6 CIDR/);
    assert.match(invalid[1]!.message, /holds the rule "REQ-5"/);
    assert.match(invalid[2]!.message, /^not JSON/);
  });
});

describe('consistencyJUnitCases', () => {
  test('one case per rule id, every finding about it in one failure, one case per hand-added rule', () => {
    const result = compareConsistency({
      git: [git({ id: 'A', description: 'one' }), git({ id: 'B' })],
      state: [state({ id: 'A', ruleId: 'sgr-a', description: 'two' }), state({ id: 'B', ruleId: 'sgr-b' })],
      live: [live({ ruleId: 'sgr-a', request: 'A', description: 'three' }), live({ ruleId: 'sgr-b', request: 'B' }), live({ ruleId: 'sgr-x', request: null })],
    });
    const cases = consistencyJUnitCases(result);
    assert.deepEqual(
      cases.map((c) => [c.name, c.classname, c.failure?.message ?? 'passed']),
      [
        ['A', 'consistency.sg-front', 'state drift'],
        ['B', 'consistency.sg-front', 'passed'],
        ['unmanaged sgr-x', 'consistency.sg-front', 'unmanaged in AWS'],
      ],
    );
    assert.equal(cases[0]!.failure!.detail!.split('\n').length, 2, 'both drifts of A in one case');
  });
});
