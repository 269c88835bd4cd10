import { describe, expect, it } from 'vitest';
import { exactNearestAmong, nearestKeyCandidates } from './exact-nearest-key.js';
import { SeededRandom } from './random.js';

/** A float32 sum in one of three orders a real kernel might use. */
function float32Sum(terms: number[], order: 'forward' | 'reverse' | 'pairwise'): number {
  if (order === 'pairwise') {
    let level = terms.map((term) => Math.fround(term));
    while (level.length > 1) {
      const next: number[] = [];
      for (let index = 0; index < level.length; index += 2)
        next.push(Math.fround((level[index] as number) + (level[index + 1] ?? 0)));
      level = next;
    }
    return level[0] ?? 0;
  }
  const ordered = order === 'reverse' ? [...terms].reverse() : terms;
  return ordered.reduce((sum, term) => Math.fround(sum + term), 0);
}

/** One search: row-major queries `[B, D]` and keys `[N, D]`, and the order float32 sums are taken in. */
interface Search {
  readonly queries: Float32Array;
  readonly keys: Float32Array;
  readonly batch: number;
  readonly keyCount: number;
  readonly width: number;
  readonly order: 'forward' | 'reverse' | 'pairwise';
}

/** The norm identity in float32, as a GEMM-based search computes it. */
function normIdentity({ queries, keys, batch, keyCount, width, order }: Search) {
  const row = (data: Float32Array, index: number) =>
    Array.from(data.subarray(index * width, (index + 1) * width));
  const squares = (vector: number[]) => vector.map((value) => Math.fround(value * value));
  const querySquaredNorms = Array.from({ length: batch }, (_, index) =>
    float32Sum(squares(row(queries, index)), order),
  );
  const keySquaredNorms = Array.from({ length: keyCount }, (_, index) =>
    float32Sum(squares(row(keys, index)), order),
  );
  const approximateSquared = new Float32Array(batch * keyCount);
  for (let query = 0; query < batch; query++) {
    const q = row(queries, query);
    for (let key = 0; key < keyCount; key++) {
      const k = row(keys, key);
      const dot = float32Sum(
        q.map((value, column) => Math.fround(value * (k[column] as number))),
        order,
      );
      const partial = Math.fround((querySquaredNorms[query] as number) - Math.fround(2 * dot));
      approximateSquared[query * keyCount + key] = Math.max(
        0,
        Math.fround(partial + (keySquaredNorms[key] as number)),
      );
    }
  }
  return { approximateSquared, querySquaredNorms, keySquaredNorms };
}

function nearestByRecheck(search: Search) {
  const { queries, keys, batch, keyCount, width } = search;
  const candidates = nearestKeyCandidates({
    ...normIdentity(search),
    batch,
    keyCount,
    width,
  });
  return candidates.map((rows, query) => ({
    ...exactNearestAmong(queries, query * width, keys, width, rows),
    candidates: rows.length,
  }));
}

describe('nearestKeyCandidates + exactNearestAmong', () => {
  it('always keep the exact nearest key, at every magnitude, width and summation order', () => {
    const random = new SeededRandom(7);
    for (const width of [2, 17, 64, 768]) {
      for (const norm of [1e-3, 1, 100, 27_700, 1e5]) {
        const [batch, keyCount] = [4, 12];
        const centre = random.floats(width, -1, 1).map((value) => (value * norm) / Math.sqrt(width));
        const keys = new Float32Array(keyCount * width);
        // Near-duplicate keys: the centre plus noise a thousandth of the norm.
        for (let index = 0; index < keys.length; index++)
          keys[index] = (centre[index % width] as number) + random.uniform(-1, 1) * norm * 1e-3;
        const queries = new Float32Array(batch * width);
        for (let row = 0; row < batch; row++) {
          const key = random.integer(0, keyCount);
          queries.set(keys.subarray(key * width, (key + 1) * width), row * width);
        }
        const all = Array.from({ length: keyCount }, (_, key) => key);
        for (const order of ['forward', 'reverse', 'pairwise'] as const) {
          const rechecked = nearestByRecheck({ queries, keys, batch, keyCount, width, order });
          rechecked.forEach((result, row) => {
            const exact = exactNearestAmong(queries, row * width, keys, width, all);
            expect(result.index, `width ${width}, norm ${norm}, ${order}, row ${row}`).toBe(exact.index);
            expect(result.squaredDistance).toBe(0);
          });
        }
      }
    }
  });

  it('narrows the candidates for a float64 identity with its own round-off, and still keeps the nearest', () => {
    const random = new SeededRandom(11);
    const width = 768;
    const keys = new Float32Array(8 * width);
    const centre = random.normals(width).map((value) => value * 1000);
    for (let index = 0; index < keys.length; index++)
      keys[index] = (centre[index % width] as number) + random.uniform(-1, 1) * 0.01;
    const query = keys.subarray(3 * width, 4 * width);
    const norm = (vector: ArrayLike<number>) =>
      Array.from(vector).reduce((sum, value) => sum + value * value, 0);
    const keyNorms = Array.from({ length: 8 }, (_, key) =>
      norm(keys.subarray(key * width, (key + 1) * width)),
    );
    const approximateSquared = keyNorms.map((keyNorm, key) => {
      let dot = 0;
      for (let column = 0; column < width; column++)
        dot += (query[column] as number) * (keys[key * width + column] as number);
      return norm(query) - 2 * dot + keyNorm;
    });
    const inputs = {
      approximateSquared,
      querySquaredNorms: [norm(query)],
      keySquaredNorms: keyNorms,
      batch: 1,
      keyCount: 8,
      width,
    };
    const [float64] = nearestKeyCandidates({ ...inputs, unitRoundoff: 2 ** -53 });
    const [float32] = nearestKeyCandidates(inputs);
    expect(Array.from(float64 as Int32Array)).toContain(3);
    expect((float64 as Int32Array).length).toBeLessThan((float32 as Int32Array).length);
    expect(exactNearestAmong(query, 0, keys, width, float64 as Int32Array).index).toBe(3);
  });

  it('picks 4000.25 for the query 4000.25 (1-D keys 4000 and 4000.25)', () => {
    const keys = Float32Array.from([4000, 4000.25]);
    const [result] = nearestByRecheck({
      queries: Float32Array.from([4000.25]),
      keys,
      batch: 1,
      keyCount: 2,
      width: 1,
      order: 'forward',
    });
    expect(result).toMatchObject({ index: 1, squaredDistance: 0 });
  });

  it('rechecks one key when the keys are far apart relative to the bound', () => {
    const keys = Float32Array.from([0, 0, 10, 0, 0, 10]);
    const rows = nearestByRecheck({
      queries: Float32Array.from([9, 1]),
      keys,
      batch: 1,
      keyCount: 3,
      width: 2,
      order: 'forward',
    });
    expect(rows[0]).toMatchObject({ index: 1, candidates: 1 });
  });

  it('gives ties to the lowest index and lets no NaN win', () => {
    const keys = Float32Array.from([Number.NaN, 0, 1, 0, -1, 0, 0, 1]);
    expect(exactNearestAmong(Float32Array.from([0, 0]), 0, keys, 2, [3, 2, 1, 0])).toEqual({
      index: 1,
      squaredDistance: 1,
    });
    expect(exactNearestAmong(Float32Array.from([Number.NaN, 0]), 0, keys, 2, [0, 1, 2, 3]).index).toBe(-1);
    const candidates = nearestKeyCandidates({
      approximateSquared: [Number.NaN, Number.NaN],
      querySquaredNorms: [Number.NaN],
      keySquaredNorms: [1, Number.NaN],
      batch: 1,
      keyCount: 2,
      width: 2,
    });
    expect(Array.from(candidates[0] as Int32Array)).toEqual([0]);
  });
});
