// Loopback service targets behind fake instances: every scripted behaviour as a client meets it.
// This file's addresses come from 127.31.0.0/16 so it can run in parallel with other files.
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { describe, test } from 'node:test';
import { allocateLoopbackIps, startServiceTargets, type TargetSpec } from '../../src/fakes/services/index.ts';
import { createTestCa } from '../helpers/certs.ts';

const PORT = 18080;

/** What a short-timeout HTTP check sees: a status, a timeout or a connection error code. */
// Generous by default: only the hang case waits for the timeout, and a loaded CI machine is slow to connect.
async function probe(ip: string, timeoutMs = 10_000): Promise<{ status: number; body: string } | { error: string }> {
  try {
    const res = await fetch(`http://${ip}:${PORT}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, body: await res.text() };
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    return { error: e.name === 'TimeoutError' ? 'timeout' : (e.cause?.code ?? e.message) };
  }
}

describe('allocateLoopbackIps', () => {
  test('hands out distinct host addresses of the block', () => {
    const ips = allocateLoopbackIps(300, { block: '127.31.0.0/16' });
    assert.equal(new Set(ips).size, 300);
    assert.deepEqual(ips.slice(0, 2), ['127.31.0.1', '127.31.0.2']);
    assert.equal(ips[254], '127.31.1.1', 'addresses ending in .0 and .255 are skipped');
    assert.ok(ips.every((ip) => ip.startsWith('127.31.')));
  });

  test('never hands out 127.0.0.1, which the fakes themselves listen on', () => {
    assert.deepEqual(allocateLoopbackIps(2, { block: '127.0.0.0/30' }), ['127.0.0.2', '127.0.0.3']);
  });

  test('refuses blocks outside 127.0.0.0/8 and requests larger than the block', () => {
    for (const block of ['10.0.0.0/24', '203.0.113.0/24', '0.0.0.0/0', '126.0.0.0/7', '::1/128']) {
      assert.throws(() => allocateLoopbackIps(1, { block }), /not inside 127\.0\.0\.0\/8/, block);
    }
    assert.throws(() => allocateLoopbackIps(300, { block: '127.31.9.0/24' }), /only 254 usable addresses, 300 requested/);
  });
});

describe('startServiceTargets', () => {
  test('answers, fails, hangs and refuses as scripted', async () => {
    const [ok, fail, hang, refuse, custom] = allocateLoopbackIps(5, { block: '127.31.10.0/24' }) as [string, string, string, string, string];
    const targets = await startServiceTargets([
      { ip: ok, port: PORT, behaviour: 'ok' },
      { ip: fail, port: PORT, behaviour: 'fail' },
      { ip: hang, port: PORT, behaviour: 'hang' },
      { ip: refuse, port: PORT, behaviour: 'refuse' },
      { ip: custom, port: PORT, behaviour: { status: 503, delayMs: 100, body: 'maintenance' } },
    ]);
    try {
      assert.deepEqual(await probe(ok), { status: 200, body: 'ok' });
      assert.deepEqual(await probe(fail), { status: 500, body: 'fail' });
      assert.deepEqual(await probe(hang, 200), { error: 'timeout' });
      assert.deepEqual(await probe(refuse), { error: 'ECONNREFUSED' });
      const started = performance.now();
      assert.deepEqual(await probe(custom), { status: 503, body: 'maintenance' });
      assert.ok(performance.now() - started >= 95, 'the scripted delay was not applied');
      assert.equal(targets.requests(hang, PORT), 1, 'the hanging target did receive the request');
    } finally {
      await targets.close();
    }
    assert.deepEqual(await probe(ok), { error: 'ECONNREFUSED' });
  });

  test('changes behaviour on demand, including starting and stopping to listen', async () => {
    const [ip] = allocateLoopbackIps(1, { block: '127.31.11.0/24' }) as [string];
    const targets = await startServiceTargets([{ ip, port: PORT, behaviour: 'refuse' }]);
    try {
      assert.deepEqual(await probe(ip), { error: 'ECONNREFUSED' });
      await targets.setBehaviour(ip, PORT, 'ok');
      assert.deepEqual(await probe(ip), { status: 200, body: 'ok' });
      await targets.setBehaviour(ip, PORT, 'fail');
      assert.deepEqual(await probe(ip), { status: 500, body: 'fail' });
      await targets.setBehaviour(ip, PORT, 'refuse');
      assert.deepEqual(await probe(ip), { error: 'ECONNREFUSED' });
      assert.equal(targets.requests(ip, PORT), 2);
    } finally {
      await targets.close();
    }
  });

  test('refuses non-loopback addresses, 127.0.0.1 and bad ports before starting anything', async () => {
    const good: TargetSpec = { ip: '127.31.12.1', port: PORT, behaviour: 'ok' };
    for (const [bad, message] of [
      [{ ...good, ip: '192.0.2.10' }, /not a loopback/],
      [{ ...good, ip: '127.0.0.1' }, /reserved for the fakes/],
      [{ ...good, ip: 'localhost' }, /not a loopback/],
      [{ ...good, port: 0 }, /port 1-65535/],
    ] as const) {
      await assert.rejects(startServiceTargets([good, bad]), message);
    }
    assert.deepEqual(await probe(good.ip), { error: 'ECONNREFUSED' }, 'the valid target was not started either');
  });

  test('serves HTTPS with the certificate it is given, records SNI and Host, and answers another Host with 421', async () => {
    const [ip] = allocateLoopbackIps(1, { block: '127.31.13.0/24' }) as [string];
    const ca = await createTestCa();
    const targets = await startServiceTargets([{ ip, port: PORT, behaviour: 'ok', tls: await ca.issue({ names: ['shop.example.test'] }), host: 'shop.example.test' }]);
    // A bare node:https client, verifying as any client would: the name is only SNI and Host.
    const get = (host: string) =>
      new Promise<{ status: number; subject: string }>((resolve, reject) => {
        const req = request({ host: ip, port: PORT, path: '/healthz', servername: 'shop.example.test', headers: { host }, ca: ca.cert, agent: false }, (res) => {
          const subject = String((res.socket as import('node:tls').TLSSocket).getPeerCertificate().subject.CN);
          res.resume();
          resolve({ status: res.statusCode ?? 0, subject });
        });
        req.on('error', reject).end();
      });
    try {
      assert.deepEqual(await get('shop.example.test'), { status: 200, subject: 'shop.example.test' });
      assert.deepEqual(await get('elsewhere.example.test'), { status: 421, subject: 'shop.example.test' });
      assert.deepEqual(targets.seen(ip, PORT), [
        { servername: 'shop.example.test', host: 'shop.example.test', path: '/healthz' },
        { servername: 'shop.example.test', host: 'elsewhere.example.test', path: '/healthz' },
      ]);
      assert.deepEqual(targets.handshakes(ip, PORT), ['shop.example.test', 'shop.example.test']);
      // Plain HTTP to an HTTPS port is not answered as HTTP.
      assert.match(JSON.stringify(await probe(ip)), /error/);
      await targets.setBehaviour(ip, PORT, 'refuse');
      await targets.setBehaviour(ip, PORT, { status: 204 });
      assert.equal((await get('shop.example.test')).status, 204, 'still HTTPS after listening again');
    } finally {
      await targets.close();
    }
  });

  test('300 targets start on one port, each answers for itself, and all close cleanly', async () => {
    const ips = allocateLoopbackIps(300, { block: '127.31.0.0/16' });
    const targets = await startServiceTargets(ips.map((ip, i) => ({ ip, port: PORT, behaviour: i % 2 === 0 ? 'ok' : 'fail' })));
    try {
      const statuses = await Promise.all(ips.map((ip) => probe(ip)));
      assert.deepEqual(
        statuses.map((s) => ('status' in s ? s.status : s.error)),
        ips.map((_, i) => (i % 2 === 0 ? 200 : 500)),
      );
    } finally {
      await targets.close();
    }
    assert.deepEqual(await probe(ips[299] as string), { error: 'ECONNREFUSED' });
  });
});
