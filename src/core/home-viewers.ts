/**
 * Who opened their App Home since the bot started, least recent first: the Homes kept
 * current by pushes. Built once by main and handed to the core. In memory on purpose:
 * after a restart a Home is refreshed the next time it is opened, which is the moment its
 * owner looks at it.
 */

/** Home tabs kept current by pushes; the least recently opened are dropped first. */
export const MAX_VIEWERS = 500;

export class HomeViewers {
  readonly #users = new Set<string>();

  constructor(private readonly max = MAX_VIEWERS) {}

  /** `user` opened their Home now. */
  note(user: string): void {
    this.#users.delete(user);
    this.#users.add(user);
    for (const oldest of this.#users) {
      if (this.#users.size <= this.max) break;
      this.#users.delete(oldest);
    }
  }

  list(): string[] {
    return [...this.#users];
  }
}
