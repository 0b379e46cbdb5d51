/**
 * One probe of one target, over node:http / node:https / node:tls. Every probe connects
 * to the member's own address (never a DNS lookup); a host name from groups.json is only
 * what is said to the member (TLS SNI and the Host header) and what its certificate must
 * name:
 *
 * - `http`: a GET, Host = the host name when there is one.
 * - `https`: a GET over TLS with SNI and Host = the host name, and the certificate fully
 *   verified: chain to a trusted CA, validity dates and the host name. A certificate that
 *   fails any of these fails the probe before the request is sent.
 * - `tls`: an HTTPS port without a host name: a member's certificate names its host, not
 *   its address, so there is no name to check it against and no Host to ask for. The
 *   probe completes a TLS handshake only, and the result says the certificate was not
 *   checked by name.
 *
 * Trust: Node's bundled CAs plus NODE_EXTRA_CA_CERTS (Node's own variable, read when the
 * process starts: the way to trust a private CA in the bot and in the pipeline).
 * `createProbe({ extraCa })` adds more for one probe (tests use it for a CA they make).
 */
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';

export type ProbeTarget =
  | { kind: 'http'; ip: string; port: number; path: string; host?: string }
  | { kind: 'https'; ip: string; port: number; path: string; host: string }
  | { kind: 'tls'; ip: string; port: number };

/** A status for `http` and `https`; for `tls`, that the handshake completed. */
export type ProbeAnswer = { status: number } | { handshake: true };

/** Probes one target; rejects when it did not answer (or, for https, its certificate failed). */
export type Probe = (target: ProbeTarget, timeoutMs: number) => Promise<ProbeAnswer>;

const USER_AGENT = 'portcullis-service-check';

export interface ProbeOptions {
  /** PEM certificates trusted beyond Node's default CAs (which include NODE_EXTRA_CA_CERTS). */
  extraCa?: readonly string[];
}

export function createProbe(options: ProbeOptions = {}): Probe {
  // Passing `ca` replaces Node's default store, so extra CAs come with the bundled roots
  // (NODE_EXTRA_CA_CERTS then is not included: it applies when no extraCa is given). The
  // context is built once: parsing ~150 roots per connection would cost more than the probe.
  const secureContext = options.extraCa?.length ? tls.createSecureContext({ ca: [...tls.rootCertificates, ...options.extraCa] }) : undefined;
  return (target, timeoutMs) => (target.kind === 'tls' ? handshake(target, timeoutMs) : get(target, timeoutMs, secureContext));
}

/** The probe the bot and the CLI use: Node's trust store, NODE_EXTRA_CA_CERTS included. */
export const defaultProbe: Probe = createProbe();

/** The Host header: the name, with the port unless it is the scheme's default. */
function hostHeader(host: string, port: number, kind: 'http' | 'https'): string {
  return port === (kind === 'https' ? 443 : 80) ? host : `${host}:${port}`;
}

function get(target: Extract<ProbeTarget, { kind: 'http' | 'https' }>, timeoutMs: number, secureContext: tls.SecureContext | undefined): Promise<ProbeAnswer> {
  const { kind, ip, port, path, host } = target;
  const headers: Record<string, string> = { 'user-agent': USER_AGENT, accept: '*/*', connection: 'close' };
  if (host !== undefined) headers.host = hostHeader(host, port, kind);
  const common = { host: ip, port, path, method: 'GET', headers, agent: false as const, signal: AbortSignal.timeout(timeoutMs) };
  return new Promise((resolve, reject) => {
    const req =
      kind === 'https'
        ? // rejectUnauthorized: Node verifies the chain, the dates and (checkServerIdentity) the
          // name before a byte of the request is sent; `servername` is both the SNI and that name.
          https.request({ ...common, servername: target.host, rejectUnauthorized: true, ...(secureContext ? { secureContext } : {}) })
        : http.request(common);
    req.once('response', (res) => {
      resolve({ status: res.statusCode ?? 0 });
      res.destroy(); // the body is not read
    });
    req.on('error', reject); // on, not once: a late second error must not go unhandled
    req.end();
  });
}

function handshake(target: Extract<ProbeTarget, { kind: 'tls' }>, timeoutMs: number): Promise<ProbeAnswer> {
  return new Promise((resolve, reject) => {
    // No name to verify against: this probe proves a TLS service answers, nothing about
    // its certificate, and the result says so. No SNI is sent for an address.
    const socket = tls.connect({ host: target.ip, port: target.port, rejectUnauthorized: false });
    const timer = setTimeout(() => socket.destroy(Object.assign(new Error('TLS handshake timed out'), { name: 'TimeoutError' })), timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      resolve({ handshake: true });
      // Close politely (close_notify, after our Finished is flushed) rather than reset, so
      // the server sees a completed handshake; a peer that never closes is cut off soon.
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
]);

type NodeError = Error & { code?: string; cause?: NodeError; cert?: { subjectaltname?: string; subject?: { CN?: string } } };

/**
 * Why a probe failed, in words fit for a report: 'timeout', 'refused', what is wrong with
 * a certificate, or the lowest-level reason otherwise (e.g. a TLS protocol error).
 */
export function describeFailure(err: unknown, host?: string): string {
  const e = err as NodeError;
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timeout';
  const cause = e.code === undefined && e.cause ? e.cause : e;
  const code = cause.code;
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT') return 'timeout';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const names = cause.cert?.subjectaltname ?? (cause.cert?.subject?.CN ? `CN=${cause.cert.subject.CN}` : 'no names');
    return `certificate name mismatch: the certificate is not valid for ${host ?? 'the host name'} (it names ${names})`;
  }
  if (code === 'CERT_HAS_EXPIRED') return 'certificate expired (CERT_HAS_EXPIRED)';
  if (code === 'CERT_NOT_YET_VALID') return 'certificate not yet valid (CERT_NOT_YET_VALID)';
  if (code !== undefined && UNTRUSTED.has(code)) {
    return `certificate not trusted: ${cause.message} (${code}); a private CA belongs in NODE_EXTRA_CA_CERTS`;
  }
  if (code) return `${code}: ${cause.message}`;
  return cause.message;
}
