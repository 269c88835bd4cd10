import { GraceError } from '@grace/core';
import type { TensorFlow, TfTensor } from './tensorflow.js';

/** Reaching into a tfjs tensor's own memory, where the active tfjs backend lets JavaScript do so. */
export interface InPlaceAccess {
  /**
   * A new float32 tensor of zeros to write into. `tf.fill` runs natively on wasm, where `tf.zeros`
   * builds the zeros in JavaScript and copies them in: 9–23 s for 77–96 M floats, against 30–120 ms.
   */
  allocate(shape: number[]): TfTensor;
  /** Writes floats into `storage` from element `firstElement` on. */
  write(storage: TfTensor, firstElement: number, data: Float32Array): void;
  /**
   * A live view of `storage`'s floats `[firstElement, firstElement + length)`, valid until the next tfjs call
   * (the wasm heap's view is replaced whenever its memory grows). Do not keep it.
   */
  read(storage: TfTensor, firstElement: number, length: number): Float32Array;
  /** A `[rows, ...]` tensor over the first elements of `storage`'s data, without copying it. */
  view(storage: TfTensor, shape: number[]): TfTensor;
  /**
   * Where the tfjs backend computes on JavaScript arrays (tfjs-backend-cpu): a tensor over `host` itself, no
   * copy, so that a mirror stores nothing beside the host's rows; `undefined` elsewhere.
   */
  readonly adopt?: (host: Float32Array, shape: number[]) => TfTensor;
  /**
   * Where the tfjs backend computes in WebAssembly memory (tfjs-backend-wasm): that memory, in which row
   * storage can live (see `createTfjsRowStorage`); `undefined` elsewhere.
   */
  readonly heap?: WasmHeap;
}

/** A tfjs-backend-wasm instance's memory. */
export interface WasmHeap {
  /** The tfjs backend instance, which owns the memory; the same object for every call. */
  readonly owner: object;
  /** The memory's current buffer (replaced, and the old one detached, whenever the memory grows). */
  buffer(): ArrayBufferLike;
  /** Where `storage`'s data starts in the memory, in bytes. */
  byteOffsetOf(storage: TfTensor): number;
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
export function inPlaceAccess(tf: TensorFlow): InPlaceAccess | null {
  const backend = tf.backend() as unknown as ReachableBackend;
  const { incRef, getMemoryOffset, wasm, data } = backend;
  // Kept: the tensor belongs to a mirror, whatever `tidy` it is made in.
  const allocate = (shape: number[]): TfTensor => tf.keep(tf.fill(shape, 0, 'float32'));
  if (
    typeof incRef === 'function' &&
    typeof getMemoryOffset === 'function' &&
    wasm?.HEAPF32 instanceof Float32Array
  ) {
    // Read the heap view afresh each time: it is replaced whenever the wasm memory grows.
    const byteOffsetOf = (storage: TfTensor): number => getMemoryOffset.call(backend, storage.dataId);
    const offsetOf = (storage: TfTensor): number => byteOffsetOf(storage) / 4;
    return {
      heap: { owner: backend, buffer: () => (wasm.HEAPF32 as Float32Array).buffer, byteOffsetOf },
      allocate,
      write: (storage, firstElement, values) => {
        (wasm.HEAPF32 as Float32Array).set(values, offsetOf(storage) + firstElement);
      },
      read: (storage, firstElement, length) => {
        const start = offsetOf(storage) + firstElement;
        return (wasm.HEAPF32 as Float32Array).subarray(start, start + length);
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
      allocate,
      write: (storage, firstElement, values) => valuesOf(storage).set(values, firstElement),
      read: (storage, firstElement, length) =>
        valuesOf(storage).subarray(firstElement, firstElement + length),
      view: (storage, shape) =>
        tf.tensor(
          valuesOf(storage).subarray(
            0,
            shape.reduce((product, size) => product * size, 1),
          ),
          shape,
        ),
      // tfjs's cpu backend keeps the array it is given; kept past any tidy, since the mirror owns it.
      adopt: (host, shape) => tf.keep(tf.tensor(host, shape, 'float32')),
    };
  }
  return null;
}
