/**
 * The HTTP door under hostile clients, over raw sockets on 127.0.0.1: malformed request
 * lines, targets and headers are answered 400/431 and the process lives; slow clients are
 * cut off (408) and idle ones closed; connections past the limit are dropped; a handler
 * that throws, rejects or errors its response is a 500. After each, /healthz still answers.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { Server } from 'node:http';
import { test, type TestContext } from 'node:test';
import { closeServer, createHttpServer, DRAINING_RETRY_AFTER_S, listen, requestPath, type ClientProblem, type Handler, type HttpLimits, type HttpOptions } from '../src/http.ts';

const FAST: Partial<HttpLimits> = { headersTimeoutMs: 300, requestTimeoutMs: 600, keepAliveTimeoutMs: 300, checkIntervalMs: 50 };

interface Door {
  port: number;
  errors: unknown[];
  problems: ClientProblem[];
}

async function door(t: TestContext, options: Partial<HttpOptions> = {}): Promise<Door> {
  const errors: unknown[] = [];
  const problems: ClientProblem[] = [];
  const server: Server = createHttpServer({
    webhook: (_req, res) => void res.writeHead(200).end('{}'),
    ready: () => ({ ready: true, checks: { store: true } }),
    onError: (err) => errors.push(err),
    onClientProblem: (p) => problems.push(p),
    ...options,
    limits: { ...FAST, ...options.limits },
  });
  const port = await listen(server, 0, '127.0.0.1');
  t.after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port, errors, problems };
}

interface Exchange {
  /** Everything the server wrote. */
  text: string;
  /** The status of the first response, or null when none came. */
  status: number | null;
  /** The server closed the connection (rather than the wait running out). */
  closed: boolean;
  ms: number;
}

/** Writes `data` on a fresh connection and reads until the server closes it or `waitMs` passes. */
function exchange(port: number, data: string, waitMs = 3000): Promise<Exchange> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ text, status: status ? Number(status[1]) : null, closed, ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.write(data);
  });
}

async function healthy(port: number): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { status: 'ok' });
}

test('GET //[ is 400, not a crash, and the server still serves /healthz', async (t) => {
  const d = await door(t);
  const answer = await exchange(d.port, 'GET //[ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  assert.equal(answer.status, 400);
  assert.match(answer.text, /bad request target/);
  // In a loop, as the attack would run it.
  for (let i = 0; i < 20; i++) assert.equal((await exchange(d.port, 'GET //[ HTTP/1.1\r\nHost: x\r\n\r\n')).status, 400);
  assert.deepEqual(d.errors, []);
  assert.ok(d.problems.every((p) => p.kind === 'bad_request' && p.status === 400));
  await healthy(d.port);
});

test('request targets that are not a plain path are 400: absolute URLs, brackets, bad escapes, fragments', async (t) => {
  const d = await door(t);
  for (const target of ['http://127.0.0.1/healthz', '//[::1', '/healthz%zz', '/healthz#x', '*', '/a[b]', '/%', '/webhooks/gitlab\\x']) {
    const answer = await exchange(d.port, `GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.equal(answer.status, 400, target);
  }
  // Well-formed ones route as before.
  assert.equal((await exchange(d.port, 'GET /healthz?probe=1&x=%20 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).status, 200);
  assert.equal((await exchange(d.port, 'GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).status, 404);
  assert.equal((await exchange(d.port, 'GET /webhooks/gitlab HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).status, 405);
  await healthy(d.port);
});

test('requestPath keeps the path of origin-form targets only', () => {
  assert.equal(requestPath('/readyz?verbose=1'), '/readyz');
  assert.equal(requestPath('/'), '/');
  assert.equal(requestPath('/a%2Fb'), '/a%2Fb');
  for (const bad of [undefined, '', '//[', 'healthz', 'http://x/', '/a b', '/é', '/%2', '/x#y']) assert.equal(requestPath(bad), null, String(bad));
});

test('a garbage request line is answered 400 on the raw socket, which is then closed', async (t) => {
  const d = await door(t);
  for (const line of ['garbage garbage garbage', '\x00\x01\x02\xff', 'GET', 'GET / HTTP/9.9', 'G\u00c9T / HTTP/1.1']) {
    const answer = await exchange(d.port, `${line}\r\nHost: x\r\n\r\n`);
    assert.equal(answer.status, 400, JSON.stringify(line));
    assert.match(answer.text, /content-type: application\/json/);
    assert.ok(answer.closed, 'the socket is closed after the answer');
  }
  assert.ok(d.problems.length >= 5 && d.problems.every((p) => p.kind === 'bad_request' && p.status === 400), JSON.stringify(d.problems));
  await healthy(d.port);
});

test('headers over the limit are 431, and the limit is the configured one', async (t) => {
  const d = await door(t, { limits: { maxHeaderBytes: 4096 } });
  const answer = await exchange(d.port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(5000)}\r\n\r\n`);
  assert.equal(answer.status, 431);
  assert.ok(answer.closed);
  assert.deepEqual(d.problems, [{ kind: 'bad_request', status: 431, code: 'HPE_HEADER_OVERFLOW' }]);
  // Just under it is fine.
  assert.equal((await exchange(d.port, `GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: ${'a'.repeat(3500)}\r\n\r\n`)).status, 200);
});

test('slowloris: headers never finished are cut off with 408 after the headers timeout', async (t) => {
  const d = await door(t);
  const answer = await exchange(d.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: a', 5000);
  assert.equal(answer.status, 408);
  assert.ok(answer.closed, 'the server closed it');
  assert.ok(answer.ms < 2000, `closed after ${answer.ms} ms`);
  assert.deepEqual(d.problems, [{ kind: 'bad_request', status: 408, code: 'ERR_HTTP_REQUEST_TIMEOUT' }]);
  await healthy(d.port);
});

test('a body that never finishes is cut off after the request timeout', async (t) => {
  const d = await door(t, { webhook: (req, res) => void req.resume().on('end', () => res.end('{}')) });
  const answer = await exchange(d.port, 'POST /webhooks/gitlab HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"object', 5000);
  assert.ok(answer.closed, 'the server closed it');
  assert.ok(answer.ms < 2500, `closed after ${answer.ms} ms`);
  assert.equal(answer.status, 408);
  await healthy(d.port);
});

test('an idle keep-alive connection is closed after the keep-alive timeout', async (t) => {
  const d = await door(t);
  const answer = await exchange(d.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', 5000);
  assert.equal(answer.status, 200);
  assert.ok(answer.closed, 'closed by the server');
  assert.ok(answer.ms < 2000, `closed after ${answer.ms} ms`);
});

test('connections past the limit are dropped at once; the ones within it are served', async (t) => {
  const d = await door(t, { limits: { maxConnections: 2, keepAliveTimeoutMs: 5000, headersTimeoutMs: 5000, requestTimeoutMs: 5000 } });
  const held = [connect(d.port, '127.0.0.1'), connect(d.port, '127.0.0.1')];
  t.after(() => held.forEach((s) => s.destroy()));
  await Promise.all(held.map((s) => new Promise((r) => s.once('connect', r))));
  await new Promise((r) => setTimeout(r, 50));
  const third = await exchange(d.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.equal(third.status, null, 'no answer');
  assert.ok(third.closed, 'closed by the server');
  assert.deepEqual(d.problems, [{ kind: 'connection_dropped', maxConnections: 2 }]);
  // A held connection is served.
  const served = await new Promise<string>((resolve) => {
    held[0]!.once('data', (c: Buffer) => resolve(c.toString()));
    held[0]!.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  });
  assert.match(served, /^HTTP\/1\.1 200/);
  held.forEach((s) => s.destroy());
  await new Promise((r) => setTimeout(r, 100));
  await healthy(d.port);
});

test('a handler that throws synchronously, rejects, or errors its response is a 500 (or a closed socket), reported, and the server lives', async (t) => {
  const cases: Record<string, Handler> = {
    throws: () => {
      throw new Error('sync boom');
    },
    rejects: async () => {
      throw new Error('async boom');
    },
    'writes after end': (_req, res) => {
      res.end('{}');
      res.write('more');
    },
  };
  for (const [name, webhook] of Object.entries(cases)) {
    const d = await door(t, { webhook });
    const answer = await exchange(d.port, 'POST /webhooks/gitlab HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}', 1000);
    if (name === 'writes after end') assert.equal(answer.status, 200, name);
    else assert.equal(answer.status, 500, name);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(d.errors.length, 1, name);
    await healthy(d.port);
  }
});

test('readiness that throws (a closed store) is a 500, not a crash', async (t) => {
  const d = await door(t, {
    ready: () => {
      throw new TypeError('The database connection is not open');
    },
  });
  const res = await fetch(`http://127.0.0.1:${d.port}/readyz`);
  assert.equal(res.status, 500);
  assert.match(String(d.errors[0]), /not open/);
  await healthy(d.port);
});

test('a reporter that throws does not take the server down', async (t) => {
  const d = await door(t, {
    webhook: () => {
      throw new Error('handler');
    },
    onError: () => {
      throw new Error('reporter');
    },
    onClientProblem: () => {
      throw new Error('reporter');
    },
  });
  assert.equal((await exchange(d.port, 'POST /webhooks/gitlab HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', 1000)).status, 500);
  assert.equal((await exchange(d.port, 'garbage\r\n\r\n')).status, 400);
  assert.equal((await exchange(d.port, 'GET //[ HTTP/1.1\r\nHost: x\r\n\r\n')).status, 400);
  await healthy(d.port);
});

test('while the bot stops: a webhook is 503 with Retry-After and never handled, /readyz 503, /healthz 200', async (t) => {
  let draining = false;
  let handled = 0;
  const { port } = await door(t, { draining: () => draining, webhook: (_req, res) => void (handled++, res.writeHead(200).end('{}')) });
  const url = (path: string) => `http://127.0.0.1:${port}${path}`;
  const deliver = () => fetch(url('/webhooks/gitlab'), { method: 'POST', body: '{"object_kind":"pipeline"}', headers: { 'content-type': 'application/json' } });
  assert.equal((await deliver()).status, 200);
  draining = true;
  const refused = await deliver();
  assert.equal(refused.status, 503);
  assert.equal(refused.headers.get('retry-after'), String(DRAINING_RETRY_AFTER_S));
  assert.equal(handled, 1, 'the refused delivery never reached the handler');
  const ready = await fetch(url('/readyz'));
  assert.equal(ready.status, 503);
  assert.deepEqual(await ready.json(), { status: 'stopping' });
  assert.equal((await fetch(url('/healthz'))).status, 200);
});

test('closeServer: idle keep-alive connections close at once, a request in progress gets until the bound', async () => {
  let finish: (() => void) | undefined;
  const server = createHttpServer({
    webhook: (_req, res) => void (finish = () => res.writeHead(200).end('{}')),
    ready: () => ({ ready: true, checks: {} }),
    onError: () => undefined,
  });
  const port = await listen(server, 0, '127.0.0.1');
  const slow = fetch(`http://127.0.0.1:${port}/webhooks/gitlab`, { method: 'POST', body: '{}' }).then((r) => r.status, () => 'reset');
  while (!finish) await new Promise((r) => setTimeout(r, 5));
  const started = Date.now();
  const closing = closeServer(server, 300);
  finish();
  assert.equal(await slow, 200, 'the request in progress was answered');
  await closing;
  assert.ok(Date.now() - started < 1000);

  // A request that outlasts the bound loses its connection.
  const stuck = createHttpServer({ webhook: () => undefined, ready: () => ({ ready: true, checks: {} }), onError: () => undefined });
  const stuckPort = await listen(stuck, 0, '127.0.0.1');
  const hanging = fetch(`http://127.0.0.1:${stuckPort}/webhooks/gitlab`, { method: 'POST', body: '{}' }).then((r) => r.status, () => 'reset');
  await new Promise((r) => setTimeout(r, 50));
  const t0 = Date.now();
  await closeServer(stuck, 200);
  assert.ok(Date.now() - t0 >= 150, 'waited for the bound');
  assert.equal(await hanging, 'reset');
});
