/**
 * Runs tasks for the same key one after another (a request id): a webhook being
 * processed, a reconciliation pass and an Approve click for one request never
 * interleave their reads and writes. Different keys run concurrently. In-process only;
 * across replicas the store's compare-and-set transitions are what serialise.
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}
