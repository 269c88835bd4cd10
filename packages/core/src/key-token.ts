import { GraceError } from './errors.js';

/**
 * Which token of a sequence input is the query (and, for `last`/`prompt` replacement, where the value goes):
 * - `last` (default): each row's last real token, so padded batches work;
 * - `{ index }`: a fixed position; negative counts from each row's end (`-1` is the last token);
 * - `mean`: the mean over each row's real tokens is the query; replacement then treats the last token as the
 *   key token.
 */
export type KeyToken = 'last' | 'mean' | { readonly index: number };

/**
 * Row lengths of a `[B, T, ...]` batch: the caller's, checked to lie in [1, T], or T for every row.
 */
export function resolveLengths(
  batch: number,
  tokens: number,
  lengths: ArrayLike<number> | undefined,
): Int32Array {
  if (lengths === undefined) return new Int32Array(batch).fill(tokens);
  if (lengths.length !== batch) {
    throw new GraceError('SHAPE_MISMATCH', `lengths has ${lengths.length} entries for a batch of ${batch}`, {
      lengths: lengths.length,
      batch,
    });
  }
  const resolved = Int32Array.from(lengths);
  resolved.forEach((length, row) => {
    if (length < 1 || length > tokens || length !== lengths[row]) {
      throw new GraceError(
        'INVALID_ARGUMENT',
        `lengths[${row}] = ${lengths[row]} is outside [1, ${tokens}]`,
        {
          row,
          length: lengths[row],
          tokens,
        },
      );
    }
  });
  return resolved;
}

/** Each row's key token position, given its real length. */
export function keyTokenPositions(keyToken: KeyToken, lengths: Int32Array): Int32Array {
  if (keyToken === 'last' || keyToken === 'mean') return lengths.map((length) => length - 1);
  const { index } = keyToken;
  if (!Number.isInteger(index)) {
    throw new GraceError('INVALID_ARGUMENT', `key token index must be an integer, got ${index}`, { index });
  }
  return lengths.map((length, row) => {
    const position = index < 0 ? length + index : index;
    if (position < 0 || position >= length) {
      throw new GraceError(
        'INVALID_ARGUMENT',
        `key token index ${index} is outside row ${row} of length ${length}`,
        {
          index,
          row,
          length,
        },
      );
    }
    return position;
  });
}

/** Refuses anything that is not a {@link KeyToken}. */
export function validateKeyToken(keyToken: unknown): asserts keyToken is KeyToken {
  const valid =
    keyToken === 'last' ||
    keyToken === 'mean' ||
    (typeof keyToken === 'object' &&
      keyToken !== null &&
      Number.isInteger((keyToken as { index?: unknown }).index));
  if (!valid) {
    throw new GraceError('INVALID_ARGUMENT', "keyToken must be 'last', 'mean' or { index: integer }", {
      keyToken,
    });
  }
}
