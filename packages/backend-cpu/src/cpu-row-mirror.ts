import {
  GraceError,
  planRowSync,
  type RowMirror,
  rowMirrorWidth,
  type Shape,
  type Tensor,
} from '@grace/core';
import { CpuTensor } from './cpu-tensor.js';
import type { LookupIndexOptions } from './kernels/key-search.js';
import { MirrorRowDataSource } from './mirror-row-data.js';

/**
 * The cpu backend's {@link RowMirror}: it computes on host memory, so it reads the host's own array instead
 * of copying it. A sync only wraps the host's current view in a new tensor handle — O(1) whatever the number
 * of rows or which rows changed — and a codebook is stored once (`backendBytes` counts only the key norms and
 * pivot index the search keeps beside it).
 *
 * This is the one place where a cpu tensor shares memory with its caller; the mirror's contract (the host
 * reports every change with a `sync` before kernels read the tensor again) is what makes it safe.
 *
 * Each sync also tells the mirror's row data (`mirrorRowData`: key norms, the projection tree and the pivot index
 * with `indexOptions`) which rows changed, so the search keeps them current in O(D) per edit.
 */
export function createCpuRowMirror(
  owner: object,
  rowShape: Shape,
  indexOptions: LookupIndexOptions,
): RowMirror {
  const width = rowMirrorWidth(rowShape);
  const rowData = new MirrorRowDataSource(width, indexOptions);
  const frozenRowShape = Object.freeze([...rowShape]);
  let rows = -1;
  let view: CpuTensor<'float32'> | null = null;
  let disposed = false;
  const checkLive = (): void => {
    if (disposed) throw new GraceError('DISPOSED_TENSOR', 'this row mirror was disposed', {});
  };
  return {
    rowShape: frozenRowShape,
    width,
    get rows() {
      return Math.max(0, rows);
    },
    /** Only what the search derives from the rows (norms, pivot index): the rows themselves are the host's. */
    get backendBytes() {
      return rowData.bytes;
    },
    sync(host: Float32Array, changedRows: readonly number[] | 'all'): void {
      checkLive();
      const plan = planRowSync(width, rows, host, changedRows);
      view = new CpuTensor(owner, 'float32', host, [plan.rows, ...frozenRowShape]);
      rowData.follow(host, plan, view);
      rows = plan.rows;
    },
    tensor(): Tensor<'float32'> {
      checkLive();
      view ??= new CpuTensor(owner, 'float32', new Float32Array(0), [0, ...frozenRowShape]);
      return view;
    },
    dispose(): void {
      disposed = true;
      view = null;
    },
  };
}
