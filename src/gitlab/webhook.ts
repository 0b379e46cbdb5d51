/**
 * The HTTP side of GitLab webhooks, for a node:http server: authenticate, bound the body,
 * store the delivery in the inbox, answer. Nothing else happens in the request: the
 * worker reads the inbox, so GitLab gets its answer in milliseconds and a crash after the
 * answer loses nothing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InboxDelivery, Store } from '../core/ports.ts';
import { deliveryProject, hookName, projectMatch, type DeliveryProject } from './events.ts';

export interface WebhookOptions {
  /** GITLAB_WEBHOOK_SECRET: the X-Gitlab-Token every delivery must carry. */
  secret: string;
  /**
   * GITLAB_PROJECT, a numeric id or a path: a delivery that names another project is
   * answered 200 (GitLab disables a hook that gets 4xx) and not stored. One whose body
   * cannot be compared (no id when an id is configured, no path when a path is) is stored.
   */
  project: number | string;
  /** Where deliveries are stored, group-committed. */
  inbox: InboxBatcher;
  /** Called after a new delivery was stored, to wake the worker. */
  onStored?: () => void;
  /** Told what became of each request, for a log line (a store failure carries its error). */
  onOutcome?: (outcome: WebhookOutcome) => void;
  /** Largest body accepted (default 1 MiB). */
  maxBytes?: number;
  now?: () => Date;
}

/** What became of one request, for the caller's log line. */
export type WebhookOutcome =
  | { result: 'stored' | 'duplicate'; status: 200; event: string; key: string }
  | { result: 'ignored'; status: 200; event: string | undefined }
  | { result: 'other_project'; status: 200; event: string; project: DeliveryProject }
  | { result: 'method_not_allowed' | 'unauthorized' | 'too_large' | 'malformed'; status: 405 | 401 | 413 | 400 }
  | { result: 'aborted'; status: null }
  | { result: 'store_failed'; status: 500; error: unknown };

export const DEFAULT_MAX_BYTES = 1024 * 1024;

export async function handleGitLabWebhook(req: IncomingMessage, res: ServerResponse, options: WebhookOptions): Promise<void> {
  // Not `onOutcome?.(await handle(...))`: an optional call skips evaluating its argument.
  const outcome = await handle(req, res, options);
  options.onOutcome?.(outcome);
}

async function handle(req: IncomingMessage, res: ServerResponse, options: WebhookOptions): Promise<WebhookOutcome> {
  const { secret, project, inbox, onStored, maxBytes = DEFAULT_MAX_BYTES, now = () => new Date() } = options;

  if (req.method !== 'POST') {
    refuse(res, 405, '405 Method Not Allowed', { allow: 'POST' });
    return { result: 'method_not_allowed', status: 405 };
  }
  // Before a single byte of the body is read.
  if (!sameSecret(req.headers['x-gitlab-token'], secret)) {
    refuse(res, 401, '401 Unauthorized');
    return { result: 'unauthorized', status: 401 };
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) {
    // From an authenticated sender: the rest of its upload is read and dropped (the server's
    // request timeout bounds it), so it sees the 413 instead of a connection reset mid-send.
    answer(res, 413, { message: `413 Payload Too Large - at most ${maxBytes} bytes` });
    return { result: 'too_large', status: 413 };
  }
  const body = await readBody(req, maxBytes);
  if (body === 'aborted') return { result: 'aborted', status: null };
  if (body === 'too_large') {
    req.resume();
    answer(res, 413, { message: `413 Payload Too Large - at most ${maxBytes} bytes` });
    return { result: 'too_large', status: 413 };
  }

  const text = body.toString('utf8');
  const parsed = parseObject(text);
  if (!parsed.ok) {
    answer(res, 400, { message: '400 Bad request - the body is not a JSON object' });
    return { result: 'malformed', status: 400 };
  }
  const eventHeader = header(req, 'x-gitlab-event');
  const event = hookName(eventHeader, (parsed.json as { object_kind?: unknown }).object_kind);
  if (event === null) {
    // GitLab counts 4xx as failures and disables the hook: an event we do not use gets 200.
    answer(res, 200, { status: 'ignored' });
    return { result: 'ignored', status: 200, event: eventHeader };
  }
  const delivered = deliveryProject(parsed.json);
  if (projectMatch(project, delivered) === 'other') {
    // Not this gate's project: stored, it would be retried against a pipeline our project does not have.
    answer(res, 200, { status: 'ignored' });
    return { result: 'other_project', status: 200, event, project: delivered };
  }

  const key = header(req, 'idempotency-key') ?? header(req, 'x-gitlab-event-uuid') ?? createHash('sha256').update(body).digest('hex');
  let added: boolean;
  try {
    added = await inbox.add({ key, event, body: text, receivedAt: now().toISOString() });
  } catch (error) {
    // Not stored, so not handled: a 5xx makes GitLab send it again.
    answer(res, 500, { message: '500 Internal Server Error - the delivery could not be stored' });
    return { result: 'store_failed', status: 500, error };
  }
  answer(res, 200, { status: added ? 'stored' : 'duplicate' });
  if (added) onStored?.();
  return { result: added ? 'stored' : 'duplicate', status: 200, event, key };
}

/**
 * Group commit: the deliveries whose bodies finished arriving in one turn of the event
 * loop are stored in one transaction, and each is answered only after that commit. A
 * delivery still gets its 2xx only once it is durable; under load the commits, which are
 * what a delivery costs, are shared.
 */
export class InboxBatcher {
  #pending: Array<{ delivery: InboxDelivery; resolve: (added: boolean) => void; reject: (err: unknown) => void }> = [];
  #scheduled = false;

  constructor(private readonly inbox: Pick<Store['inbox'], 'addMany'>) {}

  add(delivery: InboxDelivery): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ delivery, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    const batch = this.#pending;
    this.#pending = [];
    this.#scheduled = false;
    try {
      const added = this.inbox.addMany(batch.map((b) => b.delivery));
      batch.forEach((b, i) => b.resolve(added[i] === true));
    } catch (err) {
      for (const b of batch) b.reject(err);
    }
  }
}

/** Compares digests, so the comparison takes the same time whatever the lengths. */
function sameSecret(presented: string | string[] | undefined, secret: string): boolean {
  if (typeof presented !== 'string') return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(secret));
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The body, counted as it streams in: it stops collecting past `maxBytes`. */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | 'too_large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: Buffer | 'too_large' | 'aborted') => {
      req.off('data', onData).off('end', onEnd).off('error', onAbort).off('aborted', onAbort);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) finish('too_large');
      else chunks.push(chunk);
    };
    const onEnd = () => finish(Buffer.concat(chunks));
    const onAbort = () => finish('aborted');
    req.on('data', onData).on('end', onEnd).on('error', onAbort).on('aborted', onAbort);
  });
}

/** A body that is a JSON object; not ok for anything else. */
function parseObject(text: string): { ok: true; json: object } | { ok: false } {
  try {
    const json: unknown = JSON.parse(text);
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false };
    return { ok: true, json };
  } catch {
    return { ok: false };
  }
}

function answer(res: ServerResponse, status: number, json: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(json);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers }).end(body);
}

/**
 * An answer before the body was read (or all of it): the connection is closed after it,
 * so Node discards the rest of the upload instead of keeping the socket for another request.
 */
function refuse(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  answer(res, status, { message }, { connection: 'close', ...headers });
}
