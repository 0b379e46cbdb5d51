// HTTPS service checks through the real probe against the services fake serving HTTPS with
// certificates made here: a host name is sent as SNI and Host and the certificate is
// verified for it (a wrong name, an expired and an untrusted certificate each fail with
// their reason); without a host name only the handshake is checked, and the result says so.
// Host names are only SNI/Host values, never resolved. Addresses come from 127.46.0.0/16.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkServices, createProbe, describeOutcome, loopbackOnly, type Probe, type ServiceResult } from '../../src/checks/services.ts';
import { allocateLoopbackIps, startServiceTargets, type ServiceTargets } from '../../src/fakes/services/index.ts';
import { createTestCa, selfSigned } from '../helpers/certs.ts';

const PORT = 18446;
const HOST = 'shop.example.test';
const DAY_MS = 86_400_000;
const [goodIp, wrongNameIp, expiredIp, untrustedIp, notYetIp, hangIp, plainIp] = allocateLoopbackIps(7, { block: '127.46.0.0/24' }) as [
  string, string, string, string, string, string, string,
];
const member = (instanceId: string, publicIp: string) => ({ instanceId, publicIp, name: null });

describe('HTTPS service checks against certificates for a host name', () => {
  let targets: ServiceTargets;
  let probe: Probe;

  before(async () => {
    const ca = await createTestCa();
    const [good, wrongName, expired, notYet, untrusted] = await Promise.all([
      ca.issue({ names: [HOST] }),
      ca.issue({ names: ['other.example.test'] }),
      ca.issue({ names: [HOST], notBefore: new Date(Date.now() - 10 * DAY_MS), notAfter: new Date(Date.now() - DAY_MS) }),
      ca.issue({ names: [HOST], notBefore: new Date(Date.now() + DAY_MS), notAfter: new Date(Date.now() + 10 * DAY_MS) }),
      selfSigned({ names: [HOST] }),
    ]);
    targets = await startServiceTargets([
      { ip: goodIp, port: PORT, behaviour: 'ok', tls: good, host: HOST },
      { ip: wrongNameIp, port: PORT, behaviour: 'ok', tls: wrongName },
      { ip: expiredIp, port: PORT, behaviour: 'ok', tls: expired },
      { ip: untrustedIp, port: PORT, behaviour: 'ok', tls: untrusted },
      { ip: notYetIp, port: PORT, behaviour: 'ok', tls: notYet },
      { ip: hangIp, port: PORT, behaviour: 'hang', tls: good },
      { ip: plainIp, port: PORT, behaviour: 'ok', host: HOST },
    ]);
    // The test CA is trusted on top of Node's own CAs, as NODE_EXTRA_CA_CERTS does for an operator.
    probe = createProbe({ extraCa: [ca.cert] });
  });
  after(() => targets.close());

  const check = async (ip: string, service: { host?: string; path?: string; expect?: number[] }, using: Probe = probe): Promise<ServiceResult> => {
    const { results } = await checkServices({ members: [member('i-0', ip)], ports: [PORT], service, allowTarget: loopbackOnly, timeoutMs: 3000, scheme: () => 'https' }, using);
    assert.equal(results.length, 1);
    return results[0]!;
  };

  it('connects to the member, sends the host name as SNI and Host, verifies the certificate and GETs the path', async () => {
    const r = await check(goodIp, { host: HOST, path: '/healthz?deep=1' });
    assert.deepEqual(
      { ok: r.ok, status: r.status, certificate: r.certificate, host: r.host, ip: r.ip, url: r.url, error: r.error },
      { ok: true, status: 200, certificate: 'verified', host: HOST, ip: goodIp, url: `https://${HOST}:${PORT}/healthz?deep=1`, error: undefined },
    );
    assert.equal(describeOutcome(r), `HTTP 200, certificate verified for ${HOST}`);
    assert.deepEqual(targets.seen(goodIp, PORT).at(-1), { servername: HOST, host: `${HOST}:${PORT}`, path: '/healthz?deep=1' });
  });

  it('fails a certificate that names another host, before sending the request', async () => {
    const r = await check(wrongNameIp, { host: HOST });
    assert.equal(r.ok, false);
    assert.equal(r.status, undefined);
    assert.equal(r.error, `certificate name mismatch: the certificate is not valid for ${HOST} (it names DNS:other.example.test)`);
    assert.equal(targets.requests(wrongNameIp, PORT), 0, 'no request went to a server that failed verification');
  });

  it('fails an expired certificate and one not yet valid', async () => {
    const expired = await check(expiredIp, { host: HOST });
    assert.equal(expired.ok, false);
    assert.match(expired.error ?? '', /^certificate expired \(CERT_HAS_EXPIRED\)$/);
    const early = await check(notYetIp, { host: HOST });
    assert.equal(early.ok, false);
    assert.match(early.error ?? '', /^certificate not yet valid \(CERT_NOT_YET_VALID\)$/);
    assert.equal(targets.requests(expiredIp, PORT) + targets.requests(notYetIp, PORT), 0);
  });

  it('fails a certificate no trusted CA vouches for, and the private CA is trusted only when given', async () => {
    const selfSignedResult = await check(untrustedIp, { host: HOST });
    assert.equal(selfSignedResult.ok, false);
    assert.match(selfSignedResult.error ?? '', /^certificate not trusted: self[- ]signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\); a private CA belongs in NODE_EXTRA_CA_CERTS$/);
    // Node's own trust store alone does not know the test CA: the good target fails too.
    const withoutCa = await check(goodIp, { host: HOST }, createProbe());
    assert.equal(withoutCa.ok, false);
    assert.match(withoutCa.error ?? '', /^certificate not trusted: .*\(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/);
  });

  it('counts only the expected statuses as healthy when groups.json lists them', async () => {
    assert.equal((await check(goodIp, { host: HOST, expect: [200, 204] })).ok, true);
    const r = await check(goodIp, { host: HOST, expect: [204] });
    assert.equal(r.ok, false);
    assert.equal(r.status, 200);
    assert.equal(r.certificate, 'verified');
    assert.equal(r.error, 'HTTP 200 (expected 204)');
  });

  it('gives up on a target that completes the handshake but never answers, at its timeout', async () => {
    const { results } = await checkServices({ members: [member('i-hang', hangIp)], ports: [PORT], service: { host: HOST }, allowTarget: loopbackOnly, timeoutMs: 400, scheme: () => 'https' }, probe);
    assert.equal(results[0]?.error, 'timeout');
    assert.ok(results[0]!.latencyMs >= 350 && results[0]!.latencyMs < 2000, `${results[0]!.latencyMs} ms`);
  });

  it('without a host name, passes on a completed handshake and says the certificate was not checked by name', async () => {
    // Even certificates that would fail verification pass: that is what "not checked" means.
    const { results, summary } = await checkServices(
      { members: [member('i-good', goodIp), member('i-wrong', wrongNameIp), member('i-expired', expiredIp)], ports: [PORT], allowTarget: loopbackOnly, timeoutMs: 3000, scheme: () => 'https' },
      probe,
    );
    for (const r of results) {
      assert.deepEqual({ ok: r.ok, certificate: r.certificate, status: r.status, host: r.host }, { ok: true, certificate: 'not checked by name', status: undefined, host: undefined }, r.instanceId);
      assert.equal(r.url, `https://${r.ip}:${PORT}`);
      assert.match(describeOutcome(r), /^TLS handshake completed; certificate not checked by name \(no service host in groups\.json\)$/);
    }
    assert.equal(summary.unverified, 3);
    assert.ok(summary.slowestMs > 0, 'a handshake is an answer');
    await waitFor(() => targets.handshakes(wrongNameIp, PORT).length > 0);
    assert.deepEqual(targets.handshakes(wrongNameIp, PORT), [null], 'no SNI is sent for an address');
    assert.equal(targets.requests(wrongNameIp, PORT), 0, 'no HTTP request: there is no Host to ask for');
  });

  it('sends the host name as Host over plain HTTP too, which a virtual-host server needs', async () => {
    const http = async (service: { host?: string }) =>
      (await checkServices({ members: [member('i-plain', plainIp)], ports: [PORT], service, allowTarget: loopbackOnly, timeoutMs: 3000, scheme: () => 'http' }, probe)).results[0]!;
    const named = await http({ host: HOST });
    assert.deepEqual({ ok: named.ok, status: named.status, url: named.url, certificate: named.certificate }, { ok: true, status: 200, url: `http://${HOST}:${PORT}/`, certificate: undefined });
    assert.equal(targets.seen(plainIp, PORT).at(-1)?.host, `${HOST}:${PORT}`);
    const bare = await http({});
    assert.deepEqual({ ok: bare.ok, status: bare.status, error: bare.error }, { ok: false, status: 421, error: 'HTTP 421' });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
