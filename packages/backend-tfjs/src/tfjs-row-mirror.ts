import {
  GraceError,
  planRowSync,
  type RowMirror,
  rowMirrorWidth,
  type Shape,
  type Tensor,
} from '@grace/core';
import type { TfjsKernelContext } from './kernel-context.js';
import type { TfTensor } from './tensorflow.js';
import type { TfjsTensor } from './tfjs-tensor.js';

/**
 * The tfjs backend's {@link RowMirror}. tfjs tensors are immutable and tfjs has no portable in-place write, so
 * a sync uploads only the appended and changed rows (O(width) per row from the host) and lets tfjs assemble
 * the next tensor from slices of the previous one on its own device (`tf.concat`: one device-side copy of the
 * kept rows, no host traffic for them). Whatever the kernels cached from the previous tensor (the transposed
 * keys and their norms) is freed with it.
 */
export function createTfjsRowMirror(context: TfjsKernelContext, rowShape: Shape): RowMirror {
  const width = rowMirrorWidth(rowShape);
  const frozenRowShape = Object.freeze([...rowShape]);
  const { tf } = context;
  let rows = -1;
  let handle: TfjsTensor<'float32'> | null = null;
  let disposed = false;

  const checkLive = (): void => {
    if (disposed) throw new GraceError('DISPOSED_TENSOR', 'this row mirror was disposed', {});
  };
  const hostRows = (host: Float32Array, first: number, end: number): TfTensor =>
    tf.tensor2d(host.slice(first * width, end * width), [end - first, width], 'float32');
  const replaceHandle = (storage: TfTensor, rowCount: number): void => {
    handle?.release();
    handle = context.wrap(storage, 'float32', [rowCount, ...frozenRowShape]);
  };

  return {
    rowShape: frozenRowShape,
    width,
    get rows() {
      return Math.max(0, rows);
    },
    get backendBytes() {
      return handle === null ? 0 : Math.max(0, rows) * width * 4;
    },
    sync(host: Float32Array, changedRows: readonly number[] | 'all'): void {
      checkLive();
      const plan = planRowSync(width, rows, host, changedRows);
      const previous = handle;
      const storage = tf.tidy(() => {
        const shape = [plan.rows, ...frozenRowShape];
        if (plan.copyAll || previous === null) return tf.reshape(hostRows(host, 0, plan.rows), shape);
        const old = tf.reshape(previous.storage, [rows, width]);
        const pieces: TfTensor[] = [];
        let start = 0;
        for (const row of [...plan.changedRows, plan.appendedFrom]) {
          if (row > start) pieces.push(tf.slice(old, [start, 0], [row - start, width]));
          if (row < plan.appendedFrom) pieces.push(hostRows(host, row, row + 1));
          start = row + 1;
        }
        if (plan.rows > plan.appendedFrom) pieces.push(hostRows(host, plan.appendedFrom, plan.rows));
        const joined = pieces.length === 0 ? tf.zeros([0, width]) : tf.concat(pieces, 0);
        return tf.reshape(joined, shape);
      });
      replaceHandle(storage, plan.rows);
      rows = plan.rows;
    },
    tensor(): Tensor<'float32'> {
      checkLive();
      if (handle === null) replaceHandle(tf.zeros([0, ...frozenRowShape]), 0);
      return handle as TfjsTensor<'float32'>;
    },
    dispose(): void {
      disposed = true;
      handle?.release();
      handle = null;
    },
  };
}
