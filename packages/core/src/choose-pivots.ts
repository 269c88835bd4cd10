import { exactSquaredDistance } from './exact-nearest-key.js';

/**
 * Farthest-first pivots among the first keys (at most 256 of them): the key farthest from key 0, then each
 * time the key farthest from every pivot chosen so far, so the pivots spread over the data.
 */
export function choosePivots(keys: Float32Array, rows: number, width: number, count: number): Float32Array {
  const pool = Math.min(rows, 256);
  const pivots = new Float32Array(count * width);
  const nearestPivot = new Float64Array(pool);
  for (let row = 0; row < pool; row++)
    nearestPivot[row] = exactSquaredDistance(keys, row * width, keys, 0, width);
  for (let pivot = 0; pivot < count; pivot++) {
    let chosen = 0;
    for (let row = 1; row < pool; row++) {
      if ((nearestPivot[row] as number) > (nearestPivot[chosen] as number)) chosen = row;
    }
    pivots.set(keys.subarray(chosen * width, (chosen + 1) * width), pivot * width);
    for (let row = 0; row < pool; row++) {
      const squared = exactSquaredDistance(keys, row * width, pivots, pivot * width, width);
      if (!(squared >= (nearestPivot[row] as number))) nearestPivot[row] = squared;
    }
  }
  return pivots;
}
