/** What one Web API method of the fake is: the token kind Slack accepts for it, and its handler. */
import type { ApiArgs } from './request-body.ts';
import type { SocketModeServer } from './socket-mode.ts';
import type { Workspace } from './state.ts';

export interface FakeUrls {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  http: string;
  /** `ws://127.0.0.1:PORT`, no trailing slash. */
  ws: string;
}

export interface MethodContext {
  ws: Workspace;
  sockets: SocketModeServer;
  urls: FakeUrls;
}

export type ApiResult = Record<string, unknown>;

export interface Method {
  /** Which kind of token Slack accepts for the method. */
  token: 'bot' | 'app';
  /** The scopes of which the token needs one (Slack answers `missing_scope` otherwise); none: any token of the kind. */
  scopes?: readonly string[];
  run(args: ApiArgs, ctx: MethodContext): ApiResult | Promise<ApiResult>;
}

export type MethodTable = Record<string, Method>;
