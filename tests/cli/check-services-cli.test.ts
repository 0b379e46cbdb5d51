// `portcullis check-services` against the AWS fake and loopback targets (127.42.0.0/24):
// exit codes, text, JUnit and JSON reports, and every bad-input path.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createCheckServicesCommand } from '../../src/cli/check-services.ts';
import { InputError, UpstreamError } from '../../src/domain/errors.ts';
import { exitCodeFor } from '../../src/cli/command.ts';
import { fakeAwsEnv, startAwsFake, type AwsFake } from '../../src/fakes/aws/index.ts';
import { allocateLoopbackIps, startServiceTargets, type ServiceTargets } from '../../src/fakes/services/index.ts';

const PORT = 18442;
const [webA, webB, lonely] = allocateLoopbackIps(3, { block: '127.42.0.0/24' }) as [string, string, string];

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('portcullis check-services', () => {
  let aws: AwsFake;
  let targets: ServiceTargets;
  let dir: string;
  let env: Record<string, string>;

  const run = async (args: string[], withEnv: Record<string, string | undefined> = env) => {
    let stdout = '';
    const code = await createCheckServicesCommand(withEnv).run(args, { stdout: (t) => void (stdout += t), stderr: () => undefined });
    return { code, stdout };
  };

  before(async () => {
    aws = await startAwsFake();
    targets = await startServiceTargets([
      { ip: webA, port: PORT, behaviour: 'ok' },
      { ip: webB, port: PORT, behaviour: 'ok' },
    ]);
    const { driver } = aws;
    const front = driver.addSecurityGroup({ groupName: 'sg-front' });
    driver.authorizeIngress(front, { protocol: 'tcp', fromPort: PORT, toPort: PORT, cidr: '0.0.0.0/0' });
    driver.addInstance({ groupIds: [front], publicIp: webA, state: 'running', instanceId: 'i-0aaa' });
    driver.addInstance({ groupIds: [front], publicIp: webB, state: 'running', instanceId: 'i-0bbb' });
    const empty = driver.addSecurityGroup({ groupName: 'sg-empty' });
    driver.authorizeIngress(empty, { protocol: 'tcp', fromPort: PORT, toPort: PORT, cidr: '0.0.0.0/0' });
    driver.addInstance({ groupIds: [empty], publicIp: lonely, state: 'stopped' });
    dir = await mkdtemp(path.join(tmpdir(), 'portcullis-check-services-'));
    env = {
      ...fakeAwsEnv(aws),
    };
  });

  after(async () => {
    await targets.close();
    await aws.close();
    await rm(dir, { recursive: true });
  });

  it('exits 0 when every member answers, and writes JUnit and JSON reports', async () => {
    const junit = path.join(dir, 'ok.xml');
    const json = path.join(dir, 'ok.json');
    const { code, stdout } = await run(['--group', 'sg-front', '--ports', `80,${PORT}`, '--junit', junit, '--json', json]);
    assert.equal(code, 0);
    assert.match(stdout, /^Service checks of sg-front \(sg-[0-9a-f]+\) as arn:aws:iam::123456789012:user\/portcullis-bot$/m);
    assert.match(stdout, new RegExp(`^ports: ${PORT}; public members: 2$`, 'm'), 'port 80 is not open publicly, so it is not checked');
    assert.match(stdout, /^2\/2 answered, 0 failed$/m);
    const xml = await readFile(junit, 'utf8');
    assert.match(xml, /<testsuite name="service-checks.sg-front" tests="2" failures="0"/);
    assert.match(xml, new RegExp(`<testcase name="i-0aaa ${webA.replaceAll('.', '\\.')}:${PORT}"`));
    const report = JSON.parse(await readFile(json, 'utf8'));
    assert.equal(report.report.summary.ok, 2);
    assert.equal(report.unprovable, null);
  });

  it('exits 1 with the failure listed first when a member fails', async () => {
    await targets.setBehaviour(webB, PORT, 'fail');
    try {
      const junit = path.join(dir, 'fail.xml');
      const { code, stdout } = await run(['--group', 'sg-front', '--ports', String(PORT), '--timeout-ms', '3000', '--junit', junit]);
      assert.equal(code, 1);
      const results = stdout.split('\n').filter((l) => /^(ok  |FAIL) /.test(l));
      assert.match(results[0] ?? '', new RegExp(`^FAIL i-0bbb http://${webB.replaceAll('.', '\\.')}:${PORT}/ HTTP 500 \\d+ ms$`));
      assert.match(results[1] ?? '', /^ok {3}i-0aaa .* HTTP 200 /);
      assert.match(await readFile(junit, 'utf8'), /failures="1"[\s\S]*<failure message="http:\/\/[^"]+: HTTP 500"/);
    } finally {
      await targets.setBehaviour(webB, PORT, 'ok');
    }
  });

  it('exits 1 when the group has no public member, since nothing is proven, and says so in JUnit', async () => {
    const junit = path.join(dir, 'empty.xml');
    const { code, stdout } = await run(['--group', 'sg-empty', '--ports', String(PORT), '--junit', junit]);
    assert.equal(code, 1);
    assert.match(stdout, /sg-empty has no running member with a public address: nothing to check/);
    assert.match(await readFile(junit, 'utf8'), /tests="1" failures="1"/);
  });

  it('exits 1 when the group opens none of the service ports to the internet', async () => {
    const { code, stdout } = await run(['--group', 'sg-front', '--ports', '80,443']);
    assert.equal(code, 1);
    assert.match(stdout, /opens none of its service ports to the internet/);
  });

  it('treats an unknown group and bad options as bad input', async () => {
    const bad = async (args: string[], message: RegExp, withEnv: Record<string, string | undefined> = env) =>
      assert.rejects(run(args, withEnv), (err: unknown) => err instanceof InputError && message.test(err.message));
    await bad(['--group', 'sg-nope'], /security group "sg-nope" does not exist in AWS account 123456789012/);
    await bad([], /--group NAME_OR_ID is required/);
    await bad(['--group', 'sg-front', '--ports', '80,70000'], /--ports takes ports 1-65535/);
    await bad(['--group', 'sg-front', '--timeout-ms', '0'], /--timeout-ms takes a number of milliseconds/);
    await bad(['--group', 'sg-front', '--bogus'], /Unknown option '--bogus'/);
    await bad(['--group', 'sg-front'], /AWS_REGION is not set/, { ...env, AWS_REGION: undefined });
  });

  it('explains when AWS cannot be reached, naming the call, as a failure of AWS (exit 3), not bad input', async () => {
    const port = await closedPort();
    const unreachable = { ...env, AWS_ENDPOINT_URL_EC2: `http://127.0.0.1:${port}`, AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${port}` };
    await assert.rejects(run(['--group', 'sg-front'], unreachable), (err: unknown) => err instanceof UpstreamError && exitCodeFor(err) === 3 && /AWS (GetCallerIdentity|DescribeSecurityGroups).*ECONNREFUSED/.test(err.message));
  });
});
