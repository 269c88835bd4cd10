/**
 * A float32 matrix of fixed width whose row count grows by appending, stored contiguously so the whole
 * matrix can be uploaded to a backend as one `[rows, width]` tensor without copying row by row.
 */
export class GrowableRows {
  readonly width: number;
  private buffer: Float32Array;
  private rowCount = 0;

  constructor(width: number, initialCapacityRows = 16) {
    this.width = width;
    this.buffer = new Float32Array(Math.max(1, initialCapacityRows) * Math.max(1, width));
  }

  get rows(): number {
    return this.rowCount;
  }

  /** A live view of the used part, `[rows * width]`; valid until the next append. Do not mutate. */
  view(): Float32Array {
    return this.buffer.subarray(0, this.rowCount * this.width);
  }

  /** A live view of one row; valid until the next append. */
  row(index: number): Float32Array {
    return this.buffer.subarray(index * this.width, (index + 1) * this.width);
  }

  /** Appends a copy of `values` (length `width`) and returns the new row's index. */
  append(values: ArrayLike<number>): number {
    const needed = (this.rowCount + 1) * this.width;
    if (needed > this.buffer.length) {
      const grown = new Float32Array(Math.max(needed, this.buffer.length * 2));
      grown.set(this.buffer.subarray(0, this.rowCount * this.width));
      this.buffer = grown;
    }
    this.buffer.set(values, this.rowCount * this.width);
    return this.rowCount++;
  }

  /** Overwrites one row with a copy of `values`. */
  write(index: number, values: ArrayLike<number>): void {
    this.buffer.set(values, index * this.width);
  }

  /** Drops the last row (used to undo an append). */
  removeLast(): void {
    if (this.rowCount > 0) this.rowCount--;
  }

  /** Drops every row, keeping the allocation. */
  clear(): void {
    this.rowCount = 0;
  }
}
