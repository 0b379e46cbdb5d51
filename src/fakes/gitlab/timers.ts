/**
 * Every timer the fake starts goes through here, so close() can stop them all and the
 * process that started the fake exits on its own.
 */
export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();
  private readonly sleepers = new Set<() => void>();
  private closed = false;

  after(ms: number, fn: () => void): void {
    if (this.closed) return;
    const handle = setTimeout(() => {
      this.pending.delete(handle);
      fn();
    }, ms);
    this.pending.add(handle);
  }

  /** Resolves after `ms`, or at once with `false` when the fake closes meanwhile. */
  sleep(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const wake = () => {
        this.sleepers.delete(wake);
        resolve(false);
      };
      this.sleepers.add(wake);
      this.after(ms, () => {
        this.sleepers.delete(wake);
        resolve(true);
      });
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.closed = true;
    for (const handle of this.pending) clearTimeout(handle);
    this.pending.clear();
    for (const wake of [...this.sleepers]) wake();
  }
}
