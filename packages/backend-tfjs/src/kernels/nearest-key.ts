import {
  exactNearestFromDotProducts,
  type NearestKeyResult,
  squaredNorm,
  type Tensor,
  validateNearestKeyArguments,
} from '@grace/core';
import type { TfjsKernelContext } from '../kernel-context.js';
import type { HostKeyRows, KeyLayout } from '../key-layout.js';
import type { TensorFlow, TfTensor } from '../tensorflow.js';
import { resolveTfjsTensor } from '../tfjs-tensor.js';

/** The unit round-off of float32 products, whatever the summation order: it sizes the candidate bound. */
const float32UnitRoundoff = 2 ** -24;

/** Per-row winners of {@link nearestKeyTensors}; both `[B]`. */
export interface NearestKeyTensors {
  /** int32: the nearest key, -1 where no key has a finite distance (always so when N = 0). */
  readonly index: TfTensor;
  /** float32: the Euclidean distance to that key, +Infinity where `index` is -1. */
  readonly distance: TfTensor;
}

/** The {@link KeyLayout} of a keys handle: a row mirror's host rows, else the tensor's read back once. */
export function keyLayoutOf(context: TfjsKernelContext, keys: Tensor<'float32'>): KeyLayout {
  const handle = resolveTfjsTensor(keys, context.owner, 'keys');
  const rows = handle.storage;
  const host = handle.hostKeyRows() ?? readBackKeys(rows);
  // `keys` stays a getter: rows in the wasm memory must be read after the search's own tfjs calls.
  return {
    rows,
    get keys() {
      return host.keys;
    },
    squaredNorms: host.squaredNorms,
  };
}

/** Host copies of plain key tensors and their norms; keyed by the tfjs tensor, which never changes. */
const readBackCopies = new WeakMap<TfTensor, HostKeyRows>();

function readBackKeys(rows: TfTensor): HostKeyRows {
  let copy = readBackCopies.get(rows);
  if (copy === undefined) {
    const keys = rows.dataSync() as Float32Array;
    const [keyCount, width] = rows.shape as [number, number];
    const squaredNorms = new Float64Array(keyCount);
    for (let key = 0; key < keyCount; key++) squaredNorms[key] = squaredNorm(keys, key, width);
    copy = { keys, squaredNorms };
    readBackCopies.set(rows, copy);
  }
  return copy;
}

/**
 * The nearest-key search shared by `nearestKey` and the fused `lookup`; exact, as core's
 * `exactNearestAmong` defines it, ties to the lowest index.
 *
 * The fast part is one matrix product, the dot products `K Qᵀ` `[N, B]` (float32), which core's
 * `exactNearestFromDotProducts` turns into norm-identity distances `‖q‖² − 2 q·k + ‖k‖²` in float64 with the
 * host's norms, keeps every key the identity's error bound cannot rule out (usually one) and rechecks those
 * by direct difference, exactly as the reference does. The keys are the product's first operand on purpose:
 * tfjs-wasm (XNNPACK) packs and caches a second operand by tensor, which would both copy every key once more
 * and miss a row mirror's in-place writes; as the first operand they are read where they are, so an edit's
 * rows need no re-upload and no transposed copy. The products `[N, B]` are read back; the host keys come
 * from the layout. Both results are returned as new tfjs tensors `[B]`.
 */
export function nearestKeyTensors(tf: TensorFlow, queries: TfTensor, layout: KeyLayout): NearestKeyTensors {
  const [batch, width] = queries.shape as [number, number];
  const keyCount = layout.rows.shape[0] as number;
  if (keyCount === 0) {
    return {
      index: tf.fill([batch], -1, 'int32'),
      distance: tf.fill([batch], Number.POSITIVE_INFINITY, 'float32'),
    };
  }
  const product = tf.tidy(() => tf.matMul(layout.rows, tf.transpose(queries)));
  const keyMajor = product.dataSync() as Float32Array;
  product.dispose();
  const queryData = queries.dataSync() as Float32Array;
  const querySquaredNorms = new Float64Array(batch);
  for (let row = 0; row < batch; row++) querySquaredNorms[row] = squaredNorm(queryData, row, width);
  // The host keys are read here, after the last tfjs call that could have grown the wasm memory.
  const nearest = exactNearestFromDotProducts({
    queries: queryData,
    keys: layout.keys,
    dotProducts: batch === 1 ? keyMajor : queryMajor(keyMajor, keyCount, batch),
    querySquaredNorms,
    keySquaredNorms: layout.squaredNorms,
    batch,
    keyCount,
    width,
    unitRoundoff: float32UnitRoundoff,
  });
  const distance = Float32Array.from(nearest.squaredDistance, Math.sqrt);
  return { index: tf.tensor1d(nearest.index, 'int32'), distance: tf.tensor1d(distance, 'float32') };
}

/** `[N, B]` → `[B, N]`. */
function queryMajor(keyMajor: Float32Array, keyCount: number, batch: number): Float32Array {
  const transposed = new Float32Array(keyCount * batch);
  for (let key = 0; key < keyCount; key++) {
    for (let row = 0; row < batch; row++) {
      transposed[row * keyCount + key] = keyMajor[key * batch + row] as number;
    }
  }
  return transposed;
}

/** `queries [B, Dk]`, `keys [N, Dk]` → nearest key index and distance per query (see {@link nearestKeyTensors}). */
export function nearestKey(
  context: TfjsKernelContext,
  queries: Tensor<'float32'>,
  keys: Tensor<'float32'>,
): NearestKeyResult {
  validateNearestKeyArguments(queries, keys);
  const queryStorage = context.read(queries, 'queries');
  const batch = queries.shape[0] as number;
  const layout = keyLayoutOf(context, keys);
  const result = context.tf.tidy(() => {
    const { index, distance } = nearestKeyTensors(context.tf, queryStorage, layout);
    return [index, distance];
  });
  return {
    index: context.wrap(result[0] as TfTensor, 'int32', [batch]),
    distance: context.wrap(result[1] as TfTensor, 'float32', [batch]),
  };
}
