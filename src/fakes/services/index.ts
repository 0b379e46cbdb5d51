/**
 * The services behind fake instances' "public" addresses: small HTTP or HTTPS servers
 * bound to exact loopback ip:port pairs that answer, fail, hang or refuse as scripted, so
 * service checks meet every outcome they must handle without leaving 127.0.0.0/8.
 *
 * As strict as a real service: an HTTPS target presents the certificate it is given
 * (issued for a host name, as real ones are, never for its loopback address), and a target
 * that serves a host name answers a request for another Host with 421 Misdirected Request,
 * as a server with virtual hosts does. Each target records the TLS SNI and Host it was sent.
 *
 * One request handler serves every target and looks the behaviour up by the socket's local
 * address, so a thousand targets cost a thousand listening sockets and nothing more.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertTargetIp } from './loopback.ts';

export { allocateLoopbackIps, assertLoopbackIpv4, assertTargetIp } from './loopback.ts';

/**
 * - ok: 200 "ok"; fail: 500 "fail";
 * - hang: the connection is accepted and never answered (until close());
 * - refuse: nothing listens, so connecting gives ECONNREFUSED;
 * - { status, delayMs?, body? }: that answer, after the delay.
 */
export type TargetBehaviour = 'ok' | 'fail' | 'hang' | 'refuse' | { status: number; delayMs?: number; body?: string };

export interface TargetSpec {
  /** A 127.x.y.z address other than 127.0.0.1. */
  ip: string;
  /** A fixed port (1-65535): the targets stand for instances' service ports. */
  port: number;
  behaviour: TargetBehaviour;
  /** Serve HTTPS with this private key and certificate chain (PEM) instead of plain HTTP. */
  tls?: { key: string; cert: string };
  /** The host name the service answers to: a request with another Host gets 421. */
  host?: string;
}

/** One request as the target saw it. */
export interface SeenRequest {
  /** The TLS SNI the client sent (null: none, or plain HTTP). */
  servername: string | null;
  /** The Host header. */
  host: string | undefined;
  path: string;
}

export interface ServiceTargets {
  /** Changes what a target does from now on; 'refuse' closes its server, leaving 'refuse' opens one. */
  setBehaviour(ip: string, port: number, behaviour: TargetBehaviour): Promise<void>;
  /** Requests the target at ip:port has received. */
  requests(ip: string, port: number): number;
  /** Those requests as the target saw them, in order. */
  seen(ip: string, port: number): SeenRequest[];
  /** The SNI of each completed TLS handshake (null where none was sent), in order. */
  handshakes(ip: string, port: number): (string | null)[];
  /** Stops every server and destroys open (e.g. hanging) connections. */
  close(): Promise<void>;
}

interface Target {
  behaviour: TargetBehaviour;
  tls?: { key: string; cert: string };
  host?: string;
  server?: Server;
  seen: SeenRequest[];
  handshakes: (string | null)[];
}

/** The name part of a Host header ("shop.example.com:8443" → "shop.example.com"), lower-cased. */
const hostName = (header: string | undefined) => header?.replace(/:\d+$/, '').toLowerCase();

const keyOf = (ip: string, port: number) => `${ip}:${port}`;

function validate(spec: TargetSpec): void {
  assertTargetIp(spec.ip);
  if (!Number.isInteger(spec.port) || spec.port < 1 || spec.port > 65535) {
    throw new Error(`target ${spec.ip} needs a port 1-65535, got ${spec.port}`);
  }
}

export async function startServiceTargets(specs: TargetSpec[]): Promise<ServiceTargets> {
  specs.forEach(validate);
  const targets = new Map<string, Target>();
  const closing = new AbortController();

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = targets.get(keyOf(req.socket.localAddress ?? '', req.socket.localPort ?? 0));
    if (!target) throw new Error(`no target for ${req.socket.localAddress}:${req.socket.localPort}`);
    const servername = (req.socket as Partial<TLSSocket>).encrypted ? (req.socket as TLSSocket).servername || null : null;
    target.seen.push({ servername, host: req.headers.host, path: req.url ?? '' });
    const { behaviour } = target;
    if (behaviour === 'hang' || behaviour === 'refuse') return; // 'refuse' only while its server is being closed
    if (target.host !== undefined && hostName(req.headers.host) !== target.host) {
      res.writeHead(421, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end(`this server does not serve ${req.headers.host ?? 'a request without Host'}`);
      return;
    }
    const { status, delayMs = 0, body } =
      behaviour === 'ok' ? { status: 200, body: 'ok' } : behaviour === 'fail' ? { status: 500, body: 'fail' } : behaviour;
    if (delayMs > 0) await sleep(delayMs, undefined, { signal: closing.signal });
    // No keep-alive: every check opens its own connection, so a target that stops listening
    // is seen as refused at once rather than as a pooled socket closing under the client.
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end(body ?? '');
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    answer(req, res).catch((error: unknown) => {
      if (closing.signal.aborted) return;
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  }

  async function listen(target: Target, ip: string, port: number): Promise<Server> {
    const server: Server = target.tls ? createTlsServer({ key: target.tls.key, cert: target.tls.cert }, handle) : createServer(handle);
    server.on('secureConnection', (socket: TLSSocket) => void target.handshakes.push(socket.servername || null));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) => reject(new Error(`starting service target ${ip}:${port}: ${error.message}`, { cause: error })));
      server.listen(port, ip, resolve);
    });
    return server;
  }

  async function stop(server: Server): Promise<void> {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  async function apply(target: Target, ip: string, port: number, behaviour: TargetBehaviour): Promise<void> {
    target.behaviour = behaviour;
    if (behaviour === 'refuse' && target.server) {
      const { server } = target;
      delete target.server;
      await stop(server);
    } else if (behaviour !== 'refuse' && !target.server) {
      target.server = await listen(target, ip, port);
    }
  }

  async function close(): Promise<void> {
    closing.abort();
    await Promise.all([...targets.values()].flatMap((t) => (t.server ? [stop(t.server)] : [])));
  }

  for (const { ip, port, tls, host } of specs) {
    if (targets.has(keyOf(ip, port))) throw new Error(`target ${keyOf(ip, port)} is given twice`);
    targets.set(keyOf(ip, port), { behaviour: 'refuse', seen: [], handshakes: [], ...(tls ? { tls } : {}), ...(host !== undefined ? { host: host.toLowerCase() } : {}) });
  }
  // allSettled, not all: every listen must have finished before a failure closes the rest.
  const started = await Promise.allSettled(specs.map(({ ip, port, behaviour }) => apply(targets.get(keyOf(ip, port)) as Target, ip, port, behaviour)));
  const failure = started.find((r) => r.status === 'rejected');
  if (failure) {
    await close();
    throw failure.reason;
  }

  function known(ip: string, port: number): Target {
    const target = targets.get(keyOf(ip, port));
    if (!target) throw new Error(`no service target ${keyOf(ip, port)} was started`);
    return target;
  }

  return {
    setBehaviour: (ip, port, behaviour) => apply(known(ip, port), ip, port, behaviour),
    requests: (ip, port) => known(ip, port).seen.length,
    seen: (ip, port) => [...known(ip, port).seen],
    handshakes: (ip, port) => [...known(ip, port).handshakes],
    close,
  };
}
