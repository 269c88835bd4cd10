import type { GrowableRows } from './growable-rows.js';

/**
 * The squared norms `‖k‖²` of a {@link GrowableRows} store's rows (float64, dimension order), kept up to date by
 * recomputing only the rows the store's journal says were written since the last call: O(width) per edit instead
 * of O(N·width). A different store object (a rollback builds a new one) or a journal that no longer reaches back
 * recomputes every row.
 */
export class RowNormCache {
  private store: GrowableRows | null = null;
  private revision = 0;
  private norms = new Float64Array(0);

  /** `[rows]`: the current squared norms; a live array, valid until the next call. Do not mutate. */
  squaredNorms(store: GrowableRows): Float64Array {
    const rows = store.rows;
    const written = this.store === store ? store.rowsWrittenSince(this.revision) : null;
    if (this.norms.length < rows) {
      const grown = new Float64Array(Math.max(rows, Math.ceil(this.norms.length * 1.25)));
      grown.set(this.norms);
      this.norms = grown;
    }
    const data = store.view();
    if (written === null) {
      for (let row = 0; row < rows; row++) this.norms[row] = squaredNorm(data, row, store.width);
    } else {
      for (const row of written) if (row < rows) this.norms[row] = squaredNorm(data, row, store.width);
    }
    this.store = store;
    this.revision = store.revision;
    return this.norms.subarray(0, rows);
  }
}

/** `Σ x²` of one row, float64, dimension order. */
export function squaredNorm(data: ArrayLike<number>, row: number, width: number): number {
  const offset = row * width;
  let sum = 0;
  for (let column = 0; column < width; column++) {
    const value = data[offset + column] as number;
    sum += value * value;
  }
  return sum;
}
