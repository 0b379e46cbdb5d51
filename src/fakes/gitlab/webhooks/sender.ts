/**
 * Delivers webhooks to project hooks with GitLab's headers, records every attempt, and
 * misbehaves on demand: duplicate (same Idempotency-Key), reorder (held until the next
 * delivery to the hook went out), delay, drop. A failed attempt (non-2xx, network error,
 * timeout) is retried with the same Idempotency-Key; after 4 consecutive failures the
 * hook is temporarily disabled, as GitLab does.
 */
import { randomUUID } from 'node:crypto';
import { request, type ClientRequest } from 'node:http';
import type { Timers } from '../timers.ts';

export type HookEvent = 'Pipeline Hook' | 'Job Hook';

export interface Hook {
  id: number;
  url: string;
  token: string | undefined;
  pipelineEvents: boolean;
  jobEvents: boolean;
  pushEvents: boolean;
  mergeRequestsEvents: boolean;
  uuid: string;
  createdAt: Date;
  consecutiveFailures: number;
  disabledUntil: Date | null;
}

export interface DeliveryRecord {
  hookId: number;
  event: HookEvent;
  idempotencyKey: string;
  eventUuid: string;
  /** 1 for the first attempt, then counting retries and resends. */
  attempt: number;
  /** The receiver's HTTP status; null when no answer came (network error, timeout). */
  status: number | null;
  error?: string;
  payload: unknown;
  sentAt: Date;
  /** Whether the attempt ended (answered, failed or timed out); GitLab logs a delivery only then. */
  finished: boolean;
}

export type WebhookFault = { kind: 'duplicate' } | { kind: 'drop' } | { kind: 'reorder' } | { kind: 'delay'; ms: number };

export interface FaultMatch {
  event?: HookEvent;
  /** object_attributes.status (pipeline) or build_status (job). */
  status?: string;
  /** build_name, for Job Hooks. */
  jobName?: string;
  /** How many matching deliveries the fault applies to (default 1). */
  times?: number;
}

export interface SenderOptions {
  timers: Timers;
  instanceUrl: string;
  /** GitLab's webhook timeout (default 10 s). */
  timeoutMs: number;
  /** Attempts per delivery, the first included. */
  maxAttempts: number;
  retryDelayMs: number;
}

interface Delivery {
  hook: Hook;
  event: HookEvent;
  idempotencyKey: string;
  eventUuid: string;
  payload: Record<string, unknown>;
  attempts: number;
}

const DISABLE_AFTER_FAILURES = 4;
const FIRST_DISABLE_MS = 60_000;
const MAX_DISABLE_MS = 24 * 3600_000;

export class WebhookSender {
  readonly hooks: Hook[] = [];
  private readonly records: DeliveryRecord[] = [];
  private readonly faults: Array<{ fault: WebhookFault; match: FaultMatch; left: number }> = [];
  private readonly held: Delivery[] = [];
  private readonly inFlight = new Set<ClientRequest>();

  constructor(private readonly options: SenderOptions) {}

  addHook(hook: Hook): void {
    this.hooks.push(hook);
  }

  injectFault(fault: WebhookFault, match: FaultMatch = {}): void {
    this.faults.push({ fault, match, left: match.times ?? 1 });
  }

  deliveries(): DeliveryRecord[] {
    return [...this.records];
  }

  /** One event, delivered to every hook that subscribed to it. */
  emit(event: HookEvent, payload: Record<string, unknown>): void {
    const eventUuid = randomUUID();
    for (const hook of this.hooks) {
      if (!(event === 'Pipeline Hook' ? hook.pipelineEvents : hook.jobEvents)) continue;
      if (isDisabled(hook)) continue;
      this.dispatch({ hook, event, idempotencyKey: randomUUID(), eventUuid, payload, attempts: 0 });
    }
  }

  /** GitLab's "Resend request": the same delivery again, same Idempotency-Key. */
  resend(record: DeliveryRecord): void {
    const hook = this.hooks.find((h) => h.id === record.hookId);
    if (!hook) throw new Error(`no hook ${record.hookId}`);
    const attempts = Math.max(...this.records.filter((r) => r.idempotencyKey === record.idempotencyKey).map((r) => r.attempt));
    void this.send({ hook, event: record.event, idempotencyKey: record.idempotencyKey, eventUuid: record.eventUuid, payload: record.payload as Record<string, unknown>, attempts });
  }

  close(): void {
    for (const req of this.inFlight) req.destroy();
    this.inFlight.clear();
  }

  private dispatch(delivery: Delivery): void {
    const fault = this.takeFault(delivery);
    if (fault?.kind === 'drop') return;
    if (fault?.kind === 'reorder') {
      this.held.push(delivery);
      return;
    }
    const go = () => {
      void this.send(delivery);
      if (fault?.kind === 'duplicate') void this.send(delivery);
      this.releaseHeld(delivery.hook);
    };
    if (fault?.kind === 'delay') this.options.timers.after(fault.ms, go);
    else go();
  }

  /** Held deliveries go out right after the next one to the same hook. */
  private releaseHeld(hook: Hook): void {
    const ready = this.held.filter((d) => d.hook === hook);
    for (const d of ready) {
      this.held.splice(this.held.indexOf(d), 1);
      this.options.timers.after(5, () => void this.send(d));
    }
  }

  private takeFault(d: Delivery): WebhookFault | undefined {
    const status = d.event === 'Pipeline Hook' ? (d.payload.object_attributes as { status?: string }).status : d.payload.build_status;
    const entry = this.faults.find(
      ({ match, left }) =>
        left > 0 &&
        (match.event === undefined || match.event === d.event) &&
        (match.status === undefined || match.status === status) &&
        (match.jobName === undefined || match.jobName === d.payload.build_name),
    );
    if (!entry) return undefined;
    entry.left -= 1;
    if (entry.left === 0) this.faults.splice(this.faults.indexOf(entry), 1);
    return entry.fault;
  }

  private async send(d: Delivery): Promise<void> {
    d.attempts += 1;
    const record: DeliveryRecord = {
      hookId: d.hook.id,
      event: d.event,
      idempotencyKey: d.idempotencyKey,
      eventUuid: d.eventUuid,
      attempt: d.attempts,
      status: null,
      payload: d.payload,
      sentAt: new Date(),
      finished: false,
    };
    this.records.push(record);
    const result = await this.post(d);
    record.finished = true;
    record.status = result.status;
    if (result.error) record.error = result.error;
    if (result.status !== null && result.status >= 200 && result.status < 300) {
      d.hook.consecutiveFailures = 0;
      return;
    }
    this.recordFailure(d.hook);
    if (d.attempts < this.options.maxAttempts && !isDisabled(d.hook)) {
      this.options.timers.after(this.options.retryDelayMs, () => void this.send({ ...d }));
    }
  }

  private recordFailure(hook: Hook): void {
    hook.consecutiveFailures += 1;
    const over = hook.consecutiveFailures - DISABLE_AFTER_FAILURES;
    if (over >= 0) hook.disabledUntil = new Date(Date.now() + Math.min(MAX_DISABLE_MS, FIRST_DISABLE_MS * 2 ** over));
  }

  private post(d: Delivery): Promise<{ status: number | null; error?: string }> {
    const body = JSON.stringify(d.payload);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'user-agent': 'GitLab/17.5.0',
      'x-gitlab-event': d.event,
      'x-gitlab-instance': this.options.instanceUrl,
      'x-gitlab-webhook-uuid': d.hook.uuid,
      'x-gitlab-event-uuid': d.eventUuid,
      'idempotency-key': d.idempotencyKey,
      ...(d.hook.token ? { 'x-gitlab-token': d.hook.token } : {}),
    };
    return new Promise((resolve) => {
      // A fresh connection per delivery: nothing is left open when the fake closes.
      const req = request(d.hook.url, { method: 'POST', headers, agent: false, timeout: this.options.timeoutMs }, (res) => {
        res.resume();
        res.on('end', () => finish({ status: res.statusCode ?? null }));
        res.on('error', (err) => finish({ status: res.statusCode ?? null, error: err.message }));
      });
      const finish = (result: { status: number | null; error?: string }) => {
        this.inFlight.delete(req);
        resolve(result);
      };
      this.inFlight.add(req);
      req.on('timeout', () => req.destroy(new Error(`timed out after ${this.options.timeoutMs} ms`)));
      req.on('error', (err) => finish({ status: null, error: err.message }));
      req.end(body);
    });
  }
}

function isDisabled(hook: Hook): boolean {
  return hook.disabledUntil !== null && hook.disabledUntil > new Date();
}

/** The fake only ever sends to loopback (127.0.0.0/8), whatever a test configures. */
export function isLoopbackUrl(url: string): boolean {
  try {
    const { hostname, protocol } = new URL(url);
    return protocol === 'http:' && /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
  } catch {
    return false;
  }
}
