/**
 * Processes the durable webhook inbox: one delivery at a time, oldest first. A delivery
 * is marked done only after its pipeline was synced; a failure leaves it in the inbox
 * with a growing delay, so a crash or an outage of GitLab or Slack loses nothing. Its
 * attempts are capped: past the cap it is parked as failed, logged at error, listed by
 * `portcullis inbox` and put back by `portcullis inbox retry KEY`; meanwhile the
 * reconciliation pass keeps every open request in step without it.
 */
import { VcsError } from '../gitlab/errors.ts';
import { parseDelivery } from '../gitlab/events.ts';
import type { BotDeps } from './deps.ts';
import { syncPipeline } from './sync.ts';

const IDLE_POLL_MS = 1000;
const MAX_BACKOFF_MS = 5 * 60_000;

/** Attempts before a delivery is parked as failed: with backoffMs, about an hour of retries. */
export const MAX_ATTEMPTS = 20;
/**
 * Attempts when GitLab refused (a 4xx: the pipeline is not in this project, the token may
 * not read it): trying unchanged will not help, and the few seconds these take only
 * cover GitLab answering before it has caught up with its own webhook.
 */
export const MAX_REFUSED_ATTEMPTS = 3;

/** How many attempts a delivery gets when its processing fails with `err`. */
export function attemptsAllowed(err: unknown): number {
  return err instanceof VcsError && err.code === 'GITLAB_REFUSED' ? MAX_REFUSED_ATTEMPTS : MAX_ATTEMPTS;
}

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
        const attempts = item.attempts + 1;
        const message = err instanceof Error ? err.message : String(err);
        const context = { err, pipelineId: event?.pipelineId, event: item.event, attempts };
        if (attempts >= attemptsAllowed(err)) {
          log.error(context, 'processing a webhook delivery failed for the last time; parked as failed (portcullis inbox lists it, portcullis inbox retry puts it back)');
          this.#deps.store.inbox.fail(item.seq, message);
        } else {
          const retryAt = new Date(this.#deps.now().getTime() + backoffMs(item.attempts));
          log.error({ ...context, retryAt }, 'processing a webhook delivery failed; will retry');
          this.#deps.store.inbox.retryLater(item.seq, message, retryAt);
        }
      }
    }
  }
}
