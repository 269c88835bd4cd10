/** `GPUBufferUsage.MAP_READ | COPY_DST`, spelled out so that Node needs no WebGPU globals. */
const stagingUsage = 0x0001 /* MAP_READ */ | 0x0008; /* COPY_DST */

/**
 * Read-back (MAP_READ) buffers kept for reuse, keyed by byte size. A lookup at inference downloads its output
 * and hits every call; creating and destroying a mappable buffer each time costs more than the copy on small
 * results. A buffer is lent to one download from `acquire` until `release`, which the download calls only
 * after `unmap`, so a buffer is never mapped twice or reused while mapped: concurrent downloads of the same
 * size simply hold different buffers. A buffer whose mapping failed (device lost, destroyed) is dropped, not
 * returned. At most `maximumPerSize` free buffers of a size, `maximumFreeBytes` in all, are kept.
 */
export class StagingPool {
  readonly #device: GPUDevice;
  readonly #free = new Map<number, GPUBuffer[]>();
  readonly #maximumPerSize: number;
  readonly #maximumFreeBytes: number;
  #freeBytes = 0;

  constructor(device: GPUDevice, maximumPerSize = 4, maximumFreeBytes = 64 * 1024 * 1024) {
    this.#device = device;
    this.#maximumPerSize = maximumPerSize;
    this.#maximumFreeBytes = maximumFreeBytes;
  }

  /** A mappable buffer of exactly `bytes` bytes, unmapped, owned by the caller until {@link release}. */
  acquire(bytes: number): GPUBuffer {
    const reused = this.#free.get(bytes)?.pop();
    if (reused !== undefined) {
      this.#freeBytes -= bytes;
      return reused;
    }
    return this.#device.createBuffer({ size: bytes, usage: stagingUsage });
  }

  /** Takes back an unmapped buffer for reuse, or destroys it when the pool is full. */
  release(buffer: GPUBuffer): void {
    const list = this.#free.get(buffer.size) ?? [];
    if (list.length >= this.#maximumPerSize || this.#freeBytes + buffer.size > this.#maximumFreeBytes) {
      buffer.destroy();
      return;
    }
    list.push(buffer);
    this.#free.set(buffer.size, list);
    this.#freeBytes += buffer.size;
  }

  /** Free buffers held, for tests. */
  get freeCount(): number {
    let count = 0;
    for (const list of this.#free.values()) count += list.length;
    return count;
  }

  /** Destroys every free buffer. */
  clear(): void {
    for (const list of this.#free.values()) for (const buffer of list) buffer.destroy();
    this.#free.clear();
    this.#freeBytes = 0;
  }
}
