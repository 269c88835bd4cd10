import { GraceError } from './errors.js';
import { formatShape, type Shape, shapeSize, type Tensor } from './tensor.js';

/**
 * A float32 matrix `[rows, width]` on a backend that follows a host matrix which grows by appending and
 * changes row by row: a codebook's keys, values or radii. An edit appends one key or changes a radius or a
 * value, so bringing the copy up to date costs O(width) per written row, never a re-upload of every row: the
 * backend keeps spare capacity (growing it geometrically, by `grownCapacity`) and writes rows in place.
 *
 * A backend that computes on host memory may read the host's array itself instead of holding a copy (the cpu
 * backend does), so that a codebook is stored once; its `backendBytes` is then 0. The host must therefore not
 * change the array between a change and the `sync` that reports it while a kernel uses the tensor — which is
 * how a codebook is used anyway: edits and inference take turns.
 */
export interface RowMirror {
  /** Each row's shape, fixed at creation: `[Dk]` for keys, `[]` for radii. */
  readonly rowShape: Shape;
  /** Floats per row, the size of `rowShape`. */
  readonly width: number;
  /** Rows the mirror holds since the last `sync` (0 before the first). */
  readonly rows: number;
  /**
   * Bytes the backend holds for this mirror, spare capacity included; where it reads the host's array, only what
   * it keeps beside it (e.g. search data derived from the rows).
   */
  readonly backendBytes: number;
  /**
   * Makes the mirror equal `host`: `[rows * width]` row-major, the host matrix's whole used part (a live view
   * such as `GrowableRows.view()` is fine). Rows from the mirror's previous row count on are copied; rows below
   * it are copied only when listed in `changedRows` (duplicates and rows at or past the new row count are
   * ignored), or all of them with `'all'`. Fewer rows than before drop the last ones.
   *
   * Errors: `DTYPE_MISMATCH` when `host` is not a Float32Array; `SHAPE_MISMATCH` when its length is not a
   * multiple of `width`; `INVALID_ARGUMENT` for a changed row that is not a natural number; `DISPOSED_TENSOR`
   * after `dispose`. On an error the mirror is unchanged.
   */
  sync(host: Float32Array, changedRows: readonly number[] | 'all'): void;
  /**
   * The current `[rows, ...rowShape]` float32 tensor, for any kernel of the backend. It belongs to the mirror: never
   * dispose it. Valid until the next `sync` or `dispose`.
   */
  tensor(): Tensor<'float32'>;
  /** Frees the backend's copy. Idempotent. */
  dispose(): void;
}

/** What a {@link RowMirror.sync} must copy, as {@link planRowSync} works it out for every backend alike. */
export interface RowSyncPlan {
  /** Rows after the sync. */
  readonly rows: number;
  /** Copy every row (first sync, or `'all'`). */
  readonly copyAll: boolean;
  /** Rows below both the old and the new row count to copy, ascending, without duplicates. */
  readonly changedRows: readonly number[];
  /** First row of the appended block `[appendedFrom, rows)`, which is empty when `appendedFrom >= rows`. */
  readonly appendedFrom: number;
}

/**
 * Checks a mirror's row shape (natural-number dimensions, at least one float per row) and returns its width;
 * `INVALID_ARGUMENT` otherwise.
 */
export function rowMirrorWidth(rowShape: Shape): number {
  const valid =
    Array.isArray(rowShape) && rowShape.every((dimension) => Number.isInteger(dimension) && dimension >= 1);
  if (!valid) {
    throw new GraceError(
      'INVALID_ARGUMENT',
      `a row mirror's row shape must be a list of integers >= 1, got ${Array.isArray(rowShape) ? formatShape(rowShape) : String(rowShape)}`,
      { rowShape },
    );
  }
  return shapeSize(rowShape);
}

/**
 * Validates a sync's arguments and works out what to copy; throws before anything changes. `previousRows` is
 * the mirror's row count, or -1 before its first sync.
 */
export function planRowSync(
  width: number,
  previousRows: number,
  host: Float32Array,
  changedRows: readonly number[] | 'all',
): RowSyncPlan {
  if (!(host instanceof Float32Array)) {
    throw new GraceError('DTYPE_MISMATCH', 'a row mirror syncs from a Float32Array', {
      received: Object.prototype.toString.call(host),
    });
  }
  if (host.length % width !== 0) {
    throw new GraceError(
      'SHAPE_MISMATCH',
      `host data of length ${host.length} is not a whole number of rows of width ${width}`,
      { length: host.length, width },
    );
  }
  const rows = host.length / width;
  if (changedRows === 'all' || previousRows < 0) {
    if (changedRows !== 'all') validateChangedRows(changedRows);
    return { rows, copyAll: true, changedRows: [], appendedFrom: rows };
  }
  validateChangedRows(changedRows);
  const kept = Math.min(previousRows, rows);
  const changed = [...new Set(changedRows.filter((row) => row < kept))].sort((left, right) => left - right);
  return { rows, copyAll: false, changedRows: changed, appendedFrom: kept };
}

function validateChangedRows(changedRows: readonly number[]): void {
  if (!Array.isArray(changedRows)) {
    throw new GraceError('INVALID_ARGUMENT', "changedRows must be an array of row indices or 'all'", {});
  }
  for (const row of changedRows) {
    if (!Number.isInteger(row) || row < 0) {
      throw new GraceError('INVALID_ARGUMENT', `changed row ${String(row)} is not a natural number`, { row });
    }
  }
}
