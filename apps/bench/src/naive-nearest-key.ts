/**
 * The nearest-key search as anyone would first write it in plain JavaScript: for each query, for each key,
 * accumulate squared differences, keep the smallest. It is the yardstick of the lookup benchmark (a backend
 * that cannot beat it has no reason to exist) and its oracle (it accumulates in float64, so its answer is the
 * exact one up to float32 input rounding).
 */
export interface NaiveNearestKeyResult {
  /** `[B]`: index of the nearest key (lowest index on ties), -1 when there are no keys. */
  readonly index: Int32Array;
  /** `[B]`: Euclidean distance to that key (not squared), +Infinity when there are no keys. */
  readonly distance: Float64Array;
}

/**
 * Exact nearest key of each query by brute force.
 * Shapes: queries `[B, D]`, keys `[N, D]`, both row-major host arrays.
 */
export function naiveNearestKey(
  queries: Float32Array,
  keys: Float32Array,
  batch: number,
  keyCount: number,
  dims: number,
): NaiveNearestKeyResult {
  const index = new Int32Array(batch).fill(-1);
  const distance = new Float64Array(batch).fill(Number.POSITIVE_INFINITY);
  for (let row = 0; row < batch; row++) {
    const queryOffset = row * dims;
    let bestIndex = -1;
    let bestSquared = Number.POSITIVE_INFINITY;
    for (let key = 0; key < keyCount; key++) {
      const keyOffset = key * dims;
      let squared = 0;
      for (let dimension = 0; dimension < dims; dimension++) {
        const difference = queries[queryOffset + dimension] - keys[keyOffset + dimension];
        squared += difference * difference;
      }
      if (squared < bestSquared) {
        bestSquared = squared;
        bestIndex = key;
      }
    }
    index[row] = bestIndex;
    distance[row] = Math.sqrt(bestSquared);
  }
  return { index, distance };
}

/** Squared Euclidean distance between row `row` of `left` and row `otherRow` of `right`, in float64. */
export function squaredDistance(
  left: Float32Array,
  row: number,
  right: Float32Array,
  otherRow: number,
  dims: number,
): number {
  let squared = 0;
  for (let dimension = 0; dimension < dims; dimension++) {
    const difference = left[row * dims + dimension] - right[otherRow * dims + dimension];
    squared += difference * difference;
  }
  return squared;
}

/** Squared Euclidean norm of row `row` of `matrix`, in float64. */
export function squaredNorm(matrix: Float32Array, row: number, dims: number): number {
  let squared = 0;
  for (let dimension = 0; dimension < dims; dimension++) {
    const value = matrix[row * dims + dimension];
    squared += value * value;
  }
  return squared;
}
