/**
 * node:http glue for the API: reads the body, authenticates, applies scripted throttling,
 * dispatches through the Router and writes GitLab-shaped answers (JSON errors, 204s).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { User } from '../model.ts';
import { ApiError, notAllowed, notFound, unauthorized } from './errors.ts';
import type { ApiRequest, ApiResponse, Router } from './router.ts';

export const API_PREFIX = '/api/v4';

export interface RequestRecord {
  method: string;
  /** Path below /api/v4 as sent (encoded), without the query. */
  path: string;
  query: string;
  status: number;
}

export interface ApiServerOptions {
  router: Router;
  authenticate(headers: IncomingMessage['headers']): User | undefined;
  /** A 429 (or 5xx) answer when the request is to be throttled; 'hold' to swallow it; else undefined. */
  throttle(method: string, path: string): ApiResponse | 'hold' | undefined;
  onRequest(record: RequestRecord): void;
  /** The scopes of the token the user authenticated with. */
  scopesOf(user: User): readonly string[];
}

/**
 * What a token's scopes let it call (Gitlab::Auth): `api` everything, `read_api` reads
 * only; the token's own record is readable with any scope.
 */
function scopeAllows(scopes: readonly string[], method: string, path: string): string | null {
  if (scopes.includes('api') || path === '/personal_access_tokens/self') return null;
  if (method === 'GET' && scopes.includes('read_api')) return null;
  return method === 'GET' ? 'api read_api' : 'api';
}

export function createApiServer(options: ApiServerOptions): Server {
  return createServer((req, res) => {
    handle(options, req, res).catch((err: unknown) => {
      // Only a bug in the fake lands here; answer like GitLab's 500 and keep serving.
      console.error('gitlab fake: unhandled error', err);
      if (!res.headersSent) send(res, { status: 500, json: { message: '500 Internal Server Error' } });
    });
  });
}

async function handle(options: ApiServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://fake');
  const method = req.method ?? 'GET';
  const rawBody = await readBody(req);
  let status = 500;
  const path = url.pathname.startsWith(`${API_PREFIX}/`) ? url.pathname.slice(API_PREFIX.length) : '';
  try {
    const response = await dispatch(options, method, path, url.searchParams, req, rawBody);
    status = response.status;
    send(res, response);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    status = err.status;
    send(res, { status: err.status, json: err.body });
  } finally {
    options.onRequest({ method, path, query: url.search, status });
  }
}

async function dispatch(
  options: ApiServerOptions,
  method: string,
  path: string,
  query: URLSearchParams,
  req: IncomingMessage,
  rawBody: Buffer,
): Promise<ApiResponse> {
  if (!path) throw notFound();
  const throttled = options.throttle(method, path);
  // Swallowed: never processed, never answered (the socket goes when its sender does).
  if (throttled === 'hold') return new Promise<never>(() => undefined);
  if (throttled) return throttled;
  const user = options.authenticate(req.headers);
  if (!user) throw unauthorized();
  const needed = scopeAllows(options.scopesOf(user), method, path);
  if (needed !== null) {
    throw new ApiError(403, { error: 'insufficient_scope', error_description: 'The request requires higher privileges than provided by the access token.', scope: needed });
  }
  const matched = options.router.match(method, path);
  if (!matched) throw options.router.knowsPath(path) ? notAllowed() : notFound();
  const request: ApiRequest = {
    method,
    path,
    params: matched.params,
    query,
    body: parseBody(req.headers['content-type'], rawBody),
    rawBody,
    headers: req.headers,
    user,
  };
  return matched.handler(request);
}

function parseBody(contentType: string | undefined, raw: Buffer): Record<string, unknown> {
  if (raw.length === 0) return {};
  const type = (contentType ?? '').split(';')[0]!.trim();
  if (type === 'application/json') {
    let value: unknown;
    try {
      value = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new ApiError(400, { error: 'The provided content-type \'application/json\' is not valid JSON' });
    }
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  }
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
  return {};
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, response: ApiResponse): void {
  const headers: Record<string, string> = { ...('headers' in response ? response.headers : {}) };
  if ('json' in response) {
    res.writeHead(response.status, { ...headers, 'content-type': 'application/json' });
    res.end(JSON.stringify(response.json));
  } else if ('text' in response) {
    res.writeHead(response.status, { ...headers, 'content-type': response.contentType ?? 'text/plain; charset=utf-8' });
    res.end(response.text);
  } else if ('bytes' in response) {
    res.writeHead(response.status, { ...headers, 'content-type': response.contentType });
    res.end(response.bytes);
  } else {
    res.writeHead(204, headers);
    res.end();
  }
}
