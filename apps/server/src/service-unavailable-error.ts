/**
 * The server cannot do this now, but may soon: the HTTP layer answers 503 with `Retry-After` and the
 * documented `{ error, field, message }` body, never an internal name.
 */
export class ServiceUnavailableError extends Error {
  override readonly name = 'ServiceUnavailableError';
  readonly code: string;
  /** Seconds a client should wait before retrying. */
  readonly retryAfterSeconds: number;
  /** Further response headers (e.g. where to go instead). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: string,
    message: string,
    retryAfterSeconds = 1,
    headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
    this.headers = headers;
  }
}
