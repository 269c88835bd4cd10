import {
  type LookupArguments,
  type LookupResult,
  type ReplacementMode,
  validateLookupArguments,
} from '@grace/core';
import type { TfjsKernelContext } from '../kernel-context.js';
import type { TensorFlow, TfTensor } from '../tensorflow.js';
import { readHostIntegers } from '../tfjs-tensor.js';
import { keyLayoutOf, nearestKeyTensors } from './nearest-key.js';
import { selectPreservesBits } from './select-preserves-bits.js';
import { expectRowsInRange } from './token-ranges.js';

/**
 * The GRACE layer at inference, fused in one `tidy`: nearest key (exact: one matrix product of dot products
 * pre-selects, the candidates are rechecked on the host, see `nearestKeyTensors`; that read-back of `[N, B]`
 * products is the only one), deferral test `distance <= radius` on the distance `nearestKey`
 * reports (so the two agree exactly), replacement by one `gather` of rows, which copies rather than computes. On
 * a tfjs backend whose row copies do not keep float32 bit patterns (the cpu backend quietens signalling NaNs),
 * the hit decision still runs as tensors but the rows are assembled on the host with byte copies: the spec's promise that deferred rows are the frozen layer's output
 * bit for bit outranks speed, and on that backend the data is in host memory anyway.
 */
export function lookup(context: TfjsKernelContext, args: LookupArguments): LookupResult {
  const { sequence, spanLength } = validateLookupArguments(args);
  const { tf } = context;
  const queries = context.read(args.queries, 'queries');
  const layout = keyLayoutOf(context, args.keys);
  const radii = context.read(args.radii, 'radii');
  const values = context.read(args.values, 'values');
  const layerOutput = context.read(args.layerOutput, 'layerOutput');
  const batch = args.queries.shape[0] as number;
  const shape = args.layerOutput.shape;
  const tokens = sequence ? (shape[1] as number) : 1;
  let positions: TfTensor | undefined;
  if (sequence && args.keyPositions !== undefined) {
    positions = context.read(args.keyPositions, 'keyPositions');
    const hostPositions = readHostIntegers(args.keyPositions, context.owner, 'keyPositions');
    expectRowsInRange(hostPositions, 0, tokens - 1, 'keyPositions');
  }
  const keyCount = args.keys.shape[0] as number;
  const exactSelect = selectPreservesBits(tf);
  const [output, hitIndex] = tf.tidy(() => {
    if (keyCount === 0) return [tf.clone(layerOutput), tf.fill([batch], -1, 'int32')];
    const nearest = nearestKeyTensors(tf, queries, layout);
    const safeIndex = tf.maximum(nearest.index, tf.scalar(0, 'int32'));
    const fires = tf.logicalAnd(
      tf.greaterEqual(nearest.index, 0),
      tf.lessEqual(nearest.distance, tf.gather(radii, safeIndex)),
    );
    const hits = tf.where(fires, nearest.index, tf.fill([batch], -1, 'int32'));
    if (!exactSelect) return [tf.clone(layerOutput), hits];
    // Rows are copied, never computed: every (row, token) reads its row of a table holding the frozen output's
    // rows and then each batch row's value, through one gather. tfjs's broadcasting `where` would tile the
    // condition and the value to [B, T, Dv] first, which on tfjs wasm costs more than the rest of the lookup.
    // With `span` each batch row brings S value rows, and token t reads its row's vector t - keyPosition.
    const span = sequence && positions !== undefined && args.mode === 'span';
    const tokenIndex = tf.reshape(tf.range(0, tokens, 1, 'int32'), [1, tokens]);
    const keyToken = positions === undefined ? undefined : tf.reshape(positions, [batch, 1]);
    const replaced = replacedMask(tf, fires, tokenIndex, keyToken, args.mode, spanLength, [batch, tokens]);
    const elements = batch * tokens;
    const own = tf.reshape(tf.range(0, elements, 1, 'int32'), [batch, tokens]);
    const valueRow = tf.reshape(tf.range(elements, elements + batch * spanLength, spanLength, 'int32'), [
      batch,
      1,
    ]);
    const valueSource = span
      ? tf.add(valueRow, tf.sub(tokenIndex, keyToken as TfTensor))
      : tf.broadcastTo(valueRow, [batch, tokens]);
    const source = tf.reshape(tf.where(replaced, valueSource, own), [elements]);
    const width = shape.at(-1) as number;
    const valueRows = tf.reshape(tf.gather(values, safeIndex), [batch * spanLength, width]);
    const table = tf.concat([tf.reshape(layerOutput, [elements, width]), valueRows], 0);
    return [tf.reshape(tf.gather(table, source), [...shape]), hits];
  }) as [TfTensor, TfTensor];
  if (!exactSelect && keyCount > 0) {
    const assembled = assembleOnHost(output, values, hitIndex, positions, args.mode, tokens);
    output.dispose();
    return {
      output: context.wrap(tf.tensor(assembled, shape as number[], 'float32'), 'float32', shape),
      hitIndex: context.wrap(hitIndex, 'int32', [batch]),
    };
  }
  return {
    output: context.wrap(output, 'float32', shape),
    hitIndex: context.wrap(hitIndex, 'int32', [batch]),
  };
}

/**
 * bool `[B, T]` (`T` = 1 without a sequence): which tokens of `layerOutput` take their row's value. `tokenIndex`
 * is `[1, T]`, `keyToken` `[B, 1]` (undefined without a sequence).
 */
function replacedMask(
  tf: TensorFlow,
  fires: TfTensor,
  tokenIndex: TfTensor,
  keyToken: TfTensor | undefined,
  mode: ReplacementMode,
  spanLength: number,
  [batch, tokens]: [number, number],
): TfTensor {
  const firing = tf.reshape(fires, [batch, 1]);
  if (keyToken === undefined || mode === 'all') return tf.broadcastTo(firing, [batch, tokens]);
  const inRange =
    mode === 'last'
      ? tf.equal(tokenIndex, keyToken)
      : mode === 'prompt'
        ? tf.less(tokenIndex, keyToken)
        : tf.logicalAnd(
            tf.greaterEqual(tokenIndex, keyToken),
            tf.less(tokenIndex, tf.add(keyToken, tf.scalar(spanLength, 'int32'))),
          );
  return tf.logicalAnd(firing, inRange);
}

/** The replacement with `TypedArray.set` (byte copies), for tfjs backends whose `where` changes bits. */
function assembleOnHost(
  copy: TfTensor,
  values: TfTensor,
  hitIndex: TfTensor,
  positions: TfTensor | undefined,
  mode: ReplacementMode,
  tokens: number,
): Float32Array {
  const output = (copy.dataSync() as Float32Array).slice();
  const valueData = values.dataSync() as Float32Array;
  const hits = hitIndex.dataSync() as Int32Array;
  const keyPositions = positions?.dataSync() as Int32Array | undefined;
  const width = copy.shape.at(-1) as number;
  const valueWidth = values.shape[1] as number;
  const spanLength = width === 0 ? 1 : valueWidth / width;
  hits.forEach((key, row) => {
    if (key < 0) return;
    const keyToken = keyPositions?.[row] ?? 0;
    const [first, end] =
      keyPositions === undefined || mode === 'all'
        ? [0, tokens]
        : mode === 'last'
          ? [keyToken, keyToken + 1]
          : mode === 'prompt'
            ? [0, keyToken]
            : [keyToken, Math.min(keyToken + spanLength, tokens)];
    for (let token = first; token < end; token++) {
      // Every mode but `span` has one vector; a span's vector s sits at token first + s.
      const start = key * valueWidth + (mode === 'span' ? (token - first) * width : 0);
      output.set(valueData.subarray(start, start + width), (row * tokens + token) * width);
    }
  });
  return output;
}
