import { type DType, formatShape, GraceError, type Shape, type Tensor } from '@grace/core';

/**
 * A tensor of the WebGPU backend: a storage buffer behind the opaque {@link Tensor} handle.
 *
 * The buffer is at least 4 bytes (WebGPU refuses empty bindings), so zero-size tensors bind like any other.
 * int32 tensors uploaded from the host also keep their host copy (`hostIntegers`): they are the small index
 * arguments (key positions, token counts, class labels) whose range the spec says to check before any work is
 * queued, and keeping them lets the backend check without a read-back.
 */
export class WebGpuTensor<D extends DType = DType> implements Tensor<D> {
  readonly shape: Shape;
  readonly dtype: D;
  /** The backend instance that made this tensor; compared by identity. */
  readonly owner: object;
  /** Number of elements (0 for a zero-size tensor). */
  readonly size: number;
  /** The host copy of an uploaded int32 tensor; `undefined` for device-made or float32 tensors. */
  readonly hostIntegers: Int32Array | undefined;
  #buffer: GPUBuffer | undefined;

  constructor(owner: object, dtype: D, buffer: GPUBuffer, shape: Shape, hostIntegers?: Int32Array) {
    this.owner = owner;
    this.dtype = dtype;
    this.shape = Object.freeze([...shape]);
    this.size = shape.reduce((product, dimension) => product * dimension, 1);
    this.hostIntegers = hostIntegers;
    this.#buffer = buffer;
  }

  get disposed(): boolean {
    return this.#buffer === undefined;
  }

  /** The storage buffer; a disposed tensor is a caller bug, reported as `DISPOSED_TENSOR`. */
  get buffer(): GPUBuffer {
    if (this.#buffer === undefined) {
      throw new GraceError(
        'DISPOSED_TENSOR',
        `a ${this.dtype} tensor ${formatShape(this.shape)} was disposed`,
        { shape: this.shape, dtype: this.dtype },
      );
    }
    return this.#buffer;
  }

  /** Gives the buffer up (to the pool); idempotent, as `dispose` promises. */
  release(): GPUBuffer | undefined {
    const buffer = this.#buffer;
    this.#buffer = undefined;
    return buffer;
  }
}

/** Turns a caller's handle into this backend's tensor, refusing handles made by anything else. */
export function resolveWebGpuTensor<D extends DType>(
  tensor: Tensor<D>,
  owner: object,
  name: string,
): WebGpuTensor<D> {
  if (!(tensor instanceof WebGpuTensor) || tensor.owner !== owner) {
    throw new GraceError('FOREIGN_TENSOR', `${name} was not made by this WebGPU backend`, {
      name,
      shape: (tensor as Partial<Tensor> | undefined)?.shape,
    });
  }
  return tensor as WebGpuTensor<D>;
}
