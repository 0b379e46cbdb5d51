// Service checks against loopback targets that answer, fail, hang and refuse; the address
// guard; the worker pool's bound; which ports a group's live rules make worth checking.
// Addresses come from 127.41.0.0/16 so this file runs in parallel with the others.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkServices, loopbackOnly, publicServicePorts, type Probe } from '../../src/checks/services.ts';
import type { CloudRule } from '../../src/core/ports.ts';
import { allocateLoopbackIps, startServiceTargets, type ServiceTargets } from '../../src/fakes/services/index.ts';

const PORT = 18441;
const [okIp, failIp, hangIp, refuseIp, redirectIp] = allocateLoopbackIps(5, { block: '127.41.0.0/24' }) as [string, string, string, string, string];
const member = (instanceId: string, publicIp: string) => ({ instanceId, publicIp, name: null });

describe('checkServices against loopback targets', () => {
  let targets: ServiceTargets;

  before(async () => {
    targets = await startServiceTargets([
      { ip: okIp, port: PORT, behaviour: 'ok' },
      { ip: failIp, port: PORT, behaviour: 'fail' },
      { ip: hangIp, port: PORT, behaviour: 'hang' },
      { ip: refuseIp, port: PORT, behaviour: 'refuse' },
      { ip: redirectIp, port: PORT, behaviour: { status: 302, body: '' } },
    ]);
  });
  after(() => targets.close());

  it('tells each outcome apart, failures first, and sums them up', async () => {
    const members = [member('i-ok', okIp), member('i-fail', failIp), member('i-hang', hangIp), member('i-refuse', refuseIp), member('i-redirect', redirectIp)];
    const started = performance.now();
    const { results, summary } = await checkServices({ members, ports: [PORT], allowTarget: loopbackOnly, timeoutMs: 600 });
    const elapsed = performance.now() - started;

    const view = results.map(({ instanceId, ok, status, error }) => ({ instanceId, ok, status, error }));
    assert.deepEqual(view, [
      { instanceId: 'i-fail', ok: false, status: 500, error: 'HTTP 500' },
      { instanceId: 'i-hang', ok: false, status: undefined, error: 'timeout' },
      { instanceId: 'i-refuse', ok: false, status: undefined, error: 'refused' },
      { instanceId: 'i-ok', ok: true, status: 200, error: undefined },
      { instanceId: 'i-redirect', ok: true, status: 302, error: undefined },
    ]);
    assert.equal(results.find((r) => r.instanceId === 'i-ok')?.url, `http://${okIp}:${PORT}/`);
    const hang = results.find((r) => r.instanceId === 'i-hang')!;
    assert.ok(hang.latencyMs >= 550 && hang.latencyMs < 2000, `the hanging target was given up at its timeout (${hang.latencyMs} ms)`);
    assert.ok(elapsed < 2000, 'targets are checked side by side, not one after another');
    assert.deepEqual({ ...summary, slowestMs: undefined }, { total: 5, ok: 2, failed: 3, unverified: 0, slowestMs: undefined });
    assert.ok(summary.slowestMs > 0 && summary.slowestMs < hang.latencyMs, 'slowest counts only targets that answered');
    assert.equal(targets.requests(okIp, PORT), 1);
  });

  it('reports a TLS failure clearly when a port is checked over https but speaks plain HTTP', async () => {
    const { results } = await checkServices({ members: [member('i-ok', okIp)], ports: [PORT], allowTarget: loopbackOnly, timeoutMs: 2000, scheme: () => 'https' });
    assert.equal(results[0]?.url, `https://${okIp}:${PORT}`, 'no host name: a handshake, not a GET');
    assert.equal(results[0]?.ok, false);
    assert.match(results[0]?.error ?? '', /SSL|TLS|EPROTO|wrong version/i);
  });

  it('sends nothing to an address the guard refuses', async () => {
    const sent: string[] = [];
    const probe: Probe = async (target) => {
      sent.push(`${target.kind} ${target.ip}:${target.port}`);
      return { status: 200 };
    };
    const { results } = await checkServices({ members: [member('i-doc', '203.0.113.5'), member('i-ok', okIp)], ports: [80, 443], allowTarget: loopbackOnly }, probe);
    assert.deepEqual(sent.sort(), [`http ${okIp}:80`, `tls ${okIp}:443`]);
    const refused = results.filter((r) => !r.ok);
    assert.deepEqual(refused.map((r) => [r.ip, r.port]), [['203.0.113.5', 80], ['203.0.113.5', 443]]);
    assert.match(refused[0]?.error ?? '', /not probed: 203\.0\.113\.5 is outside/);
  });

  it('keeps at most `concurrency` probes in flight and checks every target once', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen = new Set<string>();
    const probe: Probe = async (target) => {
      seen.add(`${target.ip}:${target.port}`);
      peak = Math.max(peak, ++inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      return { status: 204 };
    };
    const members = allocateLoopbackIps(60, { block: '127.41.1.0/24' }).map((ip, i) => member(`i-${i}`, ip));
    const { summary } = await checkServices({ members, ports: [80, 8080], allowTarget: loopbackOnly, concurrency: 7 }, probe);
    assert.equal(peak, 7);
    assert.equal(seen.size, 120);
    assert.equal(summary.ok, 120);
  });
});

describe('loopbackOnly', () => {
  it('admits 127.0.0.0/8 only', () => {
    assert.ok(loopbackOnly('127.0.0.1') && loopbackOnly('127.255.1.2'));
    for (const ip of ['128.0.0.1', '10.0.0.1', '203.0.113.5', '127.0.0.256', '::1', '127.1', ' 127.0.0.1']) assert.equal(loopbackOnly(ip), false, ip);
  });
});

describe('publicServicePorts', () => {
  const rule = (protocol: string, fromPort: number | null, toPort: number | null, cidr: string): CloudRule => ({
    ruleId: 'sgr-1', groupId: 'sg-1', direction: 'ingress', protocol, fromPort, toPort, cidr, referencedGroupId: null, prefixListId: null, description: '', tags: {},
  });

  it('keeps the candidate ports a tcp rule opens to a public source', () => {
    const rules = [rule('tcp', 443, 443, '0.0.0.0/0'), rule('tcp', 80, 80, '10.0.0.0/8'), rule('udp', 8080, 8080, '0.0.0.0/0')];
    assert.deepEqual(publicServicePorts(rules, [80, 443, 8080]), [443]);
  });

  it('counts ranges, all-protocol rules, IPv6 and documentation sources as public', () => {
    assert.deepEqual(publicServicePorts([rule('tcp', 0, 1000, '203.0.113.0/24')], [443, 80, 8443]), [80, 443]);
    assert.deepEqual(publicServicePorts([rule('-1', null, null, '::/0')], [443, 80]), [80, 443]);
  });

  it('ignores rules whose source is another group or prefix list, and private ones', () => {
    assert.deepEqual(publicServicePorts([rule('tcp', 443, 443, ''), rule('tcp', 443, 443, '192.168.0.0/16')], [443]), []);
  });
});
