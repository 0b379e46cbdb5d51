/** A Web API failure, answered as Slack does: HTTP 200 `{ ok: false, error, response_metadata? }`. */
export class SlackApiError extends Error {
  constructor(
    readonly code: string,
    readonly messages: string[] = [],
    /** Further top-level fields of the refusal, e.g. `needed` and `provided` of `missing_scope`. */
    readonly fields: Record<string, string> = {},
  ) {
    super(messages.length > 0 ? `${code}: ${messages.join('; ')}` : code);
    this.name = 'SlackApiError';
  }
}

/** Slack's refusal of a token that holds none of the scopes a method (or a target of it) needs. */
export function requireScope(granted: readonly string[], anyOf: readonly string[]): void {
  if (anyOf.some((scope) => granted.includes(scope))) return;
  throw new SlackApiError('missing_scope', [], { needed: anyOf.join(','), provided: granted.join(',') });
}
