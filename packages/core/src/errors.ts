/**
 * Every failure the library reports on purpose is a {@link GraceError} with a stable `code`, so callers can
 * branch on the code rather than parse messages, and so tests can prove that each kind of bad input is
 * refused for its own reason.
 */
export type GraceErrorCode =
  // Arguments of kernels and public functions.
  | 'SHAPE_MISMATCH'
  | 'EMPTY_BATCH'
  | 'NON_FINITE'
  | 'INVALID_ARGUMENT'
  | 'DTYPE_MISMATCH'
  | 'FOREIGN_TENSOR'
  | 'DISPOSED_TENSOR'
  // Codebook state.
  | 'UNKNOWN_EDIT'
  | 'EDIT_IN_PROGRESS'
  | 'EDIT_NOT_PENDING'
  // Codebook files.
  | 'FILE_TRUNCATED'
  | 'FILE_HEADER_INVALID'
  | 'FILE_VERSION_UNSUPPORTED'
  | 'FILE_DIMS_MISMATCH'
  | 'FILE_NON_FINITE'
  | 'FILE_CHECKSUM_MISMATCH'
  | 'FILE_CONTENT_INVALID'
  // Suffix graphs.
  | 'GRAPH_INVALID'
  | 'UNSUPPORTED_OP'
  // Backends.
  | 'BACKEND_UNAVAILABLE'
  | 'BACKEND_FAILURE';

/** Extra facts about a failure: the offending value, the expected shape, the field name. */
export type GraceErrorDetails = Readonly<Record<string, unknown>>;

/** The one error type of the library. `code` is part of the public API; messages may change. */
export class GraceError extends Error {
  override readonly name = 'GraceError';
  readonly code: GraceErrorCode;
  readonly details: GraceErrorDetails;

  constructor(
    code: GraceErrorCode,
    message: string,
    details: GraceErrorDetails = {},
    options?: ErrorOptions,
  ) {
    super(`[${code}] ${message}`, options);
    this.code = code;
    this.details = details;
  }
}

/** Narrows an unknown thrown value to a GraceError, optionally of one code. */
export function isGraceError(value: unknown, code?: GraceErrorCode): value is GraceError {
  return value instanceof GraceError && (code === undefined || value.code === code);
}
