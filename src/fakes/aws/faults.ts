/**
 * Faults scripted by tests through the driver: the next N calls of an action fail with a
 * given AWS error code, or the next call is held back for some milliseconds.
 */
import { AwsError, faultError } from './errors.ts';

export class FaultPlan {
  private readonly failures = new Map<string, { code: string; remaining: number }>();
  private readonly delays = new Map<string, number>();

  /** The next `times` calls of `action` answer `code` (e.g. RequestLimitExceeded, AuthFailure, InternalError). */
  failNext(action: string, code: string, times = 1): void {
    if (!Number.isInteger(times) || times < 1) throw new Error(`failNext needs a positive number of times, got ${times}`);
    this.failures.set(action, { code, remaining: times });
  }

  /** The next call of `action` is answered only after `ms` milliseconds. */
  delayNext(action: string, ms: number): void {
    this.delays.set(action, ms);
  }

  /** Consumes what is scripted for this call of `action`. */
  take(action: string): { delayMs: number; error?: AwsError } {
    const delayMs = this.delays.get(action) ?? 0;
    this.delays.delete(action);
    const failure = this.failures.get(action);
    if (!failure) return { delayMs };
    failure.remaining -= 1;
    if (failure.remaining === 0) this.failures.delete(action);
    return { delayMs, error: faultError(failure.code) };
  }
}
