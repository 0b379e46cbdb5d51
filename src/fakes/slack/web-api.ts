// Web API transport, as Slack's Web API documents it: POST /api/<method>, token from `Authorization: Bearer`
// (or the `token` argument), every refusal as HTTP 200 `{ ok: false, error }`, and HTTP 429 with
// Retry-After when a test asked for rate limiting. The methods themselves live in methods-*.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { requireScope, SlackApiError } from './api-error.ts';
import { chatMethods } from './methods-chat.ts';
import { fileMethods } from './methods-files.ts';
import { viewMethods } from './methods-views.ts';
import { workspaceMethods } from './methods-workspace.ts';
import { parseArgs, readBody, type ApiArgs } from './request-body.ts';
import type { Method, MethodContext, MethodTable } from './method.ts';

/** One request the fake answered, for tests that count calls (e.g. reconnects). */
export interface ApiCall {
  method: string;
  args: ApiArgs;
  status: number;
  error?: string;
}

const METHODS: MethodTable = { ...workspaceMethods, ...chatMethods, ...viewMethods, ...fileMethods };

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  response.end(JSON.stringify(body));
}

function bearerToken(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
}

export class WebApi {
  readonly calls: ApiCall[] = [];
  private readonly rateLimits = new Map<string, { remaining: number; retryAfterSec: number }>();

  constructor(private readonly ctx: MethodContext) {}

  /** Answer the next `calls` requests to `method` with 429 and `Retry-After: retryAfterSec`. */
  rateLimit(method: string, calls: number, retryAfterSec: number): void {
    this.rateLimits.set(method, { remaining: calls, retryAfterSec });
  }

  async handle(methodName: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    let args: ApiArgs = {};
    // Slack names the token's scopes in a response header on every call it authenticated.
    const headers: Record<string, string> = {};
    try {
      args = await parseArgs(request.headers['content-type'], await readBody(request));
      const method = METHODS[methodName];
      if (method === undefined) throw new SlackApiError('unknown_method');
      const scopes = this.authorize(method, bearerToken(request), args);
      headers['x-oauth-scopes'] = scopes.join(',');
      if (method.scopes !== undefined) requireScope(scopes, method.scopes);
      const limit = this.rateLimits.get(methodName);
      if (limit !== undefined && limit.remaining > 0) {
        limit.remaining -= 1;
        this.calls.push({ method: methodName, args, status: 429, error: 'ratelimited' });
        sendJson(response, 429, { ok: false, error: 'ratelimited' }, { ...headers, 'retry-after': String(limit.retryAfterSec) });
        return;
      }
      const result = await method.run(args, this.ctx);
      this.calls.push({ method: methodName, args, status: 200 });
      sendJson(response, 200, { ok: true, ...result }, headers);
    } catch (error) {
      const failure = error instanceof SlackApiError ? error : new SlackApiError('internal_error', [String(error)]);
      this.calls.push({ method: methodName, args, status: 200, error: failure.code });
      const metadata = failure.messages.length > 0 ? { response_metadata: { messages: failure.messages } } : {};
      sendJson(response, 200, { ok: false, error: failure.code, ...failure.fields, ...metadata }, headers);
    }
  }

  /** The token's scopes, once it is known and of the kind the method takes. */
  private authorize(method: Method, header: string | undefined, args: ApiArgs): string[] {
    // Slack refuses an app-level token passed as a POST parameter (apps.connections.open takes it only as a Bearer token).
    const token = header ?? (method.token === 'bot' && typeof args.token === 'string' ? args.token : undefined);
    if (token === undefined || token === '') throw new SlackApiError('not_authed');
    const { botToken, appToken } = this.ctx.ws.seed;
    const kind = token === botToken ? 'bot' : token === appToken ? 'app' : undefined;
    if (kind === undefined) throw new SlackApiError('invalid_auth');
    if (kind !== method.token) throw new SlackApiError('not_allowed_token_type');
    return kind === 'bot' ? this.ctx.ws.seed.botScopes : this.ctx.ws.seed.appScopes;
  }
}
