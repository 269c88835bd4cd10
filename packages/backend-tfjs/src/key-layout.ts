import type { TfTensor } from './tensorflow.js';

/** Keys `[N, Dk]` on the host, for the search's exact recheck and candidate bound. */
export interface HostKeyRows {
  /**
   * `[N * Dk]` row-major. Rows that live in the wasm memory are a fresh view at each read, valid until the next
   * tfjs call: read it only where it is used.
   */
  readonly keys: Float32Array;
  /** `[N]`: `‖k‖²` in float64. */
  readonly squaredNorms: ArrayLike<number>;
}

/**
 * What the nearest-key search reads of a keys tensor: the tensor, the streamed operand of its one matrix
 * product, and the same keys on the host. A plain keys tensor is read back once per tensor; a row mirror's
 * tensor comes with the host's own rows, which it follows (norms updated row by row).
 */
export interface KeyLayout extends HostKeyRows {
  /** `[N, Dk]`. */
  readonly rows: TfTensor;
}
