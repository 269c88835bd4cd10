import { GraceError } from './errors.js';

/**
 * Memory for the floats of a codebook's growing row store (`GrowableRows`): a plain `Float32Array` by default,
 * or a block of a backend's own memory ({@link RowStorageProvider}) so that the backend computes on the very rows
 * the codebook keeps and a codebook is stored once, host and backend together.
 *
 * Backend memory may move under JavaScript: a WebAssembly memory that grows detaches every `ArrayBuffer` view
 * made before (they then read as empty). So a storage hands out views only through {@link floats}, and a
 * caller derives one right before each use and keeps it for no longer than a stretch of code that makes no
 * call into the backend.
 */
export interface RowStorage {
  /** Floats allocated (a store's capacity times its width). */
  readonly length: number;
  /**
   * All `length` floats, live: writes through the view change the storage. Valid until the next call into the
   * backend that made it (see the interface's documentation); never keep it. `DISPOSED_TENSOR` after `dispose`.
   */
  floats(): Float32Array;
  /** Frees the memory. Idempotent. */
  dispose(): void;
}

/**
 * What allocates {@link RowStorage}: `GraceBackend.allocateRowStorage` (a backend is a provider when it has
 * that method), or {@link hostRowStorageProvider}. Compared by identity: a codebook's rows live with one
 * provider at a time.
 */
export interface RowStorageProvider {
  /**
   * A storage of `floats` float32 numbers, zeroed. Its row mirror (`createRowMirror`), synced from a view of
   * the storage's first floats, serves them to kernels without copying them. `INVALID_ARGUMENT` for a count
   * that is not a natural number.
   */
  allocateRowStorage(floats: number): RowStorage;
}

/** Row storage in a plain `Float32Array` of JavaScript's heap: what every codebook uses by default. */
export const hostRowStorageProvider: RowStorageProvider = Object.freeze({
  allocateRowStorage(floats: number): RowStorage {
    checkFloatCount(floats);
    let data: Float32Array | null = new Float32Array(floats);
    return {
      length: floats,
      floats() {
        if (data === null) throw new GraceError('DISPOSED_TENSOR', 'this row storage was disposed', {});
        return data;
      },
      dispose() {
        data = null;
      },
    };
  },
});

/** `INVALID_ARGUMENT` unless `floats` is an integer >= 0; for providers' `allocateRowStorage`. */
export function checkFloatCount(floats: number): void {
  if (!Number.isInteger(floats) || floats < 0) {
    throw new GraceError(
      'INVALID_ARGUMENT',
      `a row storage's float count must be an integer >= 0, got ${floats}`,
      {
        floats,
      },
    );
  }
}
