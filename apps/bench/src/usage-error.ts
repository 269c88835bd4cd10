/**
 * A mistake on the command line (unknown benchmark, backend or option, a malformed number). The CLI prints
 * its message with the help text and exits with code 2, the conventional "usage" status, so scripts can
 * tell a typo from a benchmark that failed (code 1).
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
