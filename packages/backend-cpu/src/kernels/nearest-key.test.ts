import { SeededRandom } from '@grace/core';
import { describe, expect, it } from 'vitest';
import { nearestKeyRows } from './nearest-key.js';

/** The plain loop the unrolled, pruned search must reproduce bit for bit. */
function plainSearch(
  queries: Float32Array,
  keys: Float32Array,
  batch: number,
  keyCount: number,
  width: number,
) {
  const index: number[] = [];
  const squaredDistance: number[] = [];
  for (let row = 0; row < batch; row++) {
    let best = Number.POSITIVE_INFINITY;
    let bestKey = -1;
    for (let key = 0; key < keyCount; key++) {
      let sum = 0;
      for (let dimension = 0; dimension < width; dimension++) {
        const difference = queries[row * width + dimension] - keys[key * width + dimension];
        sum += difference * difference;
      }
      if (sum < best) {
        best = sum;
        bestKey = key;
      }
    }
    index.push(bestKey);
    squaredDistance.push(best);
  }
  return { index, squaredDistance };
}

describe('nearestKeyRows', () => {
  it('equals the plain float64 loop exactly, squared distances included, for every width remainder', () => {
    const random = new SeededRandom(2024);
    for (let width = 1; width <= 13; width++) {
      const [batch, keyCount] = [9, 40];
      const keys = random.floats(keyCount * width);
      const queries = random.floats(batch * width);
      const fast = nearestKeyRows(queries, keys, batch, keyCount, width);
      const plain = plainSearch(queries, keys, batch, keyCount, width);
      expect(Array.from(fast.index)).toEqual(plain.index);
      expect(Array.from(fast.squaredDistance)).toEqual(plain.squaredDistance);
    }
  });

  it('adds the dimensions in order, as the plain loop does, even where reassociating would round differently', () => {
    // Key 0 is (1.5, 2^-26, 2^-26, 2^-26): in order, 2.25 + 2^-52 rounds back to 2.25 three times, a tie with
    // key 1 at exactly 2.25 that goes to key 0. Summing the small terms first would give 2.25 + 2^-51 and
    // make key 1 the nearest.
    const tiny = 2 ** -26;
    const keys = Float32Array.from([1.5, tiny, tiny, tiny, 1.5, 0, 0, 0]);
    const result = nearestKeyRows(new Float32Array(4), keys, 1, 2, 4);
    expect(Array.from(result.index)).toEqual([0]);
    expect(result.squaredDistance[0]).toBe(2.25);
  });

  it('lets no NaN distance win, and reports -1 when every distance is NaN', () => {
    const keys = Float32Array.from([Number.NaN, 0, 3, 4]);
    const result = nearestKeyRows(Float32Array.from([0, 0, Number.NaN, 0]), keys, 2, 2, 2);
    expect(Array.from(result.index)).toEqual([1, -1]);
    expect(Array.from(result.squaredDistance)).toEqual([25, Number.POSITIVE_INFINITY]);
  });
});
