import { GraceError } from './errors.js';
import { hostRowStorageProvider, type RowStorage, type RowStorageProvider } from './row-storage.js';

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
 *
 * The floats live in a {@link RowStorage} of a {@link RowStorageProvider}: JavaScript's heap by default, or a
 * backend's memory ({@link moveTo}), whose views a growing WebAssembly memory detaches. So every view handed
 * out ({@link view}, {@link row}) is valid only until the next append or call into that backend, and each
 * method here derives its own view afresh.
 */
export class GrowableRows {
  readonly width: number;
  private storage: RowStorage;
  private storageProvider: RowStorageProvider;
  private rowCount = 0;
  private revisionCount = 0;
  /** Row indices written at revisions `journalStart + 1`, `journalStart + 2`, …. */
  private journal: number[] = [];
  private journalStart = 0;

  constructor(
    width: number,
    initialCapacityRows = minimumCapacityRows,
    provider: RowStorageProvider = hostRowStorageProvider,
  ) {
    this.width = width;
    this.storageProvider = provider;
    this.storage = provider.allocateRowStorage(Math.max(1, initialCapacityRows) * Math.max(1, width));
  }

  get rows(): number {
    return this.rowCount;
  }

  /** Increases on every append and write (not on `removeLast`, `clear` or `moveTo`, which change no row). */
  get revision(): number {
    return this.revisionCount;
  }

  /** Bytes allocated, spare capacity included. */
  get allocatedBytes(): number {
    return this.storage.length * 4;
  }

  /** Where the floats live now. */
  get provider(): RowStorageProvider {
    return this.storageProvider;
  }

  /**
   * A live view of the used part, `[rows * width]`; valid until the next append or call into the storage's
   * backend. Do not mutate.
   */
  view(): Float32Array {
    return this.storage.floats().subarray(0, this.rowCount * this.width);
  }

  /** A live view of one row, valid as long as {@link view}'s. Do not mutate: use {@link write}. */
  row(index: number): Float32Array {
    return this.storage.floats().subarray(index * this.width, (index + 1) * this.width);
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
    this.checkRow(values);
    const capacityRows = Math.floor(this.storage.length / Math.max(1, this.width));
    if (this.rowCount + 1 > capacityRows) {
      // A source inside the storage (a row of this very store) would be detached or freed by the growth.
      const source = Float32Array.from(values);
      this.reallocate(this.storageProvider, grownCapacity(capacityRows, this.rowCount + 1));
      this.storage.floats().set(source, this.rowCount * this.width);
    } else {
      this.storage.floats().set(values, this.rowCount * this.width);
    }
    this.record(this.rowCount);
    return this.rowCount++;
  }

  /** Overwrites one row with a copy of `values`. */
  write(index: number, values: ArrayLike<number>): void {
    this.checkRow(values);
    this.storage.floats().set(values, index * this.width);
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

  /**
   * Moves the floats into a storage of `provider` (same capacity, the rows copied once) and frees the old one.
   * Rows, revision and journal are unchanged: a reader sees the same matrix, now in other memory. A no-op
   * when the rows are there already.
   */
  moveTo(provider: RowStorageProvider): void {
    if (provider === this.storageProvider) return;
    this.reallocate(provider, Math.floor(this.storage.length / Math.max(1, this.width)));
  }

  /** Frees the storage (what matters for a backend's memory, which no garbage collector frees); idempotent. */
  dispose(): void {
    this.storage.dispose();
  }

  private reallocate(provider: RowStorageProvider, capacityRows: number): void {
    const next = provider.allocateRowStorage(Math.max(1, capacityRows) * Math.max(1, this.width));
    try {
      // Both views derived after the allocation, which may have grown (and detached) a backend's memory.
      next.floats().set(this.storage.floats().subarray(0, this.rowCount * this.width));
    } catch (error) {
      next.dispose();
      throw error;
    }
    this.storage.dispose();
    this.storage = next;
    this.storageProvider = provider;
  }

  /**
   * A row of the wrong length (say a view that a backend's memory growth detached, which reads as empty) would
   * write nothing, or too much, without a word.
   */
  private checkRow(values: ArrayLike<number>): void {
    if (values.length !== this.width) {
      throw new GraceError(
        'SHAPE_MISMATCH',
        `a row of width ${this.width} was given ${values.length} numbers`,
        { width: this.width, length: values.length },
      );
    }
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
