import { type DType, GraceError, type Shape, type Tensor } from '@grace/core';
import { type BufferPool, bufferBytes } from './buffer-pool.js';
import type { DeviceHealth } from './device-health.js';
import type { Dispatch, GpuRunner } from './gpu-runner.js';
import { resolveWebGpuTensor, WebGpuTensor } from './webgpu-tensor.js';

/**
 * What every kernel of one backend instance shares: the device, the buffer pool, the program runner and the
 * identity that its tensors carry. Kernels receive it instead of the backend so that they cannot call each
 * other through the public API (which would validate arguments twice).
 */
export class WebGpuContext {
  readonly device: GPUDevice;
  readonly pool: BufferPool;
  readonly runner: GpuRunner;
  readonly health: DeviceHealth;
  /** The identity this backend's tensors carry. */
  readonly owner: object;

  constructor(device: GPUDevice, pool: BufferPool, runner: GpuRunner, health: DeviceHealth, owner: object) {
    this.device = device;
    this.pool = pool;
    this.runner = runner;
    this.health = health;
    this.owner = owner;
  }

  /** A new tensor whose contents a kernel is about to write. */
  allocate<D extends DType>(dtype: D, shape: Shape): WebGpuTensor<D> {
    const size = shape.reduce((product, dimension) => product * dimension, 1);
    const buffer = this.health.watch('out-of-memory', `allocating ${size} elements`, () =>
      this.pool.acquire(bufferBytes(size)),
    );
    return new WebGpuTensor(this.owner, dtype, buffer, shape);
  }

  /** A scratch buffer of `elements` 32-bit words, to be given back with {@link WebGpuContext.recycle}. */
  scratch(elements: number): GPUBuffer {
    return this.health.watch('out-of-memory', `allocating ${elements} scratch words`, () =>
      this.pool.acquire(bufferBytes(elements)),
    );
  }

  /** Returns scratch buffers to the pool; safe right after the work using them was submitted (queue order). */
  recycle(...buffers: readonly GPUBuffer[]): void {
    for (const buffer of buffers) this.pool.release(buffer);
  }

  /** A caller's handle as this backend's live tensor: ownership, then disposal, checked. */
  read<D extends DType>(tensor: Tensor<D>, name: string): WebGpuTensor<D> {
    const resolved = resolveWebGpuTensor(tensor, this.owner, name);
    void resolved.buffer;
    return resolved;
  }

  /** Submits the dispatches (after checking the device is healthy). */
  run(dispatches: readonly Dispatch[]): void {
    this.runner.run(dispatches);
  }
}

/**
 * Checks an uploaded int32 index argument against `[low, high]` on the host, as the spec requires before any
 * work is queued. Device-made index tensors have no host copy; their kernels guard each index instead.
 */
export function checkIndexRange(
  tensor: WebGpuTensor<'int32'>,
  low: number,
  high: number,
  name: string,
): void {
  const values = tensor.hostIntegers;
  if (values === undefined) return;
  for (let row = 0; row < values.length; row++) {
    const value = values[row] as number;
    if (value < low || value > high) {
      throw new GraceError('INVALID_ARGUMENT', `${name}[${row}] = ${value} is outside [${low}, ${high}]`, {
        row,
        value,
        low,
        high,
      });
    }
  }
}
