/** Usage of every tensor buffer: bound as storage, copied in by uploads and out by downloads. */
export const tensorBufferUsage = 0x80 /* STORAGE */ | 0x04 /* COPY_SRC */ | 0x08; /* COPY_DST */

/** WebGPU refuses zero-size bindings, and sizes must be multiples of 4. */
export function bufferBytes(elements: number): number {
  return Math.max(4, elements * 4);
}

/**
 * Storage buffers kept for reuse, keyed by byte size. Value training calls the same kernels on the same shapes
 * a hundred times per edit; creating and destroying a buffer for every intermediate would dominate on a real
 * GPU. Reuse is safe without waiting for the device: every use of a buffer is a queue operation (a write or a
 * submitted dispatch), and the queue runs them in order, so work queued after a release sees only new writes.
 */
export class BufferPool {
  readonly #device: GPUDevice;
  readonly #free = new Map<number, GPUBuffer[]>();
  /** Bytes held in free buffers, bounded so that a burst of large intermediates is not kept forever. */
  #freeBytes = 0;
  readonly #maximumFreeBytes: number;

  constructor(device: GPUDevice, maximumFreeBytes = 256 * 1024 * 1024) {
    this.#device = device;
    this.#maximumFreeBytes = maximumFreeBytes;
  }

  /** A buffer of exactly `bytes` bytes, reused when one is free; its contents are undefined. */
  acquire(bytes: number): GPUBuffer {
    const free = this.#free.get(bytes);
    const reused = free?.pop();
    if (reused !== undefined) {
      this.#freeBytes -= bytes;
      return reused;
    }
    return this.#device.createBuffer({ size: bytes, usage: tensorBufferUsage });
  }

  /** Returns a buffer for reuse, or destroys it when the pool is full. */
  release(buffer: GPUBuffer): void {
    if (this.#freeBytes + buffer.size > this.#maximumFreeBytes) {
      buffer.destroy();
      return;
    }
    const list = this.#free.get(buffer.size) ?? [];
    list.push(buffer);
    this.#free.set(buffer.size, list);
    this.#freeBytes += buffer.size;
  }

  /** Destroys every free buffer. */
  clear(): void {
    for (const list of this.#free.values()) for (const buffer of list) buffer.destroy();
    this.#free.clear();
    this.#freeBytes = 0;
  }
}
