import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatSummaryText, summarizePlan } from '../../src/plan/summary.ts';
import { PlanFormatError } from '../../src/plan/plan-json.ts';
import { block, inlineGroup, instance, legacyRule, plan, vpcRule } from '../helpers/plans.ts';
import { runCli } from '../helpers/cli.ts';

const fixture = (name: string) => path.join(import.meta.dirname, '..', 'fixtures', 'plans', name);
const lines = (p: unknown) => summarizePlan(p).rules.map((r) => r.text);

describe('counts', () => {
  test('add, change, destroy and replace are counted per resource as Terraform counts them', () => {
    const s = summarizePlan(
      plan([
        vpcRule({ request: 'a' }),
        vpcRule({ request: 'b' }),
        vpcRule({ request: 'c', action: 'update', before: { description: 'old' } }),
        vpcRule({ request: 'd', action: 'delete' }),
        vpcRule({ request: 'e', action: 'replace' }),
        vpcRule({ request: 'f', action: 'no-op' }),
        instance('update'),
      ]),
    );
    assert.deepEqual(s.counts, { add: 2, change: 2, destroy: 1, replace: 1 });
    assert.equal(s.other_resources, 1);
    assert.equal(s.rules.length, 5);
  });

  test('data sources and no-ops are not changes', async () => {
    const s = summarizePlan(JSON.parse(await readFile(fixture('mixed.json'), 'utf8')));
    assert.deepEqual(s.counts, { add: 1, change: 1, destroy: 1, replace: 0 });
  });
});

describe('one readable line per rule change', () => {
  test('a new rule made by a request', () => {
    assert.deepEqual(lines(plan([vpcRule({ request: 'REQ-12', group: 'sg-front' })])), [
      '+ ingress tcp/443 from 203.0.113.0/24 → sg-front "partner API" (REQ-12)',
    ]);
  });

  test('removal, replacement and change in place', () => {
    assert.deepEqual(
      lines(
        plan([
          vpcRule({ request: 'REQ-7', action: 'delete', cidr: '0.0.0.0/0', from: 22, to: 22, description: 'debug' }),
          vpcRule({ request: 'REQ-8', action: 'replace', cidr: '2001:db8::/48', protocol: 'udp', from: 1000, to: 2000 }),
          vpcRule({ request: 'REQ-9', action: 'update', description: 'new', before: { description: 'old' } }),
        ]),
      ),
      [
        '- ingress tcp/22 from 0.0.0.0/0 → sg-front "debug" (REQ-7)',
        '-/+ ingress udp/1000-2000 from 2001:db8::/48 → sg-front "partner API" (REQ-8)',
        '~ ingress tcp/443 from 203.0.113.0/24 → sg-front "new" (REQ-9) (was: ingress tcp/443 from 203.0.113.0/24 → sg-front "old")',
      ],
    );
  });

  test('rules not made by Portcullis show their group id; egress and all-protocol rules read naturally', () => {
    assert.deepEqual(lines(plan([vpcRule({ egress: true, protocol: '-1', from: null, to: null, cidr: '0.0.0.0/0', description: 'out' })])), [
      '+ egress all traffic to 0.0.0.0/0 → sg-0123456789abcdef0 "out"',
    ]);
  });

  test('old-style rules: one line per source; inline blocks: one line per added or removed rule', () => {
    assert.deepEqual(lines(plan([legacyRule({ cidrs: ['10.0.0.0/16'], ipv6: ['fd00::/8'], from: 5432, to: 5432, description: 'db' })])), [
      '+ ingress tcp/5432 from 10.0.0.0/16 → sg-0123456789abcdef0 "db"',
      '+ ingress tcp/5432 from fd00::/8 → sg-0123456789abcdef0 "db"',
    ]);
    const kept = block({ cidrs: ['0.0.0.0/0'] });
    assert.deepEqual(
      lines(plan([inlineGroup({ before: { ingress: [kept, block({ cidrs: ['10.0.0.0/8'], from: 22, to: 22, description: 'old ssh' })] }, after: { ingress: [kept, block({ groups: ['sg-0aaa'], from: 22, to: 22, description: 'bastion' })] } })])),
      ['- ingress tcp/22 from 10.0.0.0/8 → web "old ssh"', '+ ingress tcp/22 from security group sg-0aaa → web "bastion"'],
    );
  });

  test('values unknown until apply say so', () => {
    assert.deepEqual(lines(plan([vpcRule({ unknown: { cidr_ipv4: true, security_group_id: true } })])), [
      '+ ingress tcp/443 from (known after apply) → (known after apply) "partner API"',
    ]);
  });

  test('a source group id the provider merely computes does not hide the CIDR the rule is from', async () => {
    assert.deepEqual(lines(JSON.parse(await readFile(fixture('sgr-computed-source.json'), 'utf8'))), [
      '+ ingress tcp/443 from 0.0.0.0/0 → (known after apply) "public HTTPS"',
    ]);
  });
});

describe('formats and versions', () => {
  for (const version of ['0.1', '0.2', '1.0', '1.1', '1.2']) {
    test(`format_version ${version} is read`, () => {
      assert.equal(summarizePlan(plan([vpcRule()], version)).rules.length, 1);
    });
  }

  test('another major version, a state file and non-objects are refused', () => {
    assert.throws(() => summarizePlan(plan([], '2.0')), PlanFormatError);
    assert.throws(() => summarizePlan({ version: 4, resources: [] }), /state file/);
    assert.throws(() => summarizePlan([]), /expected a JSON object/);
    assert.throws(() => summarizePlan({ format_version: '1.2', resource_changes: [{ address: 1 }] }), /resource_changes\.0\.address/);
  });

  test('a plan without changes summarises as nothing to do', async () => {
    const s = summarizePlan(JSON.parse(await readFile(fixture('empty.json'), 'utf8')));
    assert.equal(formatSummaryText(s), 'Plan: 0 to add, 0 to change, 0 to destroy, 0 to replace.\nNo security-group rule changes.\n');
  });

  test('a state from terraform show -json (no plan file) is refused, saying so; so is an empty state', async () => {
    const state = JSON.parse(await readFile(fixture('state.json'), 'utf8'));
    assert.throws(() => summarizePlan(state), (err: Error) => err instanceof PlanFormatError && /not a Terraform plan: .*this looks like a state/.test(err.message));
    assert.throws(() => summarizePlan({ format_version: '1.0' }), /this looks like a state/);
    assert.throws(() => summarizePlan({ format_version: '1.2', variables: {} }), /not a Terraform plan: no planned_values or resource_changes/);
  });

  test('a no-op plan is still a plan: resource_changes empty, or absent beside planned_values', () => {
    for (const noop of [{ format_version: '1.2', planned_values: { root_module: {} } }, { format_version: '1.2', resource_changes: [] }]) {
      assert.deepEqual(summarizePlan(noop).counts, { add: 0, change: 0, destroy: 0, replace: 0 });
    }
  });
});

describe('portcullis plan-summary', () => {
  test('text output is what a person reads', async () => {
    const r = await runCli('plan-summary', fixture('mixed.json'));
    assert.equal(r.code, 0);
    assert.equal(
      r.stdout,
      [
        'Plan: 1 to add, 1 to change, 1 to destroy, 0 to replace.',
        'Security-group rule changes (2):',
        '  + ingress tcp/443 from 203.0.113.0/24 → sg-front "partner API" (REQ-12)',
        '  - ingress tcp/22 from 0.0.0.0/0 → sg-front "temporary debug" (REQ-7)',
        'Other resources changed: 1.',
        '',
      ].join('\n'),
    );
  });

  test('json output carries counts and structured rules', async () => {
    const r = await runCli('plan-summary', fixture('legacy-0.1-inline.json'), '--format', 'json');
    const s = JSON.parse(r.stdout);
    assert.deepEqual(s.counts, { add: 0, change: 1, destroy: 0, replace: 0 });
    assert.deepEqual(
      s.rules.map((x: { source: string; from_port: number }) => [x.source, x.from_port]),
      [['::/0', 22], ['sg-0aaaabbbbccccdddd', 5432]],
    );
  });

  test('bad input exits 2', async () => {
    assert.equal((await runCli('plan-summary')).code, 2);
    assert.equal((await runCli('plan-summary', 'missing.json')).code, 2);
  });

  test('a state exits 2 with one line on stderr', async () => {
    const r = await runCli('plan-summary', fixture('state.json'));
    assert.deepEqual([r.code, r.stdout], [2, '']);
    assert.match(r.stderr, /^portcullis plan-summary: not a Terraform plan: .*this looks like a state.*\n$/);
    assert.equal(r.stderr.split('\n').length, 2, r.stderr);
  });

  describe('plans written with a byte-order mark (PowerShell, Windows editors)', () => {
    let dir: string;
    const expected = '  + ingress tcp/443 from 0.0.0.0/0 → (known after apply) "public HTTPS"\n';
    before(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'portcullis-bom-'));
    });
    after(() => rm(dir, { recursive: true }));

    const encodings: Array<[string, (text: string) => Buffer]> = [
      ['UTF-16 LE with a BOM (PowerShell 5 `>`)', (t) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(t, 'utf16le')])],
      ['UTF-16 BE with a BOM', (t) => Buffer.from(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(t, 'utf16le')])).swap16()],
      ['UTF-8 with a BOM', (t) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(t, 'utf8')])],
    ];
    for (const [name, encode] of encodings) {
      test(`${name} is read like UTF-8`, async () => {
        // PowerShell also turns LF into CRLF: keep the fixture's text otherwise as Terraform wrote it.
        const text = (await readFile(fixture('sgr-computed-source.json'), 'utf8')).replace(/\n/g, '\r\n');
        const file = path.join(dir, `${name.split(' ')[0]}-${name.includes('BE') ? 'be' : 'le'}.json`);
        await writeFile(file, encode(text));
        const r = await runCli('plan-summary', file);
        assert.deepEqual([r.code, r.stderr], [0, '']);
        assert.ok(r.stdout.includes(expected), r.stdout);
      });
    }

    test('a file with a BOM that is not JSON exits 2 with one line and no raw bytes', async () => {
      const file = path.join(dir, 'broken-utf16.json');
      await writeFile(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{\r\n  "format_version": \u0007', 'utf16le')]));
      const r = await runCli('plan-summary', file);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /broken-utf16\.json: not JSON/);
      assert.equal(r.stderr.split('\n').length, 2, r.stderr);
      assert.doesNotMatch(r.stderr, /[\u0000-\u0009\u000b-\u001f\ufeff\ufffd]/);
    });
  });
});
