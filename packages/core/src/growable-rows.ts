/**
 * How much a growing row store enlarges its allocation when full: by a quarter, so that spare capacity never
 * exceeds 25% of what is stored (codebooks are memory-bound at 100,000 keys × 768) while an append still costs
 * amortised O(width): each element is copied at most 1 / 0.25 = 4 times over the store's life.
 */
export const rowGrowthFactor = 1.25;

/** Rows allocated at first, so that small codebooks do not regrow at every one of their first appends. */
export const minimumCapacityRows = 16;

/**
 * The capacity, in rows, that holds `neededRows` when `currentRows` are allocated: unchanged when they fit,
 * else grown by {@link rowGrowthFactor} (or to exactly what is needed, if that is more).
 */
export function grownCapacity(currentRows: number, neededRows: number): number {
  if (neededRows <= currentRows) return currentRows;
  return Math.max(neededRows, minimumCapacityRows, Math.ceil(currentRows * rowGrowthFactor));
}

/** Journal entries kept; a reader that fell further behind than this resynchronises everything. */
const journalLimit = 4096;

/**
 * A float32 matrix of fixed width whose row count grows by appending, stored contiguously so the whole
 * matrix can be handed to a backend as one `[rows, width]` tensor without copying row by row.
 *
 * Every append and write is numbered (`revision`) and journaled by row index, so that a backend copy can be
 * brought up to date by copying only the rows written since it last looked ({@link rowsWrittenSince}) — an
 * edit then costs O(width) on the device instead of a re-upload of every row.
 */
export class GrowableRows {
  readonly width: number;
  private buffer: Float32Array;
  private rowCount = 0;
  private revisionCount = 0;
  /** Row indices written at revisions `journalStart + 1`, `journalStart + 2`, …. */
  private journal: number[] = [];
  private journalStart = 0;

  constructor(width: number, initialCapacityRows = minimumCapacityRows) {
    this.width = width;
    this.buffer = new Float32Array(Math.max(1, initialCapacityRows) * Math.max(1, width));
  }

  get rows(): number {
    return this.rowCount;
  }

  /** Increases on every append and write (not on `removeLast` or `clear`, which only shrink `rows`). */
  get revision(): number {
    return this.revisionCount;
  }

  /** Bytes allocated, spare capacity included. */
  get allocatedBytes(): number {
    return this.buffer.byteLength;
  }

  /** A live view of the used part, `[rows * width]`; valid until the next append. Do not mutate. */
  view(): Float32Array {
    return this.buffer.subarray(0, this.rowCount * this.width);
  }

  /** A live view of one row; valid until the next append. Do not mutate: use {@link write}. */
  row(index: number): Float32Array {
    return this.buffer.subarray(index * this.width, (index + 1) * this.width);
  }

  /**
   * The rows written (appended or overwritten) after `revision`, in order, possibly repeated and possibly at
   * or beyond the current `rows` (written, then removed); `null` when the journal no longer reaches back that
   * far, and the reader must copy every row.
   */
  rowsWrittenSince(revision: number): readonly number[] | null {
    if (!Number.isInteger(revision) || revision < this.journalStart || revision > this.revisionCount) {
      return null;
    }
    return this.journal.slice(revision - this.journalStart);
  }

  /** Appends a copy of `values` (length `width`) and returns the new row's index. */
  append(values: ArrayLike<number>): number {
    const capacityRows = Math.floor(this.buffer.length / Math.max(1, this.width));
    if (this.rowCount + 1 > capacityRows) {
      const grown = new Float32Array(
        grownCapacity(capacityRows, this.rowCount + 1) * Math.max(1, this.width),
      );
      grown.set(this.buffer.subarray(0, this.rowCount * this.width));
      this.buffer = grown;
    }
    this.buffer.set(values, this.rowCount * this.width);
    this.record(this.rowCount);
    return this.rowCount++;
  }

  /** Overwrites one row with a copy of `values`. */
  write(index: number, values: ArrayLike<number>): void {
    this.buffer.set(values, index * this.width);
    this.record(index);
  }

  /** Drops the last row (used to undo an append). */
  removeLast(): void {
    if (this.rowCount > 0) this.rowCount--;
  }

  /** Drops every row, keeping the allocation. */
  clear(): void {
    this.rowCount = 0;
  }

  private record(row: number): void {
    this.journal.push(row);
    this.revisionCount++;
    if (this.journal.length > journalLimit) {
      const dropped = journalLimit / 2;
      this.journal.splice(0, dropped);
      this.journalStart += dropped;
    }
  }
}
