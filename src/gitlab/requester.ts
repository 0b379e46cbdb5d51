/**
 * The HTTP layer under gitbeaker, replaced to bound how long a GitLab call can take.
 *
 * Why: @gitbeaker/rest's own request handler retries every 429 and 502 up to ten times,
 * whatever the method (its packages/rest/src/Requester.ts). A retried POST /play can
 * run a deploy twice, and the retry loop can hold a Slack-facing click for a long time.
 * gitbeaker offers no retry option, only the `requesterFn` constructor option; so we
 * build a requester with gitbeaker's own `createRequesterFn` (it keeps its option
 * handling: auth header, decamelized JSON bodies, query strings) around this handler:
 *
 * - reads (GET) are retried `readRetries` times after 429, 5xx or a network error, with a
 *   short doubling backoff (Retry-After honoured up to `maxDelayMs`);
 * - writes (POST, PUT, PATCH, DELETE) are sent once: a 429 or 5xx on "play" is reported
 *   to the caller, who tells the person; nothing is replayed behind their back;
 * - the time limit is gitbeaker's `queryTimeout`, one AbortSignal per API call that
 *   covers every page and every retry, so a call never outlasts it; backoff sleeps are
 *   cut short by it too.
 *
 * gitbeaker's client-side rate limiter (3000 requests/min) is left out: the bot makes a
 * handful of calls per event and GitLab's 429 is the limit that matters.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createRequesterFn,
  type FormattedResponse,
  type RequestOptions,
  type RequesterType,
  type ResourceOptions,
  type ResponseBodyTypes,
} from '@gitbeaker/requester-utils';
import { GitLabHttpFailure } from './errors.ts';

export interface RequestPolicy {
  /** The time limit of one API call; gitbeaker's `queryTimeout` must be set to the same. */
  timeoutMs: number;
  /** Extra attempts for a read after 429, 5xx or a network error. Writes get none. */
  readRetries: number;
  /** The first backoff; it doubles with each retry. */
  baseDelayMs: number;
  /** The longest wait between two attempts, Retry-After included. */
  maxDelayMs: number;
}

export interface RetryNotice {
  method: string;
  endpoint: string;
  /** The attempt about to be made, 2 for the first retry. */
  attempt: number;
  status: number | null;
  reason: string;
  delayMs: number;
}

export function boundedRequesterFn(policy: RequestPolicy, onRetry?: (notice: RetryNotice) => void): (options: ResourceOptions) => RequesterType {
  return createRequesterFn(
    async (_service, options) => options,
    (endpoint, options) => send(endpoint, (options ?? {}) as RequestOptions, policy, onRetry),
  );
}

async function send(endpoint: string, options: RequestOptions, policy: RequestPolicy, onRetry?: (notice: RetryNotice) => void): Promise<FormattedResponse> {
  const { prefixUrl = '', searchParams, method = 'GET', asStream = false, signal, headers, body } = options;
  const url = new URL(endpoint, prefixUrl.endsWith('/') ? prefixUrl : `${prefixUrl}/`);
  url.search = searchParams ?? '';
  const retries = method === 'GET' ? policy.readRetries : 0;

  for (let attempt = 1; ; attempt += 1) {
    let failure: GitLabHttpFailure;
    let retryAfterMs: number | undefined;
    try {
      const response = await fetch(url, { method, headers, body, signal });
      if (response.ok) return await parseResponse(response, asStream);
      failure = await failureOf(response);
      retryAfterMs = retryAfter(response.headers.get('retry-after'));
    } catch (err) {
      if (err instanceof GitLabHttpFailure) throw err;
      throw transportFailure(err, signal, policy.timeoutMs);
    }
    if (attempt > retries || !isTransient(failure.status)) throw failure;

    const delayMs = Math.min(retryAfterMs ?? policy.baseDelayMs * 2 ** (attempt - 1), policy.maxDelayMs);
    onRetry?.({ method, endpoint, attempt: attempt + 1, status: failure.status, reason: failure.description, delayMs });
    try {
      await sleep(delayMs, undefined, { signal });
    } catch (err) {
      throw transportFailure(err, signal, policy.timeoutMs);
    }
  }
}

function isTransient(status: number | null): boolean {
  return status === null || status === 429 || status >= 500;
}

/** The same body handling as gitbeaker's: JSON parsed, text/* as a string, else a Blob. */
async function parseResponse(response: Response, asStream: boolean): Promise<FormattedResponse> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => (headers[name] = value));
  const { status } = response;
  if (asStream) return { body: response.body as ResponseBodyTypes, headers, status };
  if (status === 204) return { body: null, headers, status };
  const contentType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
  if (contentType === 'application/json') return { body: ((await response.json()) as ResponseBodyTypes) || {}, headers, status };
  if (contentType.startsWith('text/')) return { body: await response.text(), headers, status };
  return { body: await response.blob(), headers, status };
}

/** GitLab's message: `message` or `error` of a JSON body, else the body text, else the status text. */
async function failureOf(response: Response): Promise<GitLabHttpFailure> {
  const text = (await response.text()).trim();
  let description = text;
  try {
    const json = JSON.parse(text) as { message?: unknown; error?: unknown } | null;
    const said = json?.message ?? json?.error;
    if (said !== undefined) description = typeof said === 'string' ? said : JSON.stringify(said);
  } catch {
    // Not JSON (a 429's "Retry later", a proxy's HTML page): the text is the message.
  }
  return new GitLabHttpFailure(response.status, description || response.statusText);
}

function transportFailure(err: unknown, signal: AbortSignal | undefined, timeoutMs: number): GitLabHttpFailure {
  if (signal?.aborted) return new GitLabHttpFailure(null, `no answer from GitLab within ${timeoutMs} ms`);
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return new GitLabHttpFailure(null, `cannot reach GitLab: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
}

/** Retry-After in seconds (the HTTP-date form is not used by GitLab). */
function retryAfter(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value) * 1000;
}
