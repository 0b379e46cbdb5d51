/**
 * The web sandbox's server: only its own page may act through it, it finds a free port
 * when the default is taken, and `npm run sandbox` prints its address and stops cleanly
 * on Ctrl-C.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { listen, startWebSandbox, type WebSandbox } from '../../src/sandbox/web/server.ts';
import { startWorld, type World } from '../../src/sandbox/world.ts';

let world: World;
let web: WebSandbox;

before(async () => {
  world = await startWorld({ frontIp: '127.88.3.10' });
  web = await startWebSandbox(world, { port: 0, fallback: false });
});
after(async () => {
  await web?.close();
  await world?.close();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(new URL(path, web.url), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

test('the page is served with a policy that loads nothing from elsewhere', async () => {
  const response = await fetch(web.url);
  assert.equal(response.status, 200);
  const csp = response.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'/);
  assert.match(await response.text(), /aria-label="Message"/);
  assert.equal((await fetch(new URL('/../package.json', web.url))).status, 404);
});

test('only its own host and origin may use it: a rebound DNS name, another site and a form post are refused', async () => {
  // fetch will not send another Host, so node:http asks as the rebound name would.
  const rebound = await new Promise<number>((resolve, reject) => {
    get({ host: '127.0.0.1', port: web.port, path: '/api/state', headers: { host: `attacker.example:${web.port}` } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
  assert.equal(rebound, 421);
  const otherSite = await post('/api/command', { as: 'U0ALICE', text: '/sg-request' }, { origin: 'http://attacker.example' });
  assert.equal(otherSite.status, 403);
  const form = await fetch(new URL('/api/command', web.url), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'as=U0ALICE&text=/sg-request' });
  assert.equal(form.status, 415);
  assert.equal(world.fakes.slack.driver.deliveries().length, 0, 'nothing reached the bot');
});

test('a person not in the workspace cannot act, and a command no app registered is refused as Slack does', async () => {
  assert.equal((await post('/api/command', { as: 'U0MALLORY', text: '/sg-request' })).status, 400);
  const unknown = (await (await post('/api/command', { as: 'U0ALICE', text: '/deploy-everything now' })).json()) as { ok: boolean; error: string };
  assert.equal(unknown.ok, false);
  assert.match(unknown.error, /^\/deploy-everything is not a valid command/);
  assert.equal(world.fakes.slack.driver.deliveries().length, 0);
});

test('a command reaches the bot as a slash_commands envelope, and its answer is in the person\'s state only', async () => {
  const result = (await (await post('/api/command', { as: 'U0DAVE', text: '/check-services nosuchgroup' })).json()) as { ok: boolean };
  assert.equal(result.ok, true);
  const [delivery] = world.fakes.slack.driver.deliveries();
  assert.equal(delivery?.type, 'slash_commands');
  assert.equal(delivery?.payload.user_id, 'U0DAVE');
  const stateOf = async (user: string) => (await (await fetch(new URL(`/api/state?as=${user}`, web.url))).json()) as { ephemerals: Array<{ text: string }> };
  // The state is read over HTTP, so it is polled here (the driver's waitFor takes a synchronous probe).
  let dave = await stateOf('U0DAVE');
  for (const deadline = Date.now() + 5000; dave.ephemerals.length === 0 && Date.now() < deadline; dave = await stateOf('U0DAVE')) await new Promise((r) => setTimeout(r, 25));
  assert.match(dave.ephemerals[0]!.text, /nosuchgroup/);
  assert.deepEqual((await stateOf('U0ALICE')).ephemerals, []);
});

test('the default port taken, it listens on a free one; a port asked for and taken is an error', async () => {
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  const taken = (squatter.address() as AddressInfo).port;
  const server = createServer();
  try {
    const port = await listen(server, taken, true);
    assert.notEqual(port, taken);
    assert.ok(port > 0);
    server.close();
    await assert.rejects(listen(createServer(), taken, false), { code: 'EADDRINUSE' });
  } finally {
    server.close();
    squatter.close();
  }
});

test('npm run sandbox prints the page address, serves it, and stops cleanly on Ctrl-C; its front moves over when its address is taken', async (t) => {
  // The default front address's port 80 (forwarded) is taken, here or by a sandbox already running.
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.once('error', () => resolve()).listen(20_080, '127.88.0.10', resolve));
  t.after(() => void squatter.close());
  const run = fileURLToPath(new URL('../../src/sandbox/run.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', run, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no address printed:\n${lines.join('\n')}`)), 30_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      const m = /open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then(() => reject(new Error(`exited early:\n${lines.join('\n')}`)));
  });
  assert.equal((await fetch(url)).status, 200);
  child.kill('SIGINT');
  assert.equal(await exited, 0);
  assert.ok(lines.includes('Stopping the sandbox.'));
  await assert.rejects(fetch(url), 'nothing listens any more');
});

test('npm run sandbox --port N with N taken says so and exits 2, leaving nothing running', async () => {
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  const taken = (squatter.address() as AddressInfo).port;
  try {
    const run = fileURLToPath(new URL('../../src/sandbox/run.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', run, '--port', String(taken)], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_NO_WARNINGS: '1' } });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    clearTimeout(timer);
    assert.equal(code, 2, stderr);
    assert.match(stderr, new RegExp(`port ${taken} is taken`));
  } finally {
    squatter.close();
  }
});
