import type { ExactNearest } from './exact-nearest-key.js';

/**
 * An exact nearest-key index for the codebook's host search: every edit's decision, `Codebook.nearest` and
 * rollback's replay. The codebook keeps it current row by row (the same `update` contract as
 * `PivotKeyIndex.update`) and asks it first; an index may decline a query (`null`), which the codebook then
 * answers by its own exact search. Whatever it answers must be the brute-force reference's answer bit for bit:
 * the smallest exact squared distance (`exactSquaredDistance`, float64 in dimension order), ties to the lowest
 * index.
 */
export interface HostKeyIndex {
  /** Bytes held, spare capacity included (`Codebook.hostBytes` counts them). */
  readonly bytes: number;
  /**
   * Follows `keys` (`[rows * D]` row-major, the whole used part): rows from the previous row count on are new,
   * rows below it are recomputed when listed in `changedRows` (or all with `'all'`), fewer rows than before drop
   * the last ones.
   */
  update(keys: Float32Array, changedRows: readonly number[] | 'all'): void;
  /**
   * The exact nearest key of `query [D]` among the `keys` it was last updated with, or `null` to leave the query
   * to the caller (too few keys, a key or query that is not finite, anything the index cannot bound).
   */
  nearest(query: Float32Array, keys: Float32Array): ExactNearest | null;
}

/** Makes one codebook state's index for keys of `width` floats, or `null` where none can run (no WebAssembly). */
export type HostKeyIndexFactory = (width: number) => HostKeyIndex | null;
