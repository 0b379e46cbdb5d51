/**
 * Coded errors, in two families that callers tell apart by class, never by message:
 *
 * - `InputError`: what a person, a file or a pipeline gave is wrong (a bad option, a file
 *   that is not JSON, an unknown group). Fixing the input fixes it; the CLI exits 2.
 * - `UpstreamError`: a service Portcullis depends on (AWS, GitLab, Slack) failed or did
 *   not answer, after the retries its client makes. The same call may work later; the CLI
 *   exits 3.
 *
 * Each subclass carries a stable `code`; the message says what was being done and what
 * went wrong, fit to show as is; the underlying error travels as `cause`. Anything that is
 * neither is a bug and travels on as one.
 */
export abstract class InputError extends Error {
  abstract readonly code: string;
}

export abstract class UpstreamError extends Error {
  abstract readonly code: string;
}
