// `portcullis check-services --groups FILE` with HTTPS members (the services fake on
// 127.47.0.0/24, port 8443, certificates for shop.example.test from a CA made here): the
// host name from groups.json verified, or the handshake-only result when there is none, in
// the text, JUnit and JSON reports; a bad groups.json refused; and the operator's way to
// trust a private CA, NODE_EXTRA_CA_CERTS, through the real binary in its own process.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createProbe } from '../../src/checks/services.ts';
import { createCheckServicesCommand } from '../../src/cli/check-services.ts';
import { InputError } from '../../src/domain/errors.ts';
import { fakeAwsEnv, startAwsFake, type AwsFake } from '../../src/fakes/aws/index.ts';
import { allocateLoopbackIps, startServiceTargets, type ServiceTargets } from '../../src/fakes/services/index.ts';
import { createTestCa } from '../helpers/certs.ts';
import { CLI_ARGS } from '../helpers/cli.ts';

const PORT = 8443; // HTTPS by default, like 443
const HOST = 'shop.example.test';
const [shopA, shopB, other] = allocateLoopbackIps(3, { block: '127.47.0.0/24' }) as [string, string, string];
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('portcullis check-services over HTTPS', () => {
  let aws: AwsFake;
  let targets: ServiceTargets;
  let dir: string;
  let env: Record<string, string>;
  let caFile: string;
  let probe: ReturnType<typeof createProbe>;
  const file = (name: string) => path.join(dir, name);

  const run = async (args: string[]) => {
    let stdout = '';
    const code = await createCheckServicesCommand(env, undefined, probe).run(args, { stdout: (t) => void (stdout += t), stderr: () => undefined });
    return { code, stdout };
  };

  before(async () => {
    const ca = await createTestCa();
    aws = await startAwsFake();
    targets = await startServiceTargets([
      { ip: shopA, port: PORT, behaviour: 'ok', tls: await ca.issue({ names: [HOST] }), host: HOST },
      { ip: shopB, port: PORT, behaviour: 'ok', tls: await ca.issue({ names: [HOST, `www.${HOST}`] }), host: HOST },
      { ip: other, port: PORT, behaviour: 'ok', tls: await ca.issue({ names: ['other.example.test'] }) },
    ]);
    const { driver } = aws;
    const [shop, mixed, bare] = ['sg-shop', 'sg-mixed', 'sg-bare'].map((groupName) => {
      const group = driver.addSecurityGroup({ groupName });
      driver.authorizeIngress(group, { protocol: 'tcp', fromPort: PORT, toPort: PORT, cidr: '0.0.0.0/0' });
      return group;
    }) as [string, string, string];
    driver.addInstance({ groupIds: [shop, mixed], publicIp: shopA, state: 'running', instanceId: 'i-0aaa' });
    driver.addInstance({ groupIds: [shop], publicIp: shopB, state: 'running', instanceId: 'i-0bbb' });
    driver.addInstance({ groupIds: [mixed, bare], publicIp: other, state: 'running', instanceId: 'i-0ccc' });
    dir = await mkdtemp(path.join(tmpdir(), 'portcullis-check-https-'));
    caFile = file('private-ca.pem');
    await writeFile(caFile, ca.cert);
    await writeFile(
      file('groups.json'),
      JSON.stringify({
        'sg-shop': { description: 'shop', service_ports: [PORT], service: { host: HOST, path: '/healthz', expect: [200] } },
        'sg-mixed': { description: 'one member serves another name', service_ports: [PORT], service: { host: HOST } },
        'sg-bare': { description: 'no host name', service_ports: [PORT] },
      }),
    );
    env = {
      ...fakeAwsEnv(aws),
    };
    probe = createProbe({ extraCa: [ca.cert] });
  });

  after(async () => {
    await targets.close();
    await aws.close();
    await rm(dir, { recursive: true });
  });

  it('verifies each member against the host name from groups.json and says so in text, JUnit and JSON', async () => {
    const { code, stdout } = await run(['--group', 'sg-shop', '--groups', file('groups.json'), '--junit', file('shop.xml'), '--json', file('shop.json')]);
    assert.equal(code, 0, stdout);
    assert.match(stdout, new RegExp(`^ok {3}i-0aaa https://${escape(HOST)}:${PORT}/healthz \\(${escape(shopA)}\\) HTTP 200, certificate verified for ${escape(HOST)} \\d+ ms$`, 'm'));
    assert.match(stdout, /^2\/2 answered, 0 failed$/m);
    const xml = await readFile(file('shop.xml'), 'utf8');
    assert.match(xml, new RegExp(`<testcase name="i-0bbb ${escape(shopB)}:${PORT} \\(certificate verified for ${escape(HOST)}\\)"`));
    const json = JSON.parse(await readFile(file('shop.json'), 'utf8'));
    assert.deepEqual(
      json.report.results.map((r: { host: string; certificate: string; ok: boolean }) => [r.host, r.certificate, r.ok]),
      [[HOST, 'verified', true], [HOST, 'verified', true]],
    );
    assert.deepEqual(targets.seen(shopA, PORT).at(-1), { servername: HOST, host: `${HOST}:${PORT}`, path: '/healthz' });
  });

  it('fails a member whose certificate names another host, with the reason in text and JUnit', async () => {
    const { code, stdout } = await run(['--group', 'sg-mixed', '--groups', file('groups.json'), '--junit', file('mixed.xml')]);
    assert.equal(code, 1);
    const lines = stdout.split('\n').filter((l) => /^(ok  |FAIL) /.test(l));
    assert.match(lines[0] ?? '', new RegExp(`^FAIL i-0ccc https://${escape(HOST)}:${PORT}/ \\(${escape(other)}\\) certificate name mismatch: the certificate is not valid for ${escape(HOST)} \\(it names DNS:other\\.example\\.test\\) \\d+ ms$`));
    assert.match(lines[1] ?? '', /^ok {3}i-0aaa /);
    assert.match(await readFile(file('mixed.xml'), 'utf8'), /failures="1"[\s\S]*<failure message="https:\/\/shop\.example\.test:8443\/ \(127\.47\.0\.3\): certificate name mismatch/);
  });

  it('without a host name, passes on the handshake and says the certificate was not checked by name', async () => {
    const before = targets.requests(other, PORT);
    const { code, stdout } = await run(['--group', 'sg-bare', '--groups', file('groups.json'), '--junit', file('bare.xml')]);
    assert.equal(code, 0, stdout);
    assert.match(stdout, new RegExp(`^ok {3}i-0ccc https://${escape(other)}:${PORT} TLS handshake completed; certificate not checked by name \\(no service host in groups\\.json\\) \\d+ ms$`, 'm'));
    assert.match(stdout, /^1\/1 answered, 0 failed; 1 of them HTTPS by handshake only, certificate not checked by name$/m);
    assert.match(await readFile(file('bare.xml'), 'utf8'), /<testcase name="i-0ccc 127\.47\.0\.3:8443 \(TLS handshake only, certificate not checked by name\)"/);
    assert.equal(targets.requests(other, PORT), before, 'a handshake, no request');
  });

  it('refuses a malformed groups.json naming file, group and key, and a group the file lacks', async () => {
    await writeFile(file('bad.json'), JSON.stringify({ 'sg-shop': { description: 'shop', service: { host: 'https://shop.example.test' } } }));
    await assert.rejects(run(['--group', 'sg-shop', '--groups', file('bad.json')]), (err: unknown) =>
      err instanceof InputError && err.message.startsWith(`${file('bad.json')}: group "sg-shop": service.host: "https://shop.example.test" is not a DNS host name`));
    await assert.rejects(run(['--group', 'sg-nope', '--groups', file('groups.json')]), (err: unknown) =>
      err instanceof InputError && /^--group sg-nope: not a group of .*groups\.json \(it has sg-shop, sg-mixed, sg-bare\)/.test(err.message));
    await assert.rejects(run(['--group', 'sg-shop', '--groups', file('missing.json')]), /missing\.json: cannot read \(ENOENT\)/);
  });

  it('trusts a private CA given the way an operator does, NODE_EXTRA_CA_CERTS, in the real binary', async () => {
    const cli = (extraEnv: Record<string, string>) =>
      new Promise<{ code: number; stdout: string }>((resolve) => {
        execFile(process.execPath, [...CLI_ARGS, 'check-services', '--group', 'sg-shop', '--groups', file('groups.json')], { env: { PATH: process.env.PATH ?? '', ...env, ...extraEnv }, timeout: 60_000 }, (err, stdout) =>
          resolve({ code: err ? Number((err as { code?: number }).code ?? 99) : 0, stdout }),
        );
      });
    // (Without the CA the same members fail verification: services-https.test.ts shows it
    // in-process, sparing a second process start here.)
    const trusted = await cli({ NODE_EXTRA_CA_CERTS: caFile });
    assert.equal(trusted.code, 0, trusted.stdout);
    assert.match(trusted.stdout, new RegExp(`^ok {3}i-0aaa .* HTTP 200, certificate verified for ${escape(HOST)} \\d+ ms$`, 'm'));
    assert.match(trusted.stdout, /^2\/2 answered, 0 failed$/m);
  });
});
