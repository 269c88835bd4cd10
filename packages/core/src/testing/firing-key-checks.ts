import { exactNearestAmong } from '../exact-nearest-key.js';
import type { FiringKeyIndex } from '../firing-key-index.js';

/**
 * GRACE's answer for every query row by reading every key: the exact nearest key (ties to the lowest index) when
 * its float32-reported distance is within its radius, else -1 (defer). The reference a pruned exact lookup
 * ({@link FiringKeyIndex}) must reproduce bit for bit. `queries [B, D]`, `keys [N, D]`, `radii [N]`, row-major.
 */
export function bruteForceFiringKeys(
  queries: Float32Array,
  keys: Float32Array,
  radii: Float32Array,
  width: number,
): number[] {
  const all = Array.from({ length: radii.length }, (_, key) => key);
  return Array.from({ length: queries.length / width }, (_, row) => {
    const nearest = exactNearestAmong(queries, row * width, keys, width, all);
    return nearest.index >= 0 &&
      Math.fround(Math.sqrt(nearest.squaredDistance)) <= (radii[nearest.index] as number)
      ? nearest.index
      : -1;
  });
}

/**
 * A pruned index's answers with the rows it left undecided answered by {@link bruteForceFiringKeys}, as a
 * backend's `lookup` does, and how many rows it left undecided.
 */
export function firingKeysWithBruteForce(
  index: FiringKeyIndex & { readonly width: number },
  queries: Float32Array,
  keys: Float32Array,
  radii: Float32Array,
): { hits: number[]; undecided: number } {
  const batch = queries.length / index.width;
  const hitIndex = new Int32Array(batch).fill(-7);
  const undecided = index.firingKeys(queries, batch, keys, radii, hitIndex);
  const brute = bruteForceFiringKeys(queries, keys, radii, index.width);
  for (const row of undecided) hitIndex[row] = brute[row] as number;
  return { hits: Array.from(hitIndex), undecided: undecided.length };
}
