/**
 * A small method + path router for the fake's API. Patterns look like Grape's:
 * `/projects/:id/jobs/:job_id/artifacts/*artifact_path`. Matching works on the raw
 * (still percent-encoded) segments and decodes each captured value, so a project path
 * sent as `group%2Fapp` stays one segment, as GitLab treats it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { User } from '../model.ts';

export interface ApiRequest {
  method: string;
  /** Path below /api/v4, still encoded. */
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
  rawBody: Buffer;
  headers: IncomingHttpHeaders;
  user: User;
}

export type ApiResponse =
  | { status: number; json: unknown; headers?: Record<string, string> }
  | { status: number; text: string; contentType?: string; headers?: Record<string, string> }
  | { status: number; bytes: Buffer; contentType: string; headers?: Record<string, string> }
  | { status: 204 };

export type Handler = (req: ApiRequest) => ApiResponse | Promise<ApiResponse>;

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
}

export class Router {
  private readonly routes: Route[] = [];

  get(pattern: string, handler: Handler): this {
    return this.add('GET', pattern, handler);
  }
  post(pattern: string, handler: Handler): this {
    return this.add('POST', pattern, handler);
  }
  put(pattern: string, handler: Handler): this {
    return this.add('PUT', pattern, handler);
  }
  delete(pattern: string, handler: Handler): this {
    return this.add('DELETE', pattern, handler);
  }

  private add(method: string, pattern: string, handler: Handler): this {
    this.routes.push({ method, segments: pattern.split('/').filter(Boolean), handler });
    return this;
  }

  /** The handler and decoded params for a request, `undefined` when no route matches. */
  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | undefined {
    const parts = path.split('/').filter(Boolean);
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const params = matchSegments(route.segments, parts);
      if (params) return { handler: route.handler, params };
    }
    return undefined;
  }

  /** Whether any method serves this path (to answer 405 rather than 404). */
  knowsPath(path: string): boolean {
    const parts = path.split('/').filter(Boolean);
    return this.routes.some((r) => matchSegments(r.segments, parts) !== undefined);
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p.startsWith('*')) {
      const rest = parts.slice(i);
      if (rest.length === 0) return undefined;
      params[p.slice(1)] = rest.map(decode).join('/');
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (p.startsWith(':')) params[p.slice(1)] = decode(part);
    else if (p !== part) return undefined;
  }
  return parts.length === pattern.length ? params : undefined;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
