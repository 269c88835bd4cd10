import {
  GraceError,
  grownCapacity,
  planRowSync,
  type RowMirror,
  rowMirrorWidth,
  type Shape,
  type Tensor,
} from '@grace/core';
import type { TfjsKernelContext } from './kernel-context.js';
import type { TensorFlow, TfTensor } from './tensorflow.js';
import type { TfjsTensor } from './tfjs-tensor.js';

/** Reaching into a tfjs tensor's own memory, where the active tfjs backend lets JavaScript do so. */
interface InPlaceAccess {
  /** Writes floats into `storage` from element `firstElement` on. */
  write(storage: TfTensor, firstElement: number, data: Float32Array): void;
  /** A `[rows, ...]` tensor over the first elements of `storage`'s data, without copying it. */
  view(storage: TfTensor, shape: number[]): TfTensor;
}

/** What the wasm and cpu tfjs backends expose (public fields of their classes, not of tfjs-core's types). */
interface ReachableBackend {
  incRef?(dataId: object): void;
  getMemoryOffset?(dataId: object): number;
  wasm?: { HEAPF32?: Float32Array };
  data?: { get(dataId: object): { values?: unknown } | undefined };
}

/**
 * In-place access for the active tfjs backend: the wasm heap (tfjs-backend-wasm: the view is a second
 * reference to the same data, as tfjs's own reshape makes) or the values array (tfjs-backend-cpu: the view
 * wraps a `subarray` of it, which tfjs stores without copying); `null` elsewhere (webgl, webgpu, tfjs-node),
 * whose memory JavaScript cannot write.
 */
function inPlaceAccess(tf: TensorFlow): InPlaceAccess | null {
  const backend = tf.backend() as unknown as ReachableBackend;
  const { incRef, getMemoryOffset, wasm, data } = backend;
  if (
    typeof incRef === 'function' &&
    typeof getMemoryOffset === 'function' &&
    wasm?.HEAPF32 instanceof Float32Array
  ) {
    return {
      write: (storage, firstElement, values) => {
        // Read the heap view afresh: it is replaced whenever the wasm memory grows.
        const heap = wasm.HEAPF32 as Float32Array;
        heap.set(values, getMemoryOffset.call(backend, storage.dataId) / 4 + firstElement);
      },
      view: (storage, shape) => {
        incRef.call(backend, storage.dataId);
        return tf.engine().makeTensorFromDataId(storage.dataId, shape, 'float32', tf.backend());
      },
    };
  }
  if (data !== undefined && typeof data.get === 'function') {
    const valuesOf = (storage: TfTensor): Float32Array => {
      const values = data.get(storage.dataId)?.values;
      if (!(values instanceof Float32Array)) {
        throw new GraceError('BACKEND_FAILURE', 'the tfjs cpu backend holds this tensor in another form', {});
      }
      return values;
    };
    return {
      write: (storage, firstElement, values) => valuesOf(storage).set(values, firstElement),
      view: (storage, shape) =>
        tf.tensor(
          valuesOf(storage).subarray(
            0,
            shape.reduce((product, size) => product * size, 1),
          ),
          shape,
        ),
    };
  }
  return null;
}

/**
 * The tfjs backend's {@link RowMirror}.
 *
 * On tfjs's wasm and cpu backends the mirror keeps one tensor with spare rows (grown by `grownCapacity`, the
 * rows copied from the host at each growth) and writes an edit's rows straight into its memory — O(width) per
 * row — handing kernels a `[rows, ...rowShape]` tensor over the same data (a second reference to it, as tfjs's
 * own reshape makes). tfjs tensors are otherwise immutable and webgl, webgpu and tfjs-node keep their memory
 * out of JavaScript's reach, so there each sync uploads the whole matrix again (O(rows × width)).
 * Whatever the kernels cached from the previous tensor (transposed keys, norms) is freed with it.
 */
export function createTfjsRowMirror(context: TfjsKernelContext, rowShape: Shape): RowMirror {
  const width = rowMirrorWidth(rowShape);
  const frozenRowShape = Object.freeze([...rowShape]);
  const { tf } = context;
  let rows = -1;
  let capacityRows = 0;
  /** `[capacityRows, width]`, in-place backends only. */
  let capacity: TfTensor | null = null;
  let handle: TfjsTensor<'float32'> | null = null;
  let disposed = false;

  const checkLive = (): void => {
    if (disposed) throw new GraceError('DISPOSED_TENSOR', 'this row mirror was disposed', {});
  };
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
      return capacity !== null ? capacityRows * width * 4 : Math.max(0, rows) * width * 4;
    },
    sync(host: Float32Array, changedRows: readonly number[] | 'all'): void {
      checkLive();
      const plan = planRowSync(width, rows, host, changedRows);
      const access = inPlaceAccess(tf);
      if (access === null) {
        capacity?.dispose();
        capacity = null;
        capacityRows = 0;
        replaceHandle(tf.tensor(host.slice(), [plan.rows, ...frozenRowShape], 'float32'), plan.rows);
        rows = plan.rows;
        return;
      }
      let copyAll = plan.copyAll || capacity === null;
      if (capacity === null || plan.rows > capacityRows) {
        const grown = grownCapacity(capacityRows, Math.max(1, plan.rows));
        capacity?.dispose();
        capacity = tf.zeros([grown, width], 'float32');
        capacityRows = grown;
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
    },
  };
}
