import {
  type NearestKeyResult,
  squaredDistanceWithin,
  type Tensor,
  validateNearestKeyArguments,
} from '@grace/core';
import { CpuTensor, liveCpuTensor, readCpuTensor } from '../cpu-tensor.js';

/** Per-row winners of {@link nearestKeyRows}, before anything is rounded to float32. */
export interface NearestKeyRows {
  /** `[B]`: the nearest key, or -1 when no key has a finite distance (always so when N = 0). */
  readonly index: Int32Array;
  /** `[B]`: its squared distance in float64, +Infinity where `index` is -1. */
  readonly squaredDistance: Float64Array;
}

/**
 * The exact nearest-key search shared by `nearestKey` and the fused `lookup`, over raw row-major arrays.
 *
 * Exactness: every squared distance is `sum((q - k)^2)` in float64, accumulated in dimension order with a
 * single accumulator, exactly as a plain loop would; the winner is the smallest squared distance, and a key
 * only replaces the current winner when strictly smaller, so ties go to the lowest index. Squared distances
 * are compared instead of their square roots because two different sums may round to one float64 root;
 * comparing sums keeps the finer order. A NaN distance never wins (every comparison with it is false).
 *
 * Speed, without changing a single bit of the result:
 * - keys run in the outer loop and the `B` queries in the inner one, so a key row is read from memory once
 *   and then stays in cache for the whole batch;
 * - each sum is core's `squaredDistanceWithin` with the row's best as its limit: the same additions in the
 *   same order as the plain loop (unrolled by 4, summed left to right; JavaScript never fuses a multiply-add),
 *   stopped once the partial sum passes the best — adding non-negative terms can never make a float64 sum
 *   smaller, and a key whose sum only equals the best loses the tie to the lower index anyway.
 */
export function nearestKeyRows(
  queryData: Float32Array,
  keyData: Float32Array,
  batch: number,
  keyCount: number,
  width: number,
): NearestKeyRows {
  const index = new Int32Array(batch).fill(-1);
  const squaredDistance = new Float64Array(batch).fill(Number.POSITIVE_INFINITY);
  for (let key = 0; key < keyCount; key++) {
    const keyOffset = key * width;
    for (let row = 0; row < batch; row++) {
      const best = squaredDistance[row] as number;
      const sum = squaredDistanceWithin(queryData, row * width, keyData, keyOffset, width, best);
      if (sum < best) {
        squaredDistance[row] = sum;
        index[row] = key;
      }
    }
  }
  return { index, squaredDistance };
}

/** The float32 distance a backend reports for a float64 squared distance: the one rounding, at the end. */
export function reportedDistance(squaredDistance: number): number {
  return Math.fround(Math.sqrt(squaredDistance));
}

/** The search a backend was made with: the exact loop, or an engine's product and the exact recheck. */
export type KeySearch = (
  queries: Float32Array,
  keys: CpuTensor<'float32'>,
  batch: number,
  width: number,
) => NearestKeyRows;

/**
 * `queries [B, Dk]`, `keys [N, Dk]` → nearest key index and distance per query, exact (see
 * {@link nearestKeyRows}); with `N = 0` every index is -1 and every distance +Infinity.
 */
export function nearestKey(
  owner: object,
  search: KeySearch,
  queries: Tensor<'float32'>,
  keys: Tensor<'float32'>,
): NearestKeyResult {
  validateNearestKeyArguments(queries, keys);
  const queryData = readCpuTensor(queries, owner, 'queries');
  const keyTensor = liveCpuTensor(keys, owner, 'keys');
  const [batch, width] = queries.shape as [number, number];
  const rows = search(queryData, keyTensor, batch, width);
  const distance = new Float32Array(batch);
  for (let row = 0; row < batch; row++) distance[row] = reportedDistance(rows.squaredDistance[row]);
  return {
    index: new CpuTensor(owner, 'int32', rows.index, [batch]),
    distance: new CpuTensor(owner, 'float32', distance, [batch]),
  };
}
