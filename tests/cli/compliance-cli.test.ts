import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CLI_ARGS, runCli } from '../helpers/cli.ts';
import { DEFAULT_POLICY_DIR } from '../../src/compliance/policy.ts';
import { plan, vpcRule } from '../helpers/plans.ts';

const fixture = (name: string) => path.join(import.meta.dirname, '..', 'fixtures', 'plans', name);
let dir: string;
const file = (name: string) => path.join(dir, name);

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portcullis-cli-'));
  await writeFile(file('ssh.json'), JSON.stringify(plan([vpcRule({ cidr: '0.0.0.0/0', from: 22, to: 22 })])));
  await writeFile(file('prefix-list.json'), JSON.stringify(plan([vpcRule({ prefixList: 'pl-0123456789abcdef0', protocol: '-1', from: null, to: null, description: 'VPN users' })])));
  await writeFile(file('warn.json'), JSON.stringify(plan([vpcRule({ cidr: '10.0.0.0/8' })])));
  await writeFile(file('broken.json'), '{"format_version": "1.2", ');
  await writeFile(file('state.json'), JSON.stringify({ version: 4, serial: 1, resources: [] }));
  await writeFile(file('future.json'), JSON.stringify({ format_version: '2.0', resource_changes: [] }));
  await writeFile(file('request-ok.json'), JSON.stringify({ direction: 'ingress', protocol: 'tcp', from_port: 443, to_port: 443, cidr: '203.0.113.0/24', description: 'partner API', security_group: 'sg-front' }));
  await writeFile(file('request-ssh.json'), JSON.stringify({ direction: 'ingress', protocol: '6', from_port: 22, to_port: 22, cidr: '0.0.0.0/0', description: 'debug', security_group: 'sg-front' }));
  await writeFile(file('request-bad.json'), JSON.stringify({ direction: 'ingress', protocol: 'tcp', from_port: 0, to_port: 22, cidr: '0.0.0.0/0', description: 'x', security_group: 'sg-front' }));
  await writeFile(file('bad-policy.yml'), 'policies:\n  - id: p\n    severity: deny\n');
});
after(() => rm(dir, { recursive: true }));

describe('portcullis compliance --plan', () => {
  test('exit 0 for a compliant plan, with a readable report', async () => {
    const r = await runCli('compliance', '--plan', fixture('mixed.json'));
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Compliance PASSED: 0 violations, 0 warnings; 1 rule checked against 5 policies, 1 removed/);
  });

  test('exit 0 for a compliant rule planned by the AWS provider (source group id computed), also when PowerShell wrote it', async () => {
    const r = await runCli('compliance', '--plan', fixture('sgr-computed-source.json'));
    assert.deepEqual([r.code, r.stderr], [0, '']);
    assert.match(r.stdout, /^Compliance PASSED: 0 violations, 0 warnings; 1 rule checked/);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from((await readFile(fixture('sgr-computed-source.json'), 'utf8')).replace(/\n/g, '\r\n'), 'utf16le')]);
    await writeFile(file('powershell.json'), utf16);
    const again = await runCli('compliance', '--plan', file('powershell.json'));
    assert.deepEqual([again.code, again.stdout, again.stderr], [0, r.stdout, '']);
  });

  test('exit 1 naming the admin-port policy, not "known after apply", for SSH from 0.0.0.0/0 planned by the AWS provider', async () => {
    const r = await runCli('compliance', '--plan', fixture('sgr-computed-sources.json'), '--format', 'json');
    assert.equal(r.code, 1);
    const ssh = JSON.parse(r.stdout).violations.filter((v: { resource: string }) => v.resource === 'aws_security_group_rule.ssh');
    assert.deepEqual(ssh.map((v: { policy: string }) => v.policy).sort(), ['public-ingress-no-admin-ports', 'public-ingress-web-only']);
    assert.match(ssh[0].rule, /^ingress tcp\/22 from 0\.0\.0\.0\/0 /);
  });

  test('exit 0 with warnings', async () => {
    const r = await runCli('compliance', '--plan', file('warn.json'));
    assert.equal(r.code, 0);
    assert.match(r.stdout, /\[WARN\] broad-private-source/);
  });

  test('exit 1 on a deny, and the JSON report names policy, severity, resource and message', async () => {
    const r = await runCli('compliance', '--plan', file('ssh.json'), '--format', 'json');
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout);
    assert.equal(report.compliant, false);
    assert.equal(report.checked, 1);
    assert.deepEqual(Object.keys(report.violations[0]).sort(), ['message', 'policy', 'remediation', 'resource', 'rule', 'severity']);
    assert.deepEqual(report.violations.map((v: { policy: string }) => v.policy).sort(), ['public-ingress-no-admin-ports', 'public-ingress-web-only']);
    assert.equal(report.violations[0].resource, 'aws_vpc_security_group_ingress_rule.rule["r1"]');
    assert.deepEqual(report.warnings, []);
  });

  test('--out writes the report to a file and nothing to stdout', async () => {
    const r = await runCli('compliance', '--plan', file('ssh.json'), '--format', 'json', '--out', file('compliance.json'));
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(JSON.parse(await readFile(file('compliance.json'), 'utf8')).compliant, false);
  });

  test('--policies uses another policy directory', async () => {
    const policies = path.join(dir, 'lenient');
    await import('node:fs/promises').then((fs) => fs.mkdir(policies));
    await writeFile(path.join(policies, 'p.yml'), 'policies:\n  - {id: any, severity: deny, description: d, remediation: r, require: "rule.from_port != 1"}\n');
    const r = await runCli('compliance', '--plan', file('ssh.json'), '--policies', policies);
    assert.equal(r.code, 0);
  });

  test('exit 1 for all traffic from a prefix list: a source the engine cannot place is judged as public', async () => {
    const summary = await runCli('plan-summary', file('prefix-list.json'));
    assert.match(summary.stdout, /^  \+ ingress all traffic from prefix list pl-0123456789abcdef0 → /m);
    const r = await runCli('compliance', '--plan', file('prefix-list.json'), '--format', 'json');
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.stdout).violations.map((v: { policy: string }) => v.policy).sort(), ['public-ingress-no-admin-ports', 'public-ingress-web-only']);
  });

  test('exit 0 for the same plan when a policy file names the prefix list as private', async () => {
    const policies = path.join(dir, 'with-vpn-list');
    await mkdir(policies);
    await copyFile(path.join(DEFAULT_POLICY_DIR, 'default.yml'), path.join(policies, 'default.yml'));
    await writeFile(path.join(policies, 'prefix-lists.yml'), 'private_prefix_lists:\n  - pl-0123456789abcdef0  # VPN\n');
    const r = await runCli('compliance', '--plan', file('prefix-list.json'), '--policies', policies);
    assert.deepEqual([r.code, r.stderr], [0, '']);
    assert.match(r.stdout, /^Compliance PASSED: 0 violations/);
  });

  const badInput: Array<[string, string[], RegExp]> = [
    ['an unreadable file', ['--plan', 'no/such/plan.json'], /no\/such\/plan\.json: cannot read \(ENOENT\)/],
    ['a file that is not JSON', ['--plan', 'broken.json'], /broken\.json: not JSON/],
    ['a state file instead of a plan', ['--plan', 'state.json'], /not a Terraform plan: no format_version \(this looks like a state file\)/],
    ['terraform show -json of a state', ['--plan', fixture('state.json')], /not a Terraform plan: no planned_values or resource_changes \(this looks like a state/],
    ['an unknown plan format major version', ['--plan', 'future.json'], /unsupported plan format_version 2\.0/],
    ['a bad policy file', ['--plan', 'ssh.json', '--policies', '.'], /bad-policy\.yml: policy "p": /],
    ['both --plan and --request', ['--plan', 'ssh.json', '--request', 'request-ok.json'], /exactly one of --plan FILE or --request FILE/],
    ['neither --plan nor --request', [], /exactly one of/],
    ['an unknown format', ['--plan', 'ssh.json', '--format', 'xml'], /--format must be text or json/],
    ['an unknown option', ['--plan', 'ssh.json', '--strict'], /Unknown option '--strict'/],
    ['an invalid request', ['--request', 'request-bad.json'], /request-bad\.json: ports: need 1 <= from_port/],
  ];
  for (const [what, args, message] of badInput) {
    test(`exit 2 with one line on stderr for ${what}`, async () => {
      const resolved = args.map((a) => (a.endsWith('.json') && !a.includes('/') ? file(a) : a === '.' ? dir : a));
      const r = await runCli('compliance', ...resolved);
      assert.equal(r.code, 2);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
      assert.equal(r.stdout, '');
    });
  }
});

describe('portcullis compliance --request', () => {
  test('exit 0 for an acceptable rule', async () => {
    assert.equal((await runCli('compliance', '--request', file('request-ok.json'))).code, 0);
  });

  test('exit 1 for a denied rule, protocol numbers read as names', async () => {
    const r = await runCli('compliance', '--request', file('request-ssh.json'));
    assert.equal(r.code, 1);
    assert.match(r.stdout, /rule: ingress tcp\/22 from 0\.0\.0\.0\/0 → sg-front "debug"/);
  });

  test('a committed rule file is accepted as a request', async () => {
    const rule = { id: 'REQ-9', group: 'sg-front', protocol: 'tcp', from_port: 22, to_port: 22, cidr: '0.0.0.0/0', description: 'debug', requester: 'U1', ticket: null, expires_at: null };
    await writeFile(file('REQ-9.json'), JSON.stringify(rule));
    const r = await runCli('compliance', '--request', file('REQ-9.json'), '--format', 'json');
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.stdout).violations[0].resource, 'rule file REQ-9');
  });
});

describe('the installed executable', () => {
  const run = (...args: string[]) =>
    promisify(execFile)(process.execPath, [...CLI_ARGS, ...args]).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  test('--help lists the commands and exits 0', async () => {
    const r = await run('--help');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /compliance .*\n.*plan-summary/);
  });

  test('exit codes 1 and 2 reach the shell', async () => {
    assert.equal((await run('compliance', '--plan', file('ssh.json'))).code, 1);
    const bad = await run('compliance', '--plan', file('broken.json'));
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^portcullis compliance: .*broken\.json: not JSON/);
  });

  test('an unknown command is bad input', async () => {
    const r = await run('deploy-everything');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command "deploy-everything"/);
  });
});
