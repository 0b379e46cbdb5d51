/**
 * Errors the fake answers with. Handlers throw an AwsError carrying AWS's error code; the
 * server renders it in the envelope of the service that was called (see envelopes.ts).
 */

/**
 * HTTP status AWS uses per code; everything not listed is a 400 client error. EC2 answers
 * throttling with 503 and bad credentials with 401 (the SDK classifies retries by code, so
 * the status is for fidelity, not behaviour).
 */
const STATUS_BY_CODE: Record<string, number> = {
  AuthFailure: 401,
  InvalidClientTokenId: 403,
  RequestLimitExceeded: 503,
  InternalError: 500,
  InternalFailure: 500,
  ServiceUnavailable: 503,
};

export class AwsError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: string, message: string, status = STATUS_BY_CODE[code] ?? 400) {
    super(message);
    this.name = 'AwsError';
    this.code = code;
    this.status = status;
  }

  /** Server-side faults are `Receiver` errors in the awsQuery envelope, the rest `Sender`. */
  get faultType(): 'Sender' | 'Receiver' {
    return this.status >= 500 ? 'Receiver' : 'Sender';
  }
}

/** The message AWS gives for an injected fault code; unknown codes get a generic one. */
export function faultError(code: string): AwsError {
  const messages: Record<string, string> = {
    RequestLimitExceeded: 'Request limit exceeded.',
    Throttling: 'Rate exceeded',
    AuthFailure: 'AWS was not able to validate the provided access credentials',
    InternalError: 'An internal error has occurred',
  };
  return new AwsError(code, messages[code] ?? `Injected fault ${code}`);
}

/** Anything else thrown while answering is a bug of the fake: report it as EC2's InternalError. */
export function asAwsError(error: unknown): AwsError {
  if (error instanceof AwsError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AwsError('InternalError', `fake AWS failed while answering: ${message}`, 500);
}
