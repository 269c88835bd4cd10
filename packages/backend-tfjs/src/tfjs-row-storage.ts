import { checkFloatCount, GraceError, hostRowStorageProvider, type RowStorage } from '@grace/core';
import { type InPlaceAccess, inPlaceAccess, type WasmHeap } from './in-place-access.js';
import type { TensorFlow, TfTensor } from './tensorflow.js';

/** Live row storages of each tfjs-wasm instance, by where they start in its memory (bytes). */
const storagesByHeap = new WeakMap<
  object,
  Map<number, { readonly tensor: TfTensor; readonly floats: number }>
>();
/** Every wasm memory that row storage was allocated in, whichever tfjs backend is active now. */
const storageHeaps = new Set<WasmHeap>();

/**
 * The tfjs backend's `allocateRowStorage`. On tfjs-backend-wasm a codebook's rows then live in a float32 tensor
 * in the wasm memory, which the row mirror serves to kernels as it is (`rowStorageUnder`), so keys, values and
 * radii are stored once instead of once in JavaScript and once in the wasm memory. `floats()` reads the
 * memory's current buffer each time: a `WebAssembly.Memory` that grows (any tfjs call may allocate) detaches
 * every view made before. Elsewhere (tfjs-backend-cpu, whose mirror computes on the host's own arrays already;
 * webgl, webgpu, tfjs-node, whose memory JavaScript cannot reach) the storage is a plain `Float32Array`.
 */
export function createTfjsRowStorage(tf: TensorFlow, floats: number): RowStorage {
  checkFloatCount(floats);
  const access = inPlaceAccess(tf);
  const heap = access?.heap;
  if (access === null || heap === undefined) return hostRowStorageProvider.allocateRowStorage(floats);
  // At least one float, so that the tensor has memory of its own to be found by.
  const tensor = access.allocate([Math.max(1, floats)]);
  const byteOffset = heap.byteOffsetOf(tensor);
  const storages = storagesByHeap.get(heap.owner) ?? new Map();
  if (!storagesByHeap.has(heap.owner)) storageHeaps.add(heap);
  storagesByHeap.set(heap.owner, storages);
  storages.set(byteOffset, { tensor, floats });
  let disposed = false;
  return {
    length: floats,
    floats(): Float32Array {
      if (disposed) throw new GraceError('DISPOSED_TENSOR', 'this row storage was disposed', {});
      return access.read(tensor, 0, floats);
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      storages.delete(byteOffset);
      // A mirror's view of these rows keeps the memory (tfjs counts references to it) until its next sync.
      tensor.dispose();
    },
  };
}

/**
 * The row storage tensor that `host` views from its first float, when `host` is such a view (of the
 * active tfjs-wasm instance's memory); else `undefined`.
 */
export function rowStorageUnder(access: InPlaceAccess, host: Float32Array): TfTensor | undefined {
  const heap = access.heap;
  if (heap === undefined || !isInHeap(heap, host)) return undefined;
  const storage = storagesByHeap.get(heap.owner)?.get(host.byteOffset);
  return storage !== undefined && host.length <= storage.floats ? storage.tensor : undefined;
}

/** Whether `host` views the wasm memory itself: it must be copied before anything allocates there. */
export function isInHeap(heap: WasmHeap, host: Float32Array): boolean {
  return host.buffer === heap.buffer();
}

/**
 * Whether `host` views a wasm memory that holds row storage, even while another tfjs backend is active (the
 * application switched): such rows must be copied, never adopted or kept, since that memory may move.
 */
export function isInStorageHeap(host: Float32Array): boolean {
  for (const heap of storageHeaps) if (isInHeap(heap, host)) return true;
  return false;
}
