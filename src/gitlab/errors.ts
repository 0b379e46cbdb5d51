/**
 * The one error the GitLab adapter throws. Its stable `code` tells the caller what to do
 * about it; its message names the action and carries GitLab's own words, fit to show to
 * the person who clicked ("playing job 42: 400 Bad request - Unplayable Job").
 */
import { UpstreamError } from '../domain/errors.ts';

/**
 * GITLAB_REFUSED: GitLab answered and said no (4xx other than 429: unplayable job,
 * forbidden, SHA mismatch). Trying again unchanged will not help.
 * GITLAB_UNAVAILABLE: no usable answer (5xx, 429, network error, timeout). The same call
 * may work later; writes were not retried blindly, so the caller decides.
 */
export type VcsErrorCode = 'GITLAB_REFUSED' | 'GITLAB_UNAVAILABLE';

export class VcsError extends UpstreamError {
  override readonly name = 'VcsError';

  constructor(
    readonly code: VcsErrorCode,
    /** GitLab's HTTP status, or null when no answer came. */
    readonly status: number | null,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * What the requester throws for one failed HTTP exchange, before the client knows which
 * action it belonged to. It deliberately keeps no Request object: gitbeaker's errors
 * hold the request, and with it the PRIVATE-TOKEN header, which a logger could print.
 */
export class GitLabHttpFailure extends Error {
  override readonly name = 'GitLabHttpFailure';

  constructor(
    readonly status: number | null,
    /** GitLab's message ("400 Bad request - Unplayable Job") or what went wrong on the way. */
    readonly description: string,
  ) {
    super(description);
  }
}

/** Turns a failure of `action` ("playing job 42") into the VcsError the port promises. */
export function toVcsError(action: string, err: unknown, secrets: readonly string[]): unknown {
  if (!(err instanceof GitLabHttpFailure)) return err;
  const { status, description } = err;
  const code = status !== null && status >= 400 && status < 500 && status !== 429 ? 'GITLAB_REFUSED' : 'GITLAB_UNAVAILABLE';
  const said = status === null || description.startsWith(String(status)) ? description : `${status} ${description}`;
  return new VcsError(code, status, redact(`${action}: ${said}`, secrets), { cause: err });
}

/** The text with every secret in it masked. */
export function redact(text: string, secrets: readonly string[]): string {
  return secrets.reduce((out, secret) => (secret === '' ? out : out.split(secret).join('[redacted]')), text);
}
