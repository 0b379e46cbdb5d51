/**
 * The bot's Prometheus metrics (prom-client), served at GET /metrics. One registry, made
 * in main.ts and handed to what records into it: no module-level state. What the bot does
 * is counted where it already passes one door — the webhook door's outcomes, the audit log
 * (every decision, refusal, play and check is an audit entry), the ports to Slack, GitLab
 * and AWS (wrapped as a decorator, the core unaware) and the reconciler's passes — and
 * what it holds (inbox, open requests) is read from the store at each scrape.
 *
 * Every label has a small fixed set of values (an outcome, a method name, a refusal
 * code): no request id, user, group or URL ever becomes a label.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AuditEntry } from './core/ports.ts';
import type { WebhookOutcome } from './gitlab/webhook.ts';
import type { SqliteStore } from './store/index.ts';

export type Upstream = 'slack' | 'gitlab' | 'aws';

export class BotMetrics {
  readonly registry = new Registry();
  private readonly webhooks = new Counter({ name: 'portcullis_webhook_deliveries_total', help: 'GitLab webhook deliveries by result: stored, duplicate (deduplicated), ignored, other_project, unauthorized, too_large, malformed, ...', labelNames: ['result'], registers: [this.registry] });
  private readonly approvals = new Counter({ name: 'portcullis_approvals_total', help: 'Approvals recorded', registers: [this.registry] });
  private readonly refusals = new Counter({ name: 'portcullis_refusals_total', help: 'Refused Approve/Reject clicks by reason code', labelNames: ['reason'], registers: [this.registry] });
  private readonly plays = new Counter({ name: 'portcullis_jobs_played_total', help: 'Deploy jobs the bot played, by outcome', labelNames: ['outcome'], registers: [this.registry] });
  private readonly checks = new Counter({ name: 'portcullis_check_results_total', help: 'Post-deploy checks by check and outcome', labelNames: ['check', 'outcome'], registers: [this.registry] });
  private readonly audit = new Counter({ name: 'portcullis_audit_entries_total', help: 'Audit log entries by action and outcome', labelNames: ['action', 'outcome'], registers: [this.registry] });
  private readonly latency = new Histogram({ name: 'portcullis_upstream_request_duration_seconds', help: 'Calls to Slack, GitLab and AWS through the bot\'s ports, by service and operation', labelNames: ['service', 'operation'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [this.registry] });
  private readonly errors = new Counter({ name: 'portcullis_upstream_errors_total', help: 'Calls to Slack, GitLab and AWS that failed, by service and operation', labelNames: ['service', 'operation'], registers: [this.registry] });
  private lastReconcile: number;

  constructor(private readonly now: () => number = Date.now) {
    this.lastReconcile = now();
    collectDefaultMetrics({ register: this.registry, prefix: 'portcullis_' });
  }

  webhook(outcome: Pick<WebhookOutcome, 'result'>): void {
    this.webhooks.inc({ result: outcome.result });
  }

  /** Counts one audit entry by what it records. */
  audited(entry: AuditEntry): void {
    const [action = 'other', check] = entry.action.split(':');
    this.audit.inc({ action, outcome: entry.outcome });
    if (action === 'approve' && entry.outcome === 'ok') this.approvals.inc();
    if (action === 'refuse') this.refusals.inc({ reason: /^[a-z_]+(?=:)/.exec(entry.detail)?.[0] ?? 'other' });
    if (action === 'play') this.plays.inc({ outcome: entry.outcome });
    if (action === 'check') this.checks.inc({ check: check ?? 'other', outcome: entry.outcome });
  }

  reconciled(): void {
    this.lastReconcile = this.now();
  }

  /** The store's audit log, every entry also counted. */
  countingAudit(store: SqliteStore): SqliteStore {
    const record = store.audit.record.bind(store.audit);
    store.audit.record = (entry) => {
      record(entry);
      this.audited(entry);
    };
    return store;
  }

  /** A port whose every async call is timed, and counted when it fails. */
  instrument<T extends object>(service: Upstream, port: T): T {
    return new Proxy(port, {
      get: (target, key, receiver) => {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (typeof value !== 'function' || typeof key !== 'string') return value;
        return (...args: unknown[]) => {
          const result = (value as (...a: unknown[]) => unknown).apply(target, args);
          if (!(result instanceof Promise)) return result;
          const stop = this.latency.startTimer({ service, operation: key });
          return result.then(
            (v) => (stop(), v),
            (err: unknown) => {
              stop();
              this.errors.inc({ service, operation: key });
              throw err;
            },
          );
        };
      },
    });
  }

  /** What the bot holds, read from the store when scraped. */
  watchStore(store: SqliteStore): void {
    const registers = [this.registry];
    const now = this.now;
    new Gauge({
      name: 'portcullis_inbox_deliveries', help: 'Webhook deliveries not processed, by status (pending, failed)', labelNames: ['status'], registers,
      collect() {
        const entries = store.inbox.list();
        for (const status of ['pending', 'failed'] as const) this.set({ status }, entries.filter((e) => e.status === status).length);
      },
    });
    new Gauge({
      name: 'portcullis_inbox_oldest_pending_age_seconds', help: 'Age of the oldest delivery waiting to be processed (0 when none)', registers,
      collect() {
        const oldest = store.inbox.list().find((e) => e.status === 'pending');
        this.set(oldest ? Math.max(0, (now() - Date.parse(oldest.receivedAt)) / 1000) : 0);
      },
    });
    new Gauge({
      name: 'portcullis_open_requests', help: 'Requests not in a final state, by state', labelNames: ['state'], registers,
      collect() {
        this.reset();
        for (const r of store.requests.open()) this.inc({ state: r.state });
      },
    });
    const lastReconcile = () => this.lastReconcile;
    new Gauge({
      name: 'portcullis_reconcile_lag_seconds', help: 'Time since the last completed reconciliation pass (since start before the first)', registers,
      collect() {
        this.set((now() - lastReconcile()) / 1000);
      },
    });
  }

  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
