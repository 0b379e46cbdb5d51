/**
 * The web sandbox: a page on 127.0.0.1 that looks and works like a Slack workspace. It
 * shows only what the fakes hold (surface.ts) and acts only through the Slack fake's
 * driver, which sends the bot real Socket Mode envelopes: a slash command, a button's
 * block_actions, a modal's view_submission, an app_home_opened event. The page adds no
 * behaviour of its own; what Slack's own client does (a confirm dialog before a click,
 * refusing a command no app registered) it does too.
 *
 * The page acts as people, so only the page may call it: requests must name this server
 * as Host (no DNS rebinding), actions are JSON POSTs from this origin, and the page's
 * Content-Security-Policy loads nothing from anywhere else.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { REPO_ROOT } from '../../fakes/all.ts';
import type { World } from '../world.ts';
import { backstage, surface } from './surface.ts';

export const DEFAULT_PORT = 4280;
const STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url));
const STATIC_FILES: Record<string, string> = {
  '/': 'index.html',
  '/app.js': 'app.js',
  '/blocks.js': 'blocks.js',
  '/mrkdwn.js': 'mrkdwn.js',
  '/backstage.js': 'backstage.js',
  '/dom.js': 'dom.js',
  '/style.css': 'style.css',
};
const TYPES: Record<string, string> = { html: 'text/html', js: 'text/javascript', css: 'text/css' };
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const MAX_BODY = 64 * 1024;
/** How often GitLab's and AWS's state is compared for the page (Slack's changes are pushed at once). */
const BACKSTAGE_POLL_MS = 200;

export interface WebSandbox {
  url: string;
  port: number;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The slash commands the app's manifest registers: Slack's client refuses any other. */
async function registeredCommands(): Promise<Set<string>> {
  const manifest = parseYaml(await readFile(`${REPO_ROOT}manifest.yml`, 'utf8')) as { features?: { slash_commands?: Array<{ command: string }> } };
  return new Set((manifest.features?.slash_commands ?? []).map((c) => c.command));
}

const person = z.string().regex(/^U[A-Z0-9]{1,20}$/);
const bodies = {
  command: z.object({ as: person, text: z.string().max(4000) }),
  click: z.object({
    as: person,
    actionId: z.string().max(255),
    blockId: z.string().max(255),
    value: z.string().max(2000).optional(),
    ts: z.string().max(40).optional(),
    viewId: z.string().max(40).optional(),
  }),
  submit: z.object({ as: person, viewId: z.string().max(40), values: z.record(z.string().max(255), z.union([z.string().max(3000), z.array(z.string().max(255)).max(100)])) }),
  close: z.object({ as: person, viewId: z.string().max(40) }),
  home: z.object({ as: person }),
};

async function readJson(request: IncomingMessage): Promise<unknown> {
  if (!/^application\/json\b/.test(request.headers['content-type'] ?? '')) throw new HttpError(415, 'actions are JSON');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'too large');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'not JSON');
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

/** What the person is told when Slack gives up on the app, in Slack's own words. */
function failure(err: unknown, what: string): { ok: false; error: string } {
  const message = (err as Error).message ?? String(err);
  const code = /no ack/.test(message) ? 'operation_timeout' : 'dispatch_failed';
  return { ok: false, error: `${what} failed with the error "${code}"` };
}

export async function startWebSandbox(world: World, options: { port: number; fallback: boolean }): Promise<WebSandbox> {
  const slack = world.fakes.slack.driver;
  const commands = await registeredCommands();
  const known = new Set(world.people.map((p) => p.id));
  const events = new Set<ServerResponse>();
  let origins: string[] = [];

  const actor = (id: string) => {
    if (!known.has(id)) throw new HttpError(400, `nobody called ${id} is in this workspace`);
    return id;
  };

  const actions: Record<string, (body: unknown) => Promise<unknown>> = {
    async command(body) {
      const { as, text } = bodies.command.parse(body);
      const m = /^(\/[^\s]+)\s*([\s\S]*)$/.exec(text.trim());
      if (!m) return { ok: false, error: 'This sandbox takes slash commands only: /sg-request and /check-services.' };
      const [, command = '', rest = ''] = m;
      if (!commands.has(command)) return { ok: false, error: `${command} is not a valid command. In Slack, all messages that start with the "/" character are interpreted as commands.` };
      return slack.runSlashCommand({ user: actor(as), command, text: rest, channel: world.channel }).then(
        () => ({ ok: true }),
        (err: unknown) => failure(err, command),
      );
    },
    async click(body) {
      const { as, actionId, blockId, value, ts, viewId } = bodies.click.parse(body);
      const target = viewId !== undefined ? { viewId } : { channel: world.channel, ts: ts ?? '' };
      return slack.clickButton({ user: actor(as), actionId, blockId, ...(value === undefined ? {} : { value }), ...target }).then(
        () => ({ ok: true }),
        (err: unknown) => failure(err, 'That action'),
      );
    },
    async submit(body) {
      const { as, viewId, values } = bodies.submit.parse(body);
      return slack.submitView({ user: actor(as), viewId, values }).then(
        () => ({ ok: true }),
        (err: unknown) => failure(err, 'Submitting the form'),
      );
    },
    async close(body) {
      const { as, viewId } = bodies.close.parse(body);
      await slack.closeView({ user: actor(as), viewId });
      return { ok: true };
    },
    async home(body) {
      const { as } = bodies.home.parse(body);
      return slack.openHome(actor(as)).then(
        () => ({ ok: true }),
        (err: unknown) => failure(err, 'Opening the Home tab'),
      );
    },
  };

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // Only this server's own name: a page elsewhere cannot reach it through a rebound DNS name.
    if (!origins.some((o) => o === `http://${request.headers.host ?? ''}`)) throw new HttpError(421, 'unknown host');
    const url = new URL(request.url ?? '/', 'http://sandbox');
    if (request.method === 'POST' && url.pathname.startsWith('/api/')) {
      const origin = request.headers.origin;
      if (origin !== undefined && !origins.includes(origin)) throw new HttpError(403, 'another origin');
      const action = actions[url.pathname.slice('/api/'.length)];
      if (action === undefined) throw new HttpError(404, 'no such action');
      return send(response, 200, await action(await readJson(request)));
    }
    if (request.method !== 'GET') throw new HttpError(405, 'method not allowed');
    // Nobody named yet (a fresh page): the first person of the workspace.
    if (url.pathname === '/api/state') return send(response, 200, surface(world, actor(url.searchParams.get('as') || world.people[0]!.id)));
    if (url.pathname === '/api/events') return openEvents(response);
    const file = /^\/api\/files\/(F[A-Z0-9]{1,20})$/.exec(url.pathname);
    if (file) {
      const content = slack.fileContent(file[1]!);
      if (content === undefined) throw new HttpError(404, 'no such file');
      // Shown as text, never interpreted: the plan holds person-supplied descriptions.
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'none'" });
      return void response.end(content);
    }
    if (url.pathname === '/favicon.ico') return void response.writeHead(204).end();
    const name = STATIC_FILES[url.pathname];
    if (name === undefined) throw new HttpError(404, 'not found');
    const type = TYPES[name.split('.').pop() ?? ''] ?? 'application/octet-stream';
    response.writeHead(200, {
      'content-type': `${type}; charset=utf-8`,
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
    response.end(await readFile(STATIC_DIR + name));
  }

  function openEvents(response: ServerResponse): void {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    response.write(`retry: 500\ndata: ${tick}\n\n`);
    events.add(response);
    response.on('close', () => events.delete(response));
  }

  // Every change is announced as a new number; the page then reads its state again.
  let tick = 0;
  let pending: NodeJS.Immediate | undefined;
  const announce = () => {
    pending ??= setImmediate(() => {
      pending = undefined;
      tick += 1;
      for (const response of events) response.write(`data: ${tick}\n\n`);
    });
  };
  const server = createServer((request, response) => {
    route(request, response).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : err instanceof z.ZodError ? 400 : 500;
      const message = err instanceof z.ZodError ? 'malformed request' : (err as Error).message;
      if (!response.headersSent) send(response, status, { ok: false, error: message });
      else response.destroy();
    });
  });
  const port = await listen(server, options.port, options.fallback);
  origins = [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
  // Followed only once listening: a server that could not start leaves nothing running.
  const unsubscribe = slack.onChange(announce);
  let digest = JSON.stringify(backstage(world));
  const poll = setInterval(() => {
    const next = JSON.stringify(backstage(world));
    if (next !== digest) {
      digest = next;
      announce();
    }
  }, BACKSTAGE_POLL_MS);

  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    async close() {
      clearInterval(poll);
      unsubscribe();
      if (pending) clearImmediate(pending);
      for (const response of events) response.end();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** Listens on 127.0.0.1:port; with `fallback`, on any free port when that one is taken. */
export async function listen(server: Server, port: number, fallback: boolean): Promise<number> {
  const attempt = (p: number) =>
    new Promise<number>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      server.once('error', onError);
      server.listen(p, '127.0.0.1', () => {
        server.off('error', onError);
        resolve((server.address() as AddressInfo).port);
      });
    });
  try {
    return await attempt(port);
  } catch (err) {
    if (!fallback || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    return attempt(0);
  }
}
