/**
 * The rate limit of `/check-services`, per group: one run at a time, and a new run at the
 * earliest `intervalMs` after the last one started. Every run probes every public member
 * of the group and calls AWS, so anyone in the workspace typing the command in a loop
 * must not turn the bot into a scanner. A refused run is refused (the caller says why),
 * never queued. Built once in main.ts and handed to the listener: no module-level state.
 */

export type CheckStart =
  | { ok: true; release(): void }
  | { ok: false; reason: 'running'; startedAt: number; user: string }
  | { ok: false; reason: 'too_soon'; retryAt: number; waitMs: number; intervalMs: number };

export interface CheckServicesLimiterOptions {
  /** Least time between the starts of two runs of the same group. */
  intervalMs: number;
  /** Milliseconds since the epoch (tests move it). */
  now?: () => number;
}

export class CheckServicesLimiter {
  private readonly running = new Map<string, { startedAt: number; user: string }>();
  private readonly lastStart = new Map<string, number>();
  readonly intervalMs: number;
  private readonly now: () => number;

  constructor(options: CheckServicesLimiterOptions) {
    if (!Number.isFinite(options.intervalMs) || options.intervalMs < 0) throw new RangeError('intervalMs must be a non-negative number');
    this.intervalMs = options.intervalMs;
    this.now = options.now ?? Date.now;
  }

  /** Claims the group's run for `user`, or says why not; `release()` once the run is over (idempotent). */
  tryStart(group: string, user: string): CheckStart {
    const now = this.now();
    const current = this.running.get(group);
    if (current) return { ok: false, reason: 'running', ...current };
    const last = this.lastStart.get(group);
    if (last !== undefined && now - last < this.intervalMs) return { ok: false, reason: 'too_soon', retryAt: last + this.intervalMs, waitMs: last + this.intervalMs - now, intervalMs: this.intervalMs };
    this.running.set(group, { startedAt: now, user });
    this.lastStart.set(group, now);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.running.delete(group);
      },
    };
  }
}
