import {
  GraceError,
  grownCapacity,
  planRowSync,
  type RowMirror,
  rowMirrorWidth,
  type Shape,
  type Tensor,
} from '@grace/core';
import { HostKeyNorms } from './host-key-norms.js';
import { type InPlaceAccess, inPlaceAccess } from './in-place-access.js';
import type { TfjsKernelContext } from './kernel-context.js';
import type { HostKeyRows } from './key-layout.js';
import type { TfTensor } from './tensorflow.js';
import { isInHeap, isInStorageHeap, rowStorageUnder } from './tfjs-row-storage.js';
import { TfjsTensor } from './tfjs-tensor.js';

/**
 * The tfjs backend's {@link RowMirror}.
 *
 * On tfjs's wasm backend the mirror keeps one tensor with spare rows in the wasm heap (grown by
 * `grownCapacity`, the rows copied from the host at each growth) and writes an edit's rows straight into its
 * memory — O(width) per row — handing kernels a `[rows, ...rowShape]` tensor over the same data (a second
 * reference to it, as tfjs's own reshape makes). tfjs's cpu backend computes on JavaScript arrays, so there the
 * tensor is the host's own array (O(1) per sync, nothing stored twice). tfjs tensors are otherwise immutable
 * and webgl, webgpu and tfjs-node keep their memory out of JavaScript's reach, so there each sync uploads the
 * whole matrix again (O(rows × width)).
 *
 * Where the host's rows live in the backend's own row storage (`createTfjsRowStorage`, tfjs-wasm), the mirror
 * copies nothing and holds nothing: its tensor is a second reference to that storage (which keeps the rows
 * readable until the next sync even if the codebook frees the storage, having grown into a new one), and its
 * host rows are read from the wasm memory afresh at every search, since views of a growing memory detach.
 *
 * Every tensor it hands out also carries the host's rows it follows (`TfjsTensor.hostKeyRows`), so that the
 * nearest-key search reads them for its exact recheck instead of reading the keys back; their squared norms
 * are kept from the first search on, updated row by row.
 */
export function createTfjsRowMirror(context: TfjsKernelContext, rowShape: Shape): RowMirror {
  const width = rowMirrorWidth(rowShape);
  const frozenRowShape = Object.freeze([...rowShape]);
  const { tf } = context;
  let rows = -1;
  let capacityRows = 0;
  /** `[capacityRows, width]`, in-place backends only. */
  let capacity: TfTensor | null = null;
  /** Rows' worth of floats the backend holds: the capacity, a whole re-upload, or none (rows adopted). */
  let heldRows = 0;
  let handle: TfjsTensor<'float32'> | null = null;
  let disposed = false;
  /**
   * The host rows of the last sync (valid until the next one) and, once searched, their norms. Rows in the
   * backend's own storage are read through `adopted` (the mirror's reference to that storage) each time.
   */
  let host: Float32Array = new Float32Array(0);
  let adopted: { readonly view: TfTensor; readonly access: InPlaceAccess } | null = null;
  let norms: HostKeyNorms | null = null;
  const hostRows = (): Float32Array =>
    adopted === null ? host : adopted.access.read(adopted.view, 0, Math.max(0, rows) * width);

  const checkLive = (): void => {
    if (disposed) throw new GraceError('DISPOSED_TENSOR', 'this row mirror was disposed', {});
  };
  const hostKeyRows = (): HostKeyRows => {
    if (norms === null) {
      const current = hostRows();
      norms = new HostKeyNorms(width);
      norms.follow(current, planRowSync(width, -1, current, 'all'));
    }
    const squaredNorms = norms.squaredNorms();
    // Read when the search reads it, after its own tfjs calls (which may grow the wasm memory).
    return {
      get keys() {
        return hostRows();
      },
      squaredNorms,
    };
  };
  const replaceHandle = (storage: TfTensor, rowCount: number): void => {
    handle?.release();
    handle = new TfjsTensor(
      context.owner,
      'float32',
      storage,
      [rowCount, ...frozenRowShape],
      undefined,
      hostKeyRows,
    );
  };

  return {
    rowShape: frozenRowShape,
    width,
    get rows() {
      return Math.max(0, rows);
    },
    get backendBytes() {
      return heldRows * width * 4 + (norms?.bytes ?? 0);
    },
    sync(next: Float32Array, changedRows: readonly number[] | 'all'): void {
      checkLive();
      const plan = planRowSync(width, rows, next, changedRows);
      const access = inPlaceAccess(tf);
      // Norms first: `next` may view the wasm memory, which the allocations below may grow (and detach).
      norms?.follow(next, plan);
      const ownStorage = access === null ? undefined : rowStorageUnder(access, next);
      adopted = null;
      if (access !== null && ownStorage !== undefined) {
        capacity?.dispose();
        capacity = null;
        capacityRows = 0;
        replaceHandle(access.view(ownStorage, [plan.rows, ...frozenRowShape]), plan.rows);
        adopted = { view: (handle as TfjsTensor<'float32'>).storage, access };
        host = new Float32Array(0);
        heldRows = 0;
        rows = plan.rows;
        return;
      }
      // Rows in a wasm memory (this one, or one holding row storage while another tfjs backend is active) that are
      // not a storage served here are copied out first: that memory may grow and detach them.
      const movable = (access?.heap !== undefined && isInHeap(access.heap, next)) || isInStorageHeap(next);
      host = movable ? next.slice() : next;
      if (access === null) {
        capacity?.dispose();
        capacity = null;
        capacityRows = 0;
        replaceHandle(tf.tensor(host.slice(), [plan.rows, ...frozenRowShape], 'float32'), plan.rows);
        heldRows = plan.rows;
        rows = plan.rows;
        return;
      }
      if (access.adopt !== undefined) {
        capacity?.dispose();
        capacity = null;
        capacityRows = 0;
        replaceHandle(access.adopt(host, [plan.rows, ...frozenRowShape]), plan.rows);
        heldRows = 0;
        rows = plan.rows;
        return;
      }
      let copyAll = plan.copyAll || capacity === null;
      if (capacity === null || plan.rows > capacityRows) {
        const grown = grownCapacity(capacityRows, Math.max(1, plan.rows));
        capacity?.dispose();
        capacity = access.allocate([grown, width]);
        capacityRows = grown;
        heldRows = grown;
        copyAll = true;
      }
      const storage = capacity;
      const copy = (first: number, end: number): void => {
        if (end > first) access.write(storage, first * width, host.subarray(first * width, end * width));
      };
      if (copyAll) {
        copy(0, plan.rows);
      } else {
        for (const row of plan.changedRows) copy(row, row + 1);
        copy(plan.appendedFrom, plan.rows);
      }
      replaceHandle(access.view(storage, [plan.rows, ...frozenRowShape]), plan.rows);
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
      capacity?.dispose();
      capacity = null;
      heldRows = 0;
      norms = null;
      adopted = null;
      host = new Float32Array(0);
    },
  };
}
