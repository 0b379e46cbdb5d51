/**
 * The bot's HTTP side: GitLab's webhooks in, and the two probes an orchestrator asks.
 * /healthz says the process is alive; /readyz that it can do its job (Slack socket
 * connected, store open).
 *
 * The port is open to anyone who can reach it, before any token is checked, so nothing a
 * client sends may stop the process or hold it: a request target that is not a plain
 * path is 400; a request Node cannot parse (a garbage request line, headers over the
 * limit) is answered 400/431 on the raw socket, which is then destroyed; headers must
 * arrive within `headersTimeoutMs` and the whole request within `requestTimeoutMs`
 * (408); an idle keep-alive connection is closed after `keepAliveTimeoutMs`; past
 * `maxConnections` new connections are dropped. Every handler runs inside one catch-all
 * (a synchronous throw, a rejected promise and an error emitted on the response alike):
 * it is reported through `onError` and answered 500, never left to crash the process.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface HttpLimits {
  /** Time for a client to send its request line and headers (Node's headersTimeout). */
  headersTimeoutMs: number;
  /** Time for the whole request, body included (Node's requestTimeout); at least headersTimeoutMs. */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection is kept open for its next request. */
  keepAliveTimeoutMs: number;
  /** How often the two request timeouts are checked (they may fire this much late). */
  checkIntervalMs: number;
  /** Open connections at most; further ones are closed as soon as they connect. */
  maxConnections: number;
  /** Request line and headers together, in bytes; more is 431. */
  maxHeaderBytes: number;
}

/**
 * GitLab sends its headers at once and gives up on a delivery after 10 s, and a webhook
 * body is at most 1 MiB: 10 s for the headers and 30 s for the whole request leave any
 * honest client ample room while a slow or silent one loses its socket within seconds
 * (Node's own defaults are 60 s and 5 min, checked every 30 s). 5 s of keep-alive is
 * Node's default. 256 connections is far above what GitLab (a few concurrent deliveries),
 * an orchestrator's probes and the 32-connection webhook bench use, and bounds the file
 * descriptors and memory a flood of connections can take. 16 KiB of headers is Node's
 * default and many times what GitLab sends.
 */
export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 1_000,
  maxConnections: 256,
  maxHeaderBytes: 16 * 1024,
};

/** What the server refused before any handler ran, for the caller's log line. */
export type ClientProblem =
  | { kind: 'bad_request'; status: 400 | 408 | 431 | null; code: string | undefined }
  | { kind: 'connection_dropped'; maxConnections: number };

export interface HttpOptions {
  webhook: Handler;
  ready(): { ready: boolean; checks: Record<string, boolean> };
  onError(err: unknown): void;
  /** GET /metrics: the Prometheus text exposition, when given. */
  metrics?(): Promise<{ contentType: string; body: string }>;
  /** Told of each request refused before it reached a handler, and of each dropped connection. */
  onClientProblem?(problem: ClientProblem): void;
  limits?: Partial<HttpLimits>;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/**
 * A request target in origin form (RFC 9112 §3.2.1): "/", path characters of RFC 3986
 * (unreserved, sub-delims, ":", "@", "/", percent-escapes), an optional query. Anything
 * else — "//[", an absolute URL, a stray space or bracket — is not a path this server has.
 */
const ORIGIN_FORM = /^\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*(?:\?(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*)?$/;

/** The path of a well-formed request target, else null. */
export function requestPath(target: string | undefined): string | null {
  if (target === undefined || !ORIGIN_FORM.test(target)) return null;
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}

/** The status a parse error or timeout is answered with, as Node's own default handler picks it. */
function clientErrorStatus(code: string | undefined): 400 | 408 | 431 {
  if (code === 'HPE_HEADER_OVERFLOW') return 431;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  return 400;
}

export function createHttpServer(o: HttpOptions): Server {
  const limits: HttpLimits = { ...DEFAULT_HTTP_LIMITS, ...o.limits };
  const routes: Record<string, Handler> = {
    'POST /webhooks/gitlab': o.webhook,
    'GET /healthz': (_req, res) => json(res, 200, { status: 'ok' }),
    'GET /readyz': (_req, res) => {
      const r = o.ready();
      json(res, r.ready ? 200 : 503, { status: r.ready ? 'ready' : 'not ready', checks: r.checks });
    },
  };
  const { metrics } = o;
  if (metrics) {
    routes['GET /metrics'] = async (_req, res) => {
      const { contentType, body } = await metrics();
      res.writeHead(200, { 'content-type': contentType });
      res.end(body);
    };
  }

  // A reporter that throws must not take the process down with it.
  const quietly = (report: () => void) => {
    try {
      report();
    } catch {
      // Nothing left to tell.
    }
  };
  const problem = (p: ClientProblem) => quietly(() => o.onClientProblem?.(p));
  const fail = (res: ServerResponse, err: unknown) => {
    quietly(() => o.onError(err));
    if (!res.headersSent && !res.destroyed) json(res, 500, { error: 'internal error' });
    else res.destroy();
  };

  const route = (req: IncomingMessage, res: ServerResponse): void | Promise<void> => {
    const path = requestPath(req.url);
    if (path === null) {
      problem({ kind: 'bad_request', status: 400, code: 'BAD_REQUEST_TARGET' });
      res.setHeader('connection', 'close');
      return json(res, 400, { error: 'bad request target' });
    }
    const handler = routes[`${req.method} ${path}`];
    if (!handler) {
      const known = Object.keys(routes).some((r) => r.endsWith(` ${path}`));
      return json(res, known ? 405 : 404, { error: known ? 'method not allowed' : 'not found' });
    }
    return handler(req, res);
  };

  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: limits.checkIntervalMs,
      maxHeaderSize: limits.maxHeaderBytes,
    },
    (req, res) => {
      // An error emitted on the response (a write after its end, say) would otherwise be
      // an uncaught exception.
      res.on('error', (err) => fail(res, err));
      try {
        const pending = route(req, res);
        if (pending) pending.catch((err: unknown) => fail(res, err));
      } catch (err) {
        fail(res, err);
      }
    },
  );
  server.maxConnections = limits.maxConnections;
  server.on('drop', () => problem({ kind: 'connection_dropped', maxConnections: limits.maxConnections }));

  // With a listener here Node leaves the socket to us: answer when nothing was written on
  // it yet (a response half-sent on a kept-alive connection must not be corrupted), then
  // destroy it either way.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const gone = err.code === 'ECONNRESET' || !socket.writable;
    const status = gone ? null : clientErrorStatus(err.code);
    problem({ kind: 'bad_request', status, code: err.code });
    if (status === null || socket.bytesWritten !== 0) {
      socket.destroy();
      return;
    }
    const body = JSON.stringify({ error: STATUS_CODES[status]?.toLowerCase() ?? 'bad request' });
    const answer =
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    // Destroyed once the answer is flushed, or after a second if the client never reads it.
    socket.end(answer, () => socket.destroy());
    setTimeout(() => socket.destroy(), 1000).unref();
  });
  return server;
}

export async function listen(server: Server, port: number, host?: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
