import { GraceError } from '../errors.js';
import { checkFloatCount, type RowStorage, type RowStorageProvider } from '../row-storage.js';

/**
 * A {@link RowStorageProvider} whose memory behaves like a growing WebAssembly memory, for testing code that
 * reads a codebook's rows: every storage lives in one `ArrayBuffer`, which {@link grow} (and any allocation
 * that does not fit) replaces by a larger copy, detaching the old one, so a view kept across it reads as
 * empty. A disposed storage is filled with NaN, so a read after free shows too.
 */
export class DetachingRowStorage implements RowStorageProvider {
  private memory = new ArrayBuffer(4096);
  private usedBytes = 0;
  private liveCount = 0;
  private growthCount = 0;

  /** Storages allocated and not yet disposed. */
  get live(): number {
    return this.liveCount;
  }

  /** How many times the memory was replaced. */
  get growths(): number {
    return this.growthCount;
  }

  allocateRowStorage(floats: number): RowStorage {
    checkFloatCount(floats);
    const byteOffset = this.usedBytes;
    if (byteOffset + floats * 4 > this.memory.byteLength) this.grow(byteOffset + floats * 4);
    this.usedBytes += floats * 4;
    this.liveCount++;
    let disposed = false;
    const view = (): Float32Array => new Float32Array(this.memory, byteOffset, floats);
    return {
      length: floats,
      floats: () => {
        if (disposed) throw new GraceError('DISPOSED_TENSOR', 'this row storage was disposed', {});
        return view();
      },
      dispose: () => {
        if (disposed) return;
        disposed = true;
        this.liveCount--;
        view().fill(Number.NaN);
      },
    };
  }

  /**
   * Replaces the memory by a copy one 64 KiB page larger (at least `minimumBytes`) and detaches the old one, as
   * `WebAssembly.Memory.grow` does.
   */
  grow(minimumBytes = 0): void {
    const next = new ArrayBuffer(Math.max(minimumBytes, this.memory.byteLength + 65_536));
    new Uint8Array(next).set(new Uint8Array(this.memory));
    structuredClone(this.memory, { transfer: [this.memory] });
    this.memory = next;
    this.growthCount++;
  }
}
