import {
  GraceError,
  grownCapacity,
  planRowSync,
  type RowMirror,
  rowMirrorWidth,
  type Shape,
  type Tensor,
} from '@grace/core';
import { bufferBytes } from './buffer-pool.js';
import type { WebGpuContext } from './webgpu-context.js';
import { WebGpuTensor } from './webgpu-tensor.js';

/**
 * A view of a mirror's buffer as a tensor: disposing it by mistake must not hand the mirror's buffer to the
 * pool, so it gives nothing back on release.
 */
class RowMirrorView extends WebGpuTensor<'float32'> {
  override release(): GPUBuffer | undefined {
    super.release();
    return undefined;
  }
}

/**
 * The WebGPU backend's {@link RowMirror}: one storage buffer with spare rows. A sync writes only the appended
 * and changed rows with `queue.writeBuffer` (O(width) bytes per row); when the rows outgrow the buffer, a
 * larger one (by `grownCapacity`) receives the old rows by a device-side `copyBufferToBuffer`, never from the
 * host. Kernels read a `[rows, ...rowShape]` view of the buffer; they size their work from the shape, so the
 * spare rows past it are never read.
 */
export function createWebGpuRowMirror(context: WebGpuContext, rowShape: Shape): RowMirror {
  const width = rowMirrorWidth(rowShape);
  const frozenRowShape = Object.freeze([...rowShape]);
  const { device, pool, health, owner } = context;
  let buffer: GPUBuffer | null = null;
  let capacityRows = 0;
  let rows = -1;
  let view: RowMirrorView | null = null;
  let disposed = false;

  const checkLive = (): void => {
    if (disposed) throw new GraceError('DISPOSED_TENSOR', 'this row mirror was disposed', {});
    health.check();
  };
  const acquire = (capacity: number): GPUBuffer =>
    health.watch('out-of-memory', `allocating a row mirror of ${capacity} rows × ${width}`, () =>
      pool.acquire(bufferBytes(capacity * width)),
    );
  const writeRows = (target: GPUBuffer, host: Float32Array, first: number, end: number): void => {
    if (end <= first) return;
    const byteOffset = host.byteOffset + first * width * 4;
    device.queue.writeBuffer(target, first * width * 4, host.buffer, byteOffset, (end - first) * width * 4);
  };

  return {
    rowShape: frozenRowShape,
    width,
    get rows() {
      return Math.max(0, rows);
    },
    get backendBytes() {
      return buffer === null ? 0 : buffer.size;
    },
    sync(host: Float32Array, changedRows: readonly number[] | 'all'): void {
      checkLive();
      const plan = planRowSync(width, rows, host, changedRows);
      let target = buffer;
      if (target === null || plan.rows > capacityRows) {
        const capacity = grownCapacity(capacityRows, Math.max(1, plan.rows));
        const grown = acquire(capacity);
        const kept = plan.copyAll || target === null ? 0 : plan.appendedFrom;
        if (target !== null && kept > 0) {
          const encoder = device.createCommandEncoder();
          encoder.copyBufferToBuffer(target, 0, grown, 0, kept * width * 4);
          device.queue.submit([encoder.finish()]);
        }
        // Queue order: the copy above is submitted before any later work could reuse the old buffer.
        if (target !== null) pool.release(target);
        target = grown;
        buffer = grown;
        capacityRows = capacity;
      }
      if (plan.copyAll) {
        writeRows(target, host, 0, plan.rows);
      } else {
        for (const row of plan.changedRows) writeRows(target, host, row, row + 1);
        writeRows(target, host, plan.appendedFrom, plan.rows);
      }
      view = new RowMirrorView(owner, 'float32', target, [plan.rows, ...frozenRowShape]);
      rows = plan.rows;
    },
    tensor(): Tensor<'float32'> {
      checkLive();
      if (view === null) {
        buffer ??= acquire(grownCapacity(0, 1));
        capacityRows = Math.max(capacityRows, grownCapacity(0, 1));
        view = new RowMirrorView(owner, 'float32', buffer, [0, ...frozenRowShape]);
      }
      return view;
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      if (buffer !== null) pool.release(buffer);
      buffer = null;
      view = null;
    },
  };
}
