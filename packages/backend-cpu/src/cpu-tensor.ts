import { type DType, formatShape, GraceError, type Shape, type Tensor, type TensorDataOf } from '@grace/core';

/**
 * A tensor of the CPU backend: a host typed array behind the opaque {@link Tensor} handle.
 *
 * The array is private to the backend: `upload` copies into it and `download` copies out of it, so no caller
 * can change a tensor behind the backend's back (which a GPU backend could not allow either, and the CPU
 * backend is the template for those). Each tensor remembers the backend instance that made it, so that
 * passing a handle to another backend fails loudly instead of reading memory that backend does not own.
 */
export class CpuTensor<D extends DType = DType> implements Tensor<D> {
  readonly shape: Shape;
  readonly dtype: D;
  /** The backend instance that made this tensor; compared by identity. */
  readonly owner: object;
  #data: TensorDataOf[D] | undefined;
  #revision = 0;

  /** Takes ownership of `data`: the caller must not keep a reference to it. */
  constructor(owner: object, dtype: D, data: TensorDataOf[D], shape: Shape) {
    this.owner = owner;
    this.dtype = dtype;
    this.shape = Object.freeze([...shape]);
    this.#data = data;
  }

  /** True once {@link CpuTensor.release} ran; kept public so that debugging a leak is easy. */
  get disposed(): boolean {
    return this.#data === undefined;
  }

  /**
   * The backing array, for kernels of this backend only. Reading a disposed tensor is a caller bug that a
   * GPU backend would report, so the reference backend reports it too rather than quietly working.
   */
  get data(): TensorDataOf[D] {
    if (this.#data === undefined) {
      throw new GraceError(
        'DISPOSED_TENSOR',
        `a ${this.dtype} tensor ${formatShape(this.shape)} was disposed`,
        {
          shape: this.shape,
          dtype: this.dtype,
        },
      );
    }
    return this.#data;
  }

  /**
   * Counts in-place writes ({@link CpuTensor.noteWritten}), so that what a kernel derives from the data and
   * caches (the key norms of a search) can tell that it is stale.
   */
  get revision(): number {
    return this.#revision;
  }

  /** Every kernel that changes {@link CpuTensor.data} in place calls this afterwards. */
  noteWritten(): void {
    this.#revision++;
  }

  /** Drops the array so the garbage collector can take it. Idempotent, as `dispose` promises. */
  release(): void {
    this.#data = undefined;
  }
}

/**
 * Turns a handle received from a caller into this backend's tensor, refusing handles made by anything else.
 * `name` is the argument's name, reported in the error so that the caller knows which one was foreign.
 */
export function resolveCpuTensor<D extends DType>(
  tensor: Tensor<D>,
  owner: object,
  name: string,
): CpuTensor<D> {
  if (!(tensor instanceof CpuTensor) || tensor.owner !== owner) {
    throw new GraceError('FOREIGN_TENSOR', `${name} was not made by this CPU backend`, {
      name,
      shape: (tensor as Partial<Tensor> | undefined)?.shape,
    });
  }
  return tensor as CpuTensor<D>;
}

/** The live backing array of a caller's handle: ownership and disposal checked, in that order. */
export function readCpuTensor<D extends DType>(
  tensor: Tensor<D>,
  owner: object,
  name: string,
): TensorDataOf[D] {
  return liveCpuTensor(tensor, owner, name).data;
}

/** A caller's handle as this backend's tensor, with ownership and disposal checked, in that order. */
export function liveCpuTensor<D extends DType>(tensor: Tensor<D>, owner: object, name: string): CpuTensor<D> {
  const resolved = resolveCpuTensor(tensor, owner, name);
  resolved.data; // throws DISPOSED_TENSOR (with the shape and dtype) when disposed
  return resolved;
}
