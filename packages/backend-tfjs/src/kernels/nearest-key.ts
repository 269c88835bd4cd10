import {
  exactNearestAmong,
  type NearestKeyResult,
  nearestKeyCandidates,
  type Tensor,
  validateNearestKeyArguments,
} from '@grace/core';
import type { TfjsKernelContext } from '../kernel-context.js';
import type { TensorFlow, TfTensor } from '../tensorflow.js';
import { resolveTfjsTensor } from '../tfjs-tensor.js';

/** Per-row winners of {@link nearestKeyTensors}; both `[B]`. */
export interface NearestKeyTensors {
  /** int32: the nearest key, -1 where no key has a finite distance (always so when N = 0). */
  readonly index: TfTensor;
  /** float32: the Euclidean distance to that key, +Infinity where `index` is -1. */
  readonly distance: TfTensor;
}

/** What the search needs of the keys besides the keys: both depend on the keys only, so they are cached. */
export interface KeyLayout {
  /** `[Dk, N]`: tfjs's matMul with `transposeB` is several times slower on wasm than on a transposed copy. */
  readonly transposed: TfTensor;
  /** `[N]`: `|k|²`. */
  readonly squaredNorms: TfTensor;
}

/** The cached {@link KeyLayout} of a keys handle, made on first use. */
export function keyLayoutOf(context: TfjsKernelContext, keys: Tensor<'float32'>): KeyLayout {
  const handle = resolveTfjsTensor(keys, context.owner, 'keys');
  const { tf } = context;
  return {
    transposed: handle.derived('transposed', (storage) => tf.transpose(storage), tf.keep),
    squaredNorms: handle.derived(
      'squaredNorms',
      (storage) => tf.tidy(() => tf.sum(tf.square(storage), 1)),
      tf.keep,
    ),
  };
}

/** Host copies of key tensors, for the exact recheck; keyed by the tfjs tensor, which never changes. */
const hostKeyCopies = new WeakMap<TfTensor, Float32Array>();

function hostKeys(keys: TfTensor): Float32Array {
  let copy = hostKeyCopies.get(keys);
  if (copy === undefined) {
    copy = keys.dataSync() as Float32Array;
    hostKeyCopies.set(keys, copy);
  }
  return copy;
}

/**
 * The nearest-key search shared by `nearestKey` and the fused `lookup`; exact, as core's
 * `exactNearestAmong` defines it, ties to the lowest index.
 *
 * The fast part ranks keys by the norm identity `‖q‖² − 2 q·k + ‖k‖²`, whose cross term is one matrix product
 * `[B, Dk] × [Dk, N]`: the fast path on every tfjs backend. In float32 that identity cancels catastrophically
 * for keys far from the origin and close together (1-D keys 4000 and 4000.25 are 0.0625 apart in squared
 * distance, below the identity's rounding of 4000²), so it only pre-selects: core's `nearestKeyCandidates`
 * keeps every key its rigorous error bound cannot rule out (usually one), and those are rechecked by direct
 * difference in float64 on the host, exactly as the reference does. The approximate distances `[B, N]` and
 * the queries are read back for that; the keys are read once per keys tensor and kept. Both results are
 * returned as new tfjs tensors `[B]`.
 */
export function nearestKeyTensors(
  tf: TensorFlow,
  queries: TfTensor,
  keys: TfTensor,
  layout: KeyLayout,
): NearestKeyTensors {
  const [batch, width] = queries.shape as [number, number];
  const keyCount = keys.shape[0] as number;
  if (keyCount === 0) {
    return {
      index: tf.fill([batch], -1, 'int32'),
      distance: tf.fill([batch], Number.POSITIVE_INFINITY, 'float32'),
    };
  }
  const [queryNorms, identity] = tf.tidy(() => {
    const norms = tf.sum(tf.square(queries), 1); // [B]
    const cross = tf.matMul(queries, layout.transposed); // [B, N]
    const squared = tf.add(tf.sub(tf.expandDims(norms, 1), tf.mul(cross, 2)), layout.squaredNorms);
    return [norms, squared];
  }) as [TfTensor, TfTensor];
  const approximateSquared = identity.dataSync() as Float32Array;
  const querySquaredNorms = queryNorms.dataSync() as Float32Array;
  identity.dispose();
  queryNorms.dispose();
  const candidates = nearestKeyCandidates({
    approximateSquared,
    querySquaredNorms,
    keySquaredNorms: layout.squaredNorms.dataSync() as Float32Array,
    batch,
    keyCount,
    width,
  });
  const queryData = queries.dataSync() as Float32Array;
  const keyData = hostKeys(keys);
  const index = new Int32Array(batch);
  const distance = new Float32Array(batch);
  candidates.forEach((rowCandidates, row) => {
    const nearest = exactNearestAmong(queryData, row * width, keyData, width, rowCandidates);
    index[row] = nearest.index;
    distance[row] = Math.sqrt(nearest.squaredDistance);
  });
  return { index: tf.tensor1d(index, 'int32'), distance: tf.tensor1d(distance, 'float32') };
}

/** `queries [B, Dk]`, `keys [N, Dk]` → nearest key index and distance per query (see {@link nearestKeyTensors}). */
export function nearestKey(
  context: TfjsKernelContext,
  queries: Tensor<'float32'>,
  keys: Tensor<'float32'>,
): NearestKeyResult {
  validateNearestKeyArguments(queries, keys);
  const queryStorage = context.read(queries, 'queries');
  const keyStorage = context.read(keys, 'keys');
  const batch = queries.shape[0] as number;
  const layout = keyLayoutOf(context, keys);
  const result = context.tf.tidy(() => {
    const { index, distance } = nearestKeyTensors(context.tf, queryStorage, keyStorage, layout);
    return [index, distance];
  });
  return {
    index: context.wrap(result[0] as TfTensor, 'int32', [batch]),
    distance: context.wrap(result[1] as TfTensor, 'float32', [batch]),
  };
}
