import { type NearestKeyResult, type Tensor, validateNearestKeyArguments } from '@grace/core';
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

/**
 * The nearest-key search shared by `nearestKey` and the fused `lookup`; call it inside `tf.tidy`.
 *
 * The search ranks keys by `|q|² − 2 q·k + |k|²`, whose cross term is one matrix product `[B, Dk] × [Dk, N]`:
 * the fast path on every tfjs backend. In float32 that identity cancels catastrophically near 0 (a query equal
 * to a key of squared norm 768 gets a residue of about 1e-4 instead of 0, and rounding can make it negative,
 * which the `max(·, 0)` guard clamps), so it only chooses the key: the reported distance is recomputed
 * directly as `‖q − k‖` for the chosen key, a cheap `[B, Dk]` pass, and is accurate near 0 where the deferral
 * test needs it. A NaN squared distance is ranked as +Infinity so that it never wins; `tf.argMin` gives ties
 * to the lowest index (checked by the conformance suite's tie cases).
 */
export function nearestKeyTensors(
  tf: TensorFlow,
  queries: TfTensor,
  keys: TfTensor,
  layout: KeyLayout,
): NearestKeyTensors {
  const batch = queries.shape[0] as number;
  const keyCount = keys.shape[0] as number;
  if (keyCount === 0) {
    return {
      index: tf.fill([batch], -1, 'int32'),
      distance: tf.fill([batch], Number.POSITIVE_INFINITY, 'float32'),
    };
  }
  const queryNorms = tf.sum(tf.square(queries), 1, true); // [B, 1]
  const cross = tf.matMul(queries, layout.transposed); // [B, N]
  const identity = tf.add(tf.sub(queryNorms, tf.mul(cross, 2)), layout.squaredNorms);
  const clamped = tf.maximum(identity, 0);
  const ranked = tf.where(tf.isNaN(clamped), tf.fill(clamped.shape, Number.POSITIVE_INFINITY), clamped);
  const best = tf.argMin(ranked, 1); // int32 [B]
  const found = tf.isFinite(tf.min(ranked, 1));
  const chosenKeys = tf.gather(keys, best);
  const direct = tf.sqrt(tf.sum(tf.square(tf.sub(queries, chosenKeys)), 1));
  return {
    index: tf.where(found, best, tf.fill([batch], -1, 'int32')),
    distance: tf.where(found, direct, tf.fill([batch], Number.POSITIVE_INFINITY, 'float32')),
  };
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
