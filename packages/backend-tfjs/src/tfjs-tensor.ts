import { type DType, formatShape, GraceError, type Shape, type Tensor } from '@grace/core';
import type { HostKeyRows } from './key-layout.js';
import type { TfTensor } from './tensorflow.js';

/**
 * A tensor of the tfjs backend: a tfjs tensor behind the opaque {@link Tensor} handle.
 *
 * tfjs tensors are immutable, but `adamStep` must update its tensors in place, so the handle owns a
 * replaceable tfjs tensor: an update computes new tensors and swaps them in, disposing the old ones, and every
 * holder of the handle sees the new data. Int32 tensors uploaded from the host also keep their host copy:
 * they are small index vectors (token positions, lengths, labels) whose range the kernels must check before
 * running, and reading the copy spares a device read-back on GPU backends.
 */
export class TfjsTensor<D extends DType = DType> implements Tensor<D> {
  readonly shape: Shape;
  readonly dtype: D;
  /** The backend instance that made this tensor; compared by identity. */
  readonly owner: object;
  #storage: TfTensor | undefined;
  readonly #hostIntegers: Int32Array | undefined;
  readonly #hostKeyRows: (() => HostKeyRows) | undefined;
  readonly #derived = new Map<string, TfTensor>();

  /**
   * Takes ownership of `storage`: the caller must not dispose it or keep using it. `hostKeyRows`: a row
   * mirror's host rows behind this tensor (see {@link TfjsTensor.hostKeyRows}).
   */
  constructor(
    owner: object,
    dtype: D,
    storage: TfTensor,
    shape: Shape,
    hostIntegers?: Int32Array,
    hostKeyRows?: () => HostKeyRows,
  ) {
    this.owner = owner;
    this.dtype = dtype;
    this.shape = Object.freeze([...shape]);
    this.#storage = storage;
    this.#hostIntegers = hostIntegers;
    this.#hostKeyRows = hostKeyRows;
  }

  /**
   * These rows on the host where a row mirror made the tensor (the host's own rows, with norms it keeps
   * current), `undefined` for any other tensor, whose search reads its keys back once. `DISPOSED_TENSOR`
   * after release.
   */
  hostKeyRows(): HostKeyRows | undefined {
    if (this.disposed) void this.storage;
    return this.#hostKeyRows?.();
  }

  /** True once {@link TfjsTensor.release} ran. */
  get disposed(): boolean {
    return this.#storage === undefined;
  }

  /** The tfjs tensor, for kernels of this backend only; reading a disposed handle is `DISPOSED_TENSOR`. */
  get storage(): TfTensor {
    if (this.#storage === undefined) {
      throw new GraceError(
        'DISPOSED_TENSOR',
        `a ${this.dtype} tensor ${formatShape(this.shape)} was disposed`,
        {
          shape: this.shape,
          dtype: this.dtype,
        },
      );
    }
    return this.#storage;
  }

  /** The host copy of an uploaded int32 tensor, else `undefined` (the kernel then reads the device). */
  get hostIntegers(): Int32Array | undefined {
    return this.#hostIntegers;
  }

  /**
   * A tensor computed from this one and kept with it until its data changes or it is disposed: the
   * transposed keys and their squared norms, which every search of one codebook upload would otherwise
   * recompute (a transpose and a reduction over all `N × Dk` elements per call), and the transposed frozen
   * weights that every gradient step of value training multiplies by. `keep` is tfjs's `tf.keep`: the result
   * must survive the `tidy` it may be made in, since it belongs to this handle.
   */
  derived(
    name: string,
    make: (storage: TfTensor) => TfTensor,
    keep: (tensor: TfTensor) => TfTensor,
  ): TfTensor {
    const storage = this.storage;
    let tensor = this.#derived.get(name);
    if (tensor === undefined) {
      tensor = keep(make(storage));
      this.#derived.set(name, tensor);
    }
    return tensor;
  }

  /** Swaps in new storage of the same shape (an in-place update) and disposes the old. */
  replace(next: TfTensor): void {
    const previous = this.storage;
    this.#storage = next;
    previous.dispose();
    this.#dropDerived();
  }

  /** Disposes the tfjs tensor. Idempotent, as `dispose` promises. */
  release(): void {
    this.#storage?.dispose();
    this.#storage = undefined;
    this.#dropDerived();
  }

  #dropDerived(): void {
    for (const tensor of this.#derived.values()) tensor.dispose();
    this.#derived.clear();
  }
}

/** Turns a caller's handle into this backend's tensor, refusing handles made by anything else. */
export function resolveTfjsTensor<D extends DType>(
  tensor: Tensor<D>,
  owner: object,
  name: string,
): TfjsTensor<D> {
  if (!(tensor instanceof TfjsTensor) || tensor.owner !== owner) {
    throw new GraceError('FOREIGN_TENSOR', `${name} was not made by this tfjs backend`, {
      name,
      shape: (tensor as Partial<Tensor> | undefined)?.shape,
    });
  }
  return tensor as TfjsTensor<D>;
}

/** The live tfjs tensor behind a caller's handle: ownership and disposal checked, in that order. */
export function readTfjsTensor(tensor: Tensor, owner: object, name: string): TfTensor {
  return resolveTfjsTensor(tensor, owner, name).storage;
}

/**
 * The values of an int32 handle on the host, for range checks: the upload's copy when there is one, else a
 * synchronous read of the (small) tensor.
 */
export function readHostIntegers(tensor: Tensor<'int32'>, owner: object, name: string): Int32Array {
  const resolved = resolveTfjsTensor(tensor, owner, name);
  const storage = resolved.storage;
  return resolved.hostIntegers ?? (storage.dataSync() as Int32Array);
}
