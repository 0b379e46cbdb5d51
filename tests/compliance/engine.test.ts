import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_POLICY_DIR, loadPolicies, type PolicySet } from '../../src/compliance/policy.ts';
import { judgeChanges, judgePlan, type ComplianceReport } from '../../src/compliance/engine.ts';
import { ruleFacts } from '../../src/compliance/facts.ts';
import { proposedRuleChange } from '../../src/compliance/request.ts';
import { analysePlan } from '../../src/plan/summary.ts';
import { block, computedSourceGroup, configuration, inlineGroup, instance, legacyRule, plan, vpcRule } from '../helpers/plans.ts';

let policies: PolicySet;
before(async () => {
  policies = await loadPolicies();
});

const denied = (r: ComplianceReport) => [...new Set(r.violations.map((v) => v.policy))].sort();
const deniedBy = (r: ComplianceReport, resource: string) => [...new Set(r.violations.filter((v) => v.resource === resource).map((v) => v.policy))].sort();
const fixture = async (name: string): Promise<unknown> => JSON.parse(await readFile(path.join(import.meta.dirname, '..', 'fixtures', 'plans', name), 'utf8'));
const judge = (...changes: Parameters<typeof plan>[0]) => judgePlan(plan(changes), policies);

describe('public sources', () => {
  test('0.0.0.0/0 and ::/0 on tcp 443 pass', () => {
    const r = judge(vpcRule({ cidr: '0.0.0.0/0' }), vpcRule({ request: 'r2', cidr: '::/0', from: 80, to: 80 }));
    assert.equal(r.compliant, true);
    assert.equal(r.checked, 2);
  });

  for (const cidr of ['0.0.0.0/0', '::/0', '0.0.0.0/1', '10.0.0.0/7', '2600::/16', '203.0.113.7/32']) {
    test(`${cidr} counts as public: tcp 8080 is denied`, () => {
      const r = judge(vpcRule({ cidr, from: 8080, to: 8080 }));
      assert.deepEqual(denied(r), ['public-ingress-web-only']);
    });
  }

  for (const cidr of ['10.0.0.0/8', '172.16.0.0/12', '192.168.10.0/24', '100.64.0.0/10', 'fd00::/8', 'fe80::/10']) {
    test(`${cidr} is private: tcp 22 passes`, () => {
      const r = judge(vpcRule({ cidr, from: 22, to: 22 }));
      assert.equal(r.compliant, true, JSON.stringify(r.violations));
    });
  }

  test('a host address with host bits is normalised before judging', () => {
    const r = judge(vpcRule({ cidr: '10.1.2.3/7', from: 22, to: 22 }));
    assert.deepEqual(denied(r), ['public-ingress-no-admin-ports', 'public-ingress-web-only']);
    assert.match(r.violations[0]!.rule, /from 10\.0\.0\.0\/7 /);
  });
});

describe('admin ports and all protocols from a public source', () => {
  const cases: Array<[string, Parameters<typeof vpcRule>[0]]> = [
    ['ssh', { protocol: 'tcp', from: 22, to: 22 }],
    ['rdp over tcp', { protocol: 'tcp', from: 3389, to: 3389 }],
    ['rdp over udp', { protocol: 'udp', from: 3389, to: 3389 }],
    ['protocol number 6 means tcp', { protocol: '6', from: 22, to: 22 }],
    ['protocol number 17 means udp', { protocol: '17', from: 3389, to: 3389 }],
    ['all protocols', { protocol: '-1', from: null, to: null }],
    ['a range covering 22', { protocol: 'tcp', from: 1, to: 1024 }],
    ['a range covering 3389', { protocol: 'tcp', from: 3000, to: 4000 }],
  ];
  for (const [name, rule] of cases) {
    test(`${name} is denied`, () => {
      const r = judge(vpcRule({ cidr: '0.0.0.0/0', ...rule }));
      assert.ok(denied(r).includes('public-ingress-no-admin-ports'), JSON.stringify(r.violations));
      assert.equal(r.compliant, false);
    });
  }

  test('a range that avoids 22 and 3389 is denied only by the web-only policy', () => {
    assert.deepEqual(denied(judge(vpcRule({ cidr: '0.0.0.0/0', from: 23, to: 79 }))), ['public-ingress-web-only']);
  });

  test('tcp 80-443 as one range is not "80 and 443"', () => {
    assert.deepEqual(denied(judge(vpcRule({ cidr: '0.0.0.0/0', from: 80, to: 443 }))), ['public-ingress-web-only']);
  });

  test('udp 443 from the internet is denied', () => {
    assert.deepEqual(denied(judge(vpcRule({ cidr: '0.0.0.0/0', protocol: 'udp' }))), ['public-ingress-web-only']);
  });

  test('icmp from the internet is denied, and no port is read from its type and code', () => {
    const r = judge(vpcRule({ cidr: '0.0.0.0/0', protocol: 'icmp', from: 8, to: 0 }));
    assert.deepEqual(denied(r), ['public-ingress-web-only']);
  });
});

describe('descriptions', () => {
  test('an empty or blank description is denied', () => {
    assert.deepEqual(denied(judge(vpcRule({ description: '' }))), ['description-required']);
    assert.deepEqual(denied(judge(vpcRule({ description: '   ' }))), ['description-required']);
  });

  test('a missing description on an old-style rule is denied', () => {
    assert.deepEqual(denied(judge(legacyRule({ description: null }))), ['description-required']);
  });
});

describe('egress is judged only for being known at plan time', () => {
  test('an egress rule whose destination is known only after apply (a group made in the same plan) is denied', () => {
    const r = judge(vpcRule({ egress: true, sourceGroup: '', unknown: { referenced_security_group_id: true, id: true } }));
    assert.deepEqual(denied(r), ['known-at-plan-time']);
    assert.deepEqual(denied(judge(legacyRule({ type: 'egress', cidrs: [], unknown: { source_security_group_id: true } }))), ['known-at-plan-time']);
  });

  test('all traffic to anywhere, without a description, passes', () => {
    const r = judge(
      vpcRule({ egress: true, protocol: '-1', from: null, to: null, cidr: '0.0.0.0/0', description: '' }),
      legacyRule({ type: 'egress', protocol: '-1', from: 0, to: 0, cidrs: ['0.0.0.0/0'], description: null }),
      inlineGroup({ action: 'create', after: { egress: [block({ protocol: '-1', from: 0, to: 0, cidrs: ['0.0.0.0/0'], description: '' })] } }),
    );
    assert.equal(r.compliant, true, JSON.stringify(r.violations));
    assert.equal(r.checked, 3);
  });
});

describe('actions', () => {
  test('deleting a violating rule is never a violation', () => {
    const r = judge(
      vpcRule({ action: 'delete', cidr: '0.0.0.0/0', from: 22, to: 22 }),
      legacyRule({ action: 'delete', cidrs: ['0.0.0.0/0'], from: 3389, to: 3389 }),
      inlineGroup({ action: 'delete', before: { ingress: [block({ cidrs: ['0.0.0.0/0'], from: 22, to: 22 })] } }),
    );
    assert.equal(r.compliant, true);
    assert.equal(r.checked, 0);
    assert.equal(r.removed, 3);
  });

  test('an update in place is judged on the rule as it will be', () => {
    const r = judge(vpcRule({ action: 'update', cidr: '0.0.0.0/0', from: 22, to: 22, before: { from: 443, to: 443 } }));
    assert.deepEqual(denied(r), ['public-ingress-no-admin-ports', 'public-ingress-web-only']);
  });

  test('an update that closes a hole is compliant', () => {
    const r = judge(vpcRule({ action: 'update', cidr: '0.0.0.0/0', from: 443, to: 443, before: { from: 22, to: 22 } }));
    assert.equal(r.compliant, true);
  });

  test('a replacement is judged like a creation', () => {
    const r = judge(vpcRule({ action: 'replace', cidr: '::/0', from: 22, to: 22 }));
    assert.equal(r.compliant, false);
    assert.equal(r.checked, 1);
  });

  test('no-op rules and other resources are not judged', () => {
    const r = judge(vpcRule({ action: 'no-op', cidr: '0.0.0.0/0', from: 22, to: 22 }), instance());
    assert.equal(r.compliant, true);
    assert.equal(r.checked, 0);
  });
});

describe('every resource form', () => {
  test('aws_security_group_rule: each public source is judged, private ones pass', () => {
    const r = judge(legacyRule({ address: 'aws_security_group_rule.rdp', cidrs: ['10.0.0.0/16', '0.0.0.0/0'], ipv6: ['::/0'], from: 3389, to: 3389 }));
    assert.equal(r.checked, 3);
    assert.equal(r.violations.filter((v) => v.policy === 'public-ingress-no-admin-ports').length, 2);
    assert.ok(r.violations.every((v) => v.resource === 'aws_security_group_rule.rdp'));
    assert.ok(r.violations.some((v) => v.rule.includes('from ::/0')));
  });

  test('aws_security_group_rule with a source group or self is not a public source', () => {
    const r = judge(legacyRule({ cidrs: [], sourceGroup: 'sg-0aaa', from: 22, to: 22 }), legacyRule({ address: 'aws_security_group_rule.s', cidrs: [], self: true, from: 22, to: 22 }));
    assert.equal(r.compliant, true);
    assert.equal(r.checked, 2);
  });

  test('aws_security_group inline: only rules the update adds are judged', () => {
    const existing = block({ cidrs: ['0.0.0.0/0'], from: 22, to: 22, description: 'grandfathered' });
    const r = judge(
      inlineGroup({
        before: { ingress: [existing] },
        after: { ingress: [existing, block({ ipv6: ['::/0'], from: 3389, to: 3389, description: 'vendor rdp' })] },
      }),
    );
    assert.equal(r.checked, 1);
    assert.ok(r.violations.every((v) => v.rule.includes('vendor rdp')));
    assert.deepEqual(denied(r), ['public-ingress-no-admin-ports', 'public-ingress-web-only']);
  });

  test('aws_security_group inline: a new group is judged block by block and source by source', () => {
    const r = judge(
      inlineGroup({
        action: 'create',
        after: { ingress: [block({ cidrs: ['0.0.0.0/0', '10.0.0.0/16'], from: 443, to: 443 }), block({ cidrs: ['0.0.0.0/0'], from: 8080, to: 8080 })] },
      }),
    );
    assert.equal(r.checked, 3);
    assert.deepEqual(denied(r), ['public-ingress-web-only']);
    assert.equal(r.violations.length, 1);
  });

  test('aws_default_security_group: the VPC default group\'s inline rules are judged like any group\'s', () => {
    const group = inlineGroup({ address: 'aws_default_security_group.default', after: { ingress: [block({ cidrs: ['0.0.0.0/0'], from: 22, to: 22 })] } });
    const r = judge({ ...group, type: 'aws_default_security_group', name: 'default' });
    assert.equal(r.checked, 1);
    assert.deepEqual(denied(r), ['public-ingress-no-admin-ports', 'public-ingress-web-only']);
  });

  test('resources inside modules are read and reported by their full address', () => {
    const address = 'module.net.module.edge.aws_vpc_security_group_ingress_rule.this["ssh"]';
    const r = judge(vpcRule({ address, cidr: '0.0.0.0/0', from: 22, to: 22 }));
    assert.equal(r.compliant, false);
    assert.ok(r.violations.every((v) => v.resource === address));
  });
});

describe('values unknown until apply', () => {
  test('an unknown source is denied as unverifiable, and by nothing else', () => {
    const r = judge(vpcRule({ cidr: '0.0.0.0/0', unknown: { cidr_ipv4: true, id: true } }));
    assert.deepEqual(denied(r), ['known-at-plan-time']);
    assert.match(r.violations[0]!.rule, /known after apply/);
  });

  test('unknown ports on an old-style rule are denied', () => {
    assert.deepEqual(denied(judge(legacyRule({ unknown: { from_port: true } }))), ['known-at-plan-time']);
  });

  test('an unknown cidr inside an inline block is denied', () => {
    const r = judge(inlineGroup({ action: 'create', after: { ingress: [block({ cidrs: [] })] }, unknown: { ingress: [{ cidr_blocks: true }] } }));
    assert.deepEqual(denied(r), ['known-at-plan-time']);
  });

  test('a whole unknown inline ingress set is denied', () => {
    assert.deepEqual(denied(judge(inlineGroup({ action: 'create', unknown: { ingress: true } }))), ['known-at-plan-time']);
  });

  test('a new group that writes no inline rules has them computed: nothing to judge', () => {
    const group = inlineGroup({ action: 'create', address: 'aws_security_group.group["sg-front"]', unknown: { ingress: true, egress: true, id: true } });
    const config = configuration({ 'aws_security_group.group': ['name', 'description', 'vpc_id', 'tags'] });
    const r = judgePlan(plan([group], '1.2', config), policies);
    assert.deepEqual([r.compliant, r.checked], [true, 0]);
  });

  test('the same inside a module', () => {
    const group = inlineGroup({ action: 'create', address: 'module.net.aws_security_group.web[0]', unknown: { ingress: true } });
    const config = configuration({}, { net: { 'aws_security_group.web': ['name'] } });
    assert.equal(judgePlan(plan([group], '1.2', config), policies).compliant, true);
  });

  test('a group that does write inline rules, unknown until apply, is denied; so is one whose plan has no configuration', () => {
    const group = inlineGroup({ action: 'create', unknown: { ingress: true } });
    assert.deepEqual(denied(judgePlan(plan([group], '1.2', configuration({ 'aws_security_group.web': ['name', 'ingress'] })), policies)), ['known-at-plan-time']);
    assert.deepEqual(denied(judgePlan(plan([group]), policies)), ['known-at-plan-time']);
  });

  test('an unknown group id (a group created in the same plan) is fine', () => {
    const r = judge(vpcRule({ unknown: { security_group_id: true, id: true } }));
    assert.equal(r.compliant, true);
  });
});

describe('source_security_group_id computed by the provider (real aws_security_group_rule plans)', () => {
  // The AWS provider marks source_security_group_id Optional + Computed: a real plan flags
  // it unknown on every new rule, whatever the rule's source (fixtures written in that shape).
  test('a described tcp/443 from 0.0.0.0/0 is compliant, not "known after apply"', async () => {
    const r = judgePlan(await fixture('sgr-computed-source.json'), policies);
    assert.deepEqual([r.compliant, r.checked, r.violations], [true, 1, []]);
  });

  test('each rule is judged on its real source: SSH and all traffic from the internet are named as such', async () => {
    const r = judgePlan(await fixture('sgr-computed-sources.json'), policies);
    const admin = ['public-ingress-no-admin-ports', 'public-ingress-web-only'];
    assert.deepEqual(deniedBy(r, 'aws_security_group_rule.ssh'), admin);
    assert.deepEqual(deniedBy(r, 'aws_security_group_rule.all_v6'), admin);
    assert.deepEqual(deniedBy(r, 'aws_security_group_rule.self'), [], 'self with the group id computed');
    assert.deepEqual(deniedBy(r, 'aws_security_group_rule.from_prefix_list'), [], 'the configuration does not write source_security_group_id');
    assert.deepEqual(deniedBy(r, 'aws_security_group_rule.from_bastion'), ['known-at-plan-time'], 'the source is a group created in the same plan');
    assert.deepEqual([r.checked, r.violations.length], [6, 5]);
  });

  test('without cidr_blocks, ipv6_cidr_blocks or self, an unknown source group id is the source', () => {
    assert.deepEqual(denied(judge(legacyRule({ cidrs: [], from: 22, to: 22, unknown: computedSourceGroup }))), ['known-at-plan-time']);
  });

  test('beside a prefix list it may be a second source: unknown, unless the configuration says it is not written', () => {
    const rule = legacyRule({ cidrs: [], prefixLists: ['pl-0a1b'], unknown: computedSourceGroup });
    assert.deepEqual(denied(judge(rule)), ['known-at-plan-time'], 'no configuration to tell');
    const config = configuration({ 'aws_security_group_rule.r': ['type', 'protocol', 'from_port', 'to_port', 'prefix_list_ids', 'security_group_id'] });
    assert.equal(judgePlan(plan([rule], '1.2', config), policies).compliant, true);
    const written = configuration({ 'aws_security_group_rule.r': ['type', 'protocol', 'from_port', 'to_port', 'prefix_list_ids', 'source_security_group_id'] });
    assert.deepEqual(denied(judgePlan(plan([rule], '1.2', written), policies)), ['known-at-plan-time']);
  });

  test('an unknown cidr_blocks is an unknown source even with the group id computed', () => {
    const r = judge(legacyRule({ cidrs: [], unknown: { ...computedSourceGroup, cidr_blocks: true } }));
    assert.deepEqual(denied(r), ['known-at-plan-time']);
  });

  test('one unknown CIDR beside a known public one: both are judged', () => {
    const r = judge(legacyRule({ cidrs: ['0.0.0.0/0', ''], from: 22, to: 22, unknown: { ...computedSourceGroup, cidr_blocks: [false, true] } }));
    assert.deepEqual(denied(r), ['known-at-plan-time', 'public-ingress-no-admin-ports', 'public-ingress-web-only']);
    assert.equal(r.checked, 2);
  });

  test('an unknown self is an unknown source', () => {
    assert.deepEqual(denied(judge(legacyRule({ cidrs: [], unknown: { ...computedSourceGroup, self: true } }))), ['known-at-plan-time']);
  });

  test('an inline block with an unknown group beside a public CIDR: both are judged', () => {
    const r = judge(
      inlineGroup({
        action: 'create',
        after: { ingress: [block({ cidrs: ['0.0.0.0/0'], groups: [''], from: 22, to: 22 })] },
        unknown: { ingress: [{ cidr_blocks: [false], security_groups: [true] }] },
      }),
    );
    assert.deepEqual(denied(r), ['known-at-plan-time', 'public-ingress-no-admin-ports', 'public-ingress-web-only']);
  });
});

describe('a source that cannot be read is never a safe one', () => {
  test('a rule naming no source at all is denied as unverifiable', () => {
    assert.deepEqual(denied(judge(legacyRule({ cidrs: [] }))), ['known-at-plan-time']);
    const r = judge(vpcRule({ cidr: '0.0.0.0/0' }));
    const noSource = structuredClone(plan([vpcRule({ cidr: '0.0.0.0/0' })])) as { resource_changes: Array<{ change: { after: Record<string, unknown> } }> };
    noSource.resource_changes[0]!.change.after.cidr_ipv4 = null;
    assert.equal(r.compliant, true);
    assert.deepEqual(denied(judgePlan(noSource, policies)), ['known-at-plan-time']);
  });

  test('a CIDR that does not parse is denied as unverifiable, never read as not public', () => {
    assert.deepEqual(denied(judge(vpcRule({ cidr: '0.0.0.0/0x', from: 22, to: 22 }))), ['known-at-plan-time']);
    assert.deepEqual(denied(judge(legacyRule({ cidrs: ['0.0.0.0 /0'], from: 22, to: 22 }))), ['known-at-plan-time']);
  });
});

describe('sources the engine cannot place (prefix lists) are public unless the policy names them', () => {
  const PL = 'pl-0123456789abcdef0';
  const ALL = { protocol: '-1', from: null, to: null } as const;
  const ADMIN = ['public-ingress-no-admin-ports', 'public-ingress-web-only'];
  let allowing: PolicySet;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'portcullis-pl-'));
    await copyFile(path.join(DEFAULT_POLICY_DIR, 'default.yml'), path.join(dir, 'default.yml'));
    await writeFile(path.join(dir, 'prefix-lists.yml'), `private_prefix_lists:\n  - ${PL}   # the VPN ranges\n`);
    allowing = await loadPolicies(dir);
  });
  after(() => rm(dir, { recursive: true }));

  const forms = () => [
    vpcRule({ prefixList: PL, ...ALL }),
    legacyRule({ cidrs: [], prefixLists: [PL], protocol: '-1', from: 0, to: 0 }),
    inlineGroup({ action: 'create', after: { ingress: [block({ prefixLists: [PL], protocol: '-1', from: 0, to: 0 })] } }),
  ];

  const groupForms = () => [
    vpcRule({ sourceGroup: 'sg-0aaaaaaaaaaaaaaa1', ...ALL }),
    legacyRule({ cidrs: [], sourceGroup: 'sg-0aaaaaaaaaaaaaaa1', protocol: '-1', from: 0, to: 0 }),
    inlineGroup({ action: 'create', after: { ingress: [block({ groups: ['sg-0aaaaaaaaaaaaaaa1'], protocol: '-1', from: 0, to: 0 })] } }),
  ];

  test('all traffic from a prefix list is denied by the default policy in every rule form; from a security group it passes', () => {
    for (const form of forms()) {
      const r = judge(form);
      assert.deepEqual([r.checked, denied(r)], [1, ADMIN], form.type);
      assert.match(r.violations[0]!.rule, new RegExp(`^ingress all traffic from prefix list ${PL} `), form.type);
    }
    for (const form of groupForms()) assert.deepEqual(judge(form).violations, [], form.type);
  });

  test('the same rules pass when the policy names the prefix list as private', () => {
    for (const form of forms()) {
      const r = judgePlan(plan([form]), allowing);
      assert.deepEqual([r.checked, r.violations], [1, []], form.type);
    }
  });

  test('another prefix list stays public under that policy: all traffic is denied, the web ports pass', () => {
    assert.deepEqual(denied(judgePlan(plan([vpcRule({ prefixList: 'pl-0fffffffffffffff0', ...ALL })]), allowing)), ADMIN);
    assert.equal(judgePlan(plan([vpcRule({ prefixList: 'pl-0fffffffffffffff0' })]), allowing).compliant, true);
  });

  test('every rule form carries its source kind; policy sees it, and sees which sources are public', () => {
    const changes = analysePlan(
      plan([
        vpcRule({ address: 'v.pl', prefixList: PL }),
        vpcRule({ address: 'v.sg', sourceGroup: 'sg-0aaaaaaaaaaaaaaa1' }),
        vpcRule({ address: 'v.cidr', cidr: '10.0.0.0/16' }),
        legacyRule({ address: 'l.mixed', cidrs: ['0.0.0.0/0'], prefixLists: [PL], sourceGroup: null, self: true }),
        legacyRule({ address: 'l.sg', cidrs: [], sourceGroup: 'sg-0aaaaaaaaaaaaaaa1' }),
        inlineGroup({ action: 'create', after: { ingress: [block({ prefixLists: [PL], groups: ['sg-0aaaaaaaaaaaaaaa1'] })] } }),
      ]),
    ).changes;
    const seen = (set: ReadonlySet<string>) =>
      changes.map((c) => {
        const f = ruleFacts(c.rule, c.action, c.resource, set);
        return `${c.resource} ${f.source.kind} ${f.source.value} ${f.source.public}`;
      });
    assert.deepEqual(seen(new Set()), [
      `v.pl prefix_list ${PL} true`,
      'v.sg security_group sg-0aaaaaaaaaaaaaaa1 false',
      'v.cidr cidr 10.0.0.0/16 false',
      'l.mixed cidr 0.0.0.0/0 true',
      `l.mixed prefix_list ${PL} true`,
      'l.mixed self self false',
      'l.sg security_group sg-0aaaaaaaaaaaaaaa1 false',
      `aws_security_group.web prefix_list ${PL} true`,
      'aws_security_group.web security_group sg-0aaaaaaaaaaaaaaa1 false',
    ]);
    assert.deepEqual(seen(new Set([PL])).filter((l) => l.includes(PL)), [
      `v.pl prefix_list ${PL} false`,
      `l.mixed prefix_list ${PL} false`,
      `aws_security_group.web prefix_list ${PL} false`,
    ]);
  });

  test('an unknown source counts as public for a policy that judges unknown values', () => {
    const [change] = analysePlan(plan([vpcRule({ cidr: '0.0.0.0/0', unknown: { cidr_ipv4: true } })])).changes;
    const facts = ruleFacts(change!.rule, change!.action, change!.resource, new Set());
    assert.deepEqual([facts.source.kind, facts.source.public], ['unknown', true]);
  });
});

describe('warnings', () => {
  test('a private source wider than /16 warns and still passes', () => {
    const r = judge(vpcRule({ cidr: '10.0.0.0/8', from: 5432, to: 5432 }));
    assert.equal(r.compliant, true);
    assert.deepEqual(r.warnings.map((w) => w.policy), ['broad-private-source']);
  });
});

describe('plans without rules', () => {
  test('a plan with no security-group resource is compliant with nothing checked', () => {
    const r = judge(instance('create'));
    assert.deepEqual([r.compliant, r.checked, r.violations.length], [true, 0, 0]);
  });
});

describe('proposed rules (the /sg-request pre-check)', () => {
  const proposed = (o: Record<string, unknown>) =>
    judgeChanges([proposedRuleChange({ protocol: 'tcp', from_port: 443, to_port: 443, cidr: '0.0.0.0/0', description: 'web', security_group: 'sg-front', ...o })], policies);

  test('the same policies judge a proposed rule', () => {
    assert.equal(proposed({}).compliant, true);
    assert.deepEqual(denied(proposed({ from_port: 22, to_port: 22 })), ['public-ingress-no-admin-ports', 'public-ingress-web-only']);
    assert.deepEqual(denied(proposed({ protocol: 6, from_port: 3389, to_port: 3389, cidr: '::/0' })), ['public-ingress-no-admin-ports', 'public-ingress-web-only']);
  });

  test('findings carry the remediation shown to the person', () => {
    const v = proposed({ description: '' }).violations[0]!;
    assert.equal(v.policy, 'description-required');
    assert.match(v.remediation, /description/i);
  });

  test('bad input is refused with the field named', () => {
    assert.throws(() => proposedRuleChange({ protocol: 'tcp', from_port: 443, to_port: 443, cidr: '300.1.1.1/8', security_group: 'x' }), /cidr/);
    assert.throws(() => proposedRuleChange({ protocol: 'smtp', from_port: 25, to_port: 25, cidr: '0.0.0.0/0', security_group: 'x' }), /protocol/);
    assert.throws(() => proposedRuleChange({ protocol: 'tcp', from_port: 500, to_port: 400, cidr: '0.0.0.0/0', security_group: 'x' }), /ports/);
    assert.throws(() => proposedRuleChange({ protocol: 'tcp', from_port: 1, to_port: 1, cidr: '0.0.0.0/0' }), /security_group/);
  });
});
