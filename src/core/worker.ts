/**
 * Processes the durable webhook inbox: one delivery at a time, oldest first. A delivery
 * is marked done only after its pipeline was synced; a failure leaves it in the inbox
 * with a growing delay, so a crash or an outage of GitLab or Slack loses nothing.
 */
import { parseDelivery } from '../gitlab/events.ts';
import type { BotDeps } from './deps.ts';
import { syncPipeline } from './sync.ts';

const IDLE_POLL_MS = 1000;
const MAX_BACKOFF_MS = 5 * 60_000;

export function backoffMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(attempts, 16));
}

export class InboxWorker {
  readonly #deps: BotDeps;
  #running = false;
  #wake: (() => void) | null = null;
  #loop: Promise<void> | null = null;

  constructor(deps: BotDeps) {
    this.#deps = deps;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Called when a delivery was stored: process it now rather than at the next poll. */
  wake(): void {
    this.#wake?.();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.wake();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const item = this.#deps.store.inbox.next(this.#deps.now());
      if (!item) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, IDLE_POLL_MS);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wake = null;
        continue;
      }
      const event = parseDelivery(item.event, item.body);
      // syncPipeline adds the pipeline and request ids to the lines it logs.
      const log = this.#deps.log.child({ deliveryId: item.key });
      try {
        if (event) await syncPipeline({ ...this.#deps, log }, event.pipelineId);
        else log.info({ event: item.event }, 'delivery is not one the bot follows; dropped');
        this.#deps.store.inbox.done(item.seq);
      } catch (err) {
        const retryAt = new Date(this.#deps.now().getTime() + backoffMs(item.attempts));
        log.error({ err, pipelineId: event?.pipelineId, attempts: item.attempts + 1, retryAt }, 'processing a webhook delivery failed; will retry');
        this.#deps.store.inbox.retryLater(item.seq, (err as Error).message, retryAt);
      }
    }
  }
}
