/**
 * The work the bot has started and not finished, counted by kind, so that a stop can wait
 * for it — within a bound — once nothing new is taken. What a stop cuts short is safe to
 * cut (the inbox keeps its delivery, a lost play waits for approval again); waiting only
 * spares a person a retried click and the bot a repeated sync.
 */
export class InFlight {
  readonly #running = new Map<string, number>();
  readonly #idleWaiters = new Set<() => void>();

  /** Runs `work`, counted as `kind` until it settles. */
  async run<T>(kind: string, work: () => Promise<T>): Promise<T> {
    this.#running.set(kind, (this.#running.get(kind) ?? 0) + 1);
    try {
      return await work();
    } finally {
      const left = (this.#running.get(kind) ?? 1) - 1;
      if (left > 0) this.#running.set(kind, left);
      else this.#running.delete(kind);
      if (this.#running.size === 0) for (const wake of this.#idleWaiters) wake();
    }
  }

  /** What still runs, one entry per kind with its count: `["Slack event ×2", "inbox worker"]`. */
  running(): string[] {
    return [...this.#running].map(([kind, n]) => (n > 1 ? `${kind} ×${n}` : kind));
  }

  /** Resolves true once nothing runs, false if `timeoutMs` passes first. */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.#running.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (drained: boolean) => {
        clearTimeout(timer);
        this.#idleWaiters.delete(wake);
        resolve(drained);
      };
      const wake = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.#idleWaiters.add(wake);
    });
  }
}
