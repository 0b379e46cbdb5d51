/**
 * Coded errors: input a person or a pipeline got wrong. Each subclass carries a stable
 * `code`; the message says what was being read and what is wrong with it, fit to show
 * as is. One handler (the CLI's main, later the bot's error handler) turns them into an
 * answer; anything else is a bug and travels on as one.
 */
export abstract class InputError extends Error {
  abstract readonly code: string;
}
