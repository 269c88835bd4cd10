import { describe, expect, it } from 'vitest';
import { exactNearestFromDotProducts, rowSquaredNorms } from './dot-product-engine.js';
import { exactNearestAmong } from './exact-nearest-key.js';
import { SeededRandom } from './random.js';

/** float32 products as a float32 GEMM gives them: every step rounded, overflow to ±Infinity included. */
function float32Products(
  queries: Float32Array,
  keys: Float32Array,
  batch: number,
  keyCount: number,
  width: number,
) {
  const products = new Float32Array(batch * keyCount);
  for (let row = 0; row < batch; row++) {
    for (let key = 0; key < keyCount; key++) {
      let sum = 0;
      for (let column = 0; column < width; column++) {
        sum = Math.fround(
          sum +
            Math.fround((queries[row * width + column] as number) * (keys[key * width + column] as number)),
        );
      }
      products[row * keyCount + key] = sum;
    }
  }
  return products;
}

function expectReference(
  queries: Float32Array,
  keys: Float32Array,
  batch: number,
  keyCount: number,
  width: number,
) {
  const result = exactNearestFromDotProducts({
    queries,
    keys,
    dotProducts: float32Products(queries, keys, batch, keyCount, width),
    querySquaredNorms: rowSquaredNorms(queries, batch, width),
    keySquaredNorms: rowSquaredNorms(keys, keyCount, width),
    batch,
    keyCount,
    width,
    unitRoundoff: 2 ** -24,
  });
  const all = Array.from({ length: keyCount }, (_, key) => key);
  for (let row = 0; row < batch; row++) {
    const expected = exactNearestAmong(queries, row * width, keys, width, all);
    expect([result.index[row], result.squaredDistance[row]], `row ${row}`).toEqual([
      expected.index,
      expected.squaredDistance,
    ]);
  }
}

describe('exactNearestFromDotProducts', () => {
  it('matches brute force on near-duplicate keys far from the origin, at every magnitude up to float32 overflow', () => {
    const random = new SeededRandom(3);
    for (const magnitude of [1e-3, 1, 1e5, 1e18, 1e19, 1e20]) {
      const [batch, keyCount, width] = [6, 40, 16];
      const center = Float32Array.from({ length: width }, () => magnitude * (1 + random.next()));
      const keys = Float32Array.from(
        { length: keyCount * width },
        (_, at) => (center[at % width] as number) * (1 + 1e-6 * random.normal()),
      );
      const queries = Float32Array.from(
        { length: batch * width },
        (_, at) => (center[at % width] as number) * (1 + 1e-6 * random.normal()),
      );
      keys.copyWithin(width, 0, width); // a tie: key 1 equals key 0
      queries.set(keys.subarray(0, width), 0);
      expectReference(queries, keys, batch, keyCount, width);
    }
  });

  it('matches brute force with NaN and infinite keys and queries', () => {
    const width = 3;
    const keys = new Float32Array([
      1,
      2,
      3,
      Number.NaN,
      0,
      0,
      Number.POSITIVE_INFINITY,
      0,
      0,
      1,
      2,
      3.5,
      -4,
      0,
      0,
    ]);
    const queries = new Float32Array([1, 2, 3.1, Number.NaN, 1, 1, Number.POSITIVE_INFINITY, 0, 0, -4, 0, 0]);
    expectReference(queries, keys, 4, 5, width);
  });
});
