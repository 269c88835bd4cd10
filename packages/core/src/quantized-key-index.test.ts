import { describe, expect, it } from 'vitest';
import { exactNearestAmong } from './exact-nearest-key.js';
import {
  createQuantizedKeyIndex,
  QuantizedKeyIndex,
  quantizedIndexMaximumWidth,
} from './quantized-key-index.js';
import { SeededRandom } from './random.js';

const everyKey = (count: number): number[] => Array.from({ length: count }, (_, key) => key);

/** The brute-force reference: every key summed exactly, ties to the lowest index. */
function bruteForce(query: Float32Array, keys: Float32Array, width: number) {
  return exactNearestAmong(query, 0, keys, width, everyKey(keys.length / width));
}

/** Keys of four kinds: uniform, clustered, far from the origin with near-duplicates and exact duplicates. */
function makeKeys(random: SeededRandom, kind: number, keyCount: number, width: number): Float32Array {
  const keys = new Float32Array(keyCount * width);
  const centers = Array.from({ length: 5 }, () =>
    Float32Array.from({ length: width }, () => random.normal() * 5),
  );
  for (let key = 0; key < keyCount; key++) {
    for (let column = 0; column < width; column++) {
      const center = centers[key % 5] as Float32Array;
      keys[key * width + column] =
        kind === 0
          ? random.uniform(-10, 10)
          : kind === 1
            ? (center[column] as number) + random.normal() * 0.05
            : kind === 2
              ? 1e4 + random.normal()
              : (center[column] as number) * 1e-30;
    }
  }
  // Exact duplicates (ties go to the lowest index) and one-ulp near-duplicates.
  for (let key = 7; key < keyCount; key += 23) {
    keys.copyWithin(key * width, (key - 7) * width, (key - 6) * width);
    if (key % 2 === 0) keys[key * width] = Math.fround((keys[key * width] as number) * (1 + 2 ** -23));
  }
  return keys;
}

/** Queries on a key, next to one, between clusters and far away. */
function makeQuery(random: SeededRandom, keys: Float32Array, width: number, trial: number): Float32Array {
  const source = random.integer(0, keys.length / width);
  const row = keys.subarray(source * width, (source + 1) * width);
  const noise = [0, 1e-6, 1e-2, 1, 100][trial % 5] as number;
  return Float32Array.from(row, (value) => value + random.normal() * noise * Math.max(1, Math.abs(value)));
}

describe('QuantizedKeyIndex', () => {
  it('answers exactly what brute force answers, bit for bit: uniform, clustered, far from the origin, tiny', () => {
    for (let seed = 1; seed <= 16; seed++) {
      const random = new SeededRandom(seed);
      const width = [1, 7, 64, 768][seed % 4] as number;
      const keyCount = random.integer(1, 700);
      const keys = makeKeys(random, seed % 4, keyCount, width);
      const index = new QuantizedKeyIndex(width, { minimumKeys: 1 });
      index.update(keys, 'all');
      for (let trial = 0; trial < 10; trial++) {
        const query = makeQuery(random, keys, width, trial);
        expect(index.nearest(query, keys), `seed ${seed} trial ${trial}`).toEqual(
          bruteForce(query, keys, width),
        );
      }
    }
  });

  it('stays exact as rows are appended, rewritten and dropped one edit at a time', () => {
    const random = new SeededRandom(41);
    const width = 33;
    const index = new QuantizedKeyIndex(width, { minimumKeys: 1 });
    let keys = new Float32Array(0);
    for (let step = 0; step < 400; step++) {
      const rows = keys.length / width;
      const action = rows === 0 ? 0 : random.integer(0, 10);
      const changed: number[] = [];
      if (action < 6) {
        const grown = new Float32Array(keys.length + width);
        grown.set(keys);
        const near = rows > 0 && random.next() < 0.5 ? random.integer(0, rows) : -1;
        for (let column = 0; column < width; column++) {
          grown[rows * width + column] =
            near >= 0
              ? (keys[near * width + column] as number) + random.normal() * 1e-3
              : random.normal() * 3;
        }
        keys = grown;
      } else if (action < 9) {
        const row = random.integer(0, rows);
        for (let column = 0; column < width; column++) keys[row * width + column] = random.normal() * 3;
        changed.push(row, row);
      } else {
        keys = keys.slice(0, (rows - 1) * width);
      }
      index.update(keys, changed);
      expect(index.rows).toBe(keys.length / width);
      if (keys.length === 0) continue;
      const query = makeQuery(random, keys, width, step);
      expect(index.nearest(query, keys), `step ${step}`).toEqual(bruteForce(query, keys, width));
    }
  });

  it('keeps exact ties where the bounds are exact too: zero keys, integer keys coded without error', () => {
    const width = 16;
    const keys = new Float32Array(300 * width);
    for (let key = 100; key < 300; key++) {
      for (let column = 0; column < width; column++)
        keys[key * width + column] = ((key * 7 + column) % 255) - 127;
    }
    const index = new QuantizedKeyIndex(width, { minimumKeys: 1 });
    index.update(keys, 'all');
    expect(index.nearest(new Float32Array(width), keys)).toEqual({ index: 0, squaredDistance: 0 });
    for (const source of [120, 299]) {
      const query = keys.slice(source * width, (source + 1) * width);
      expect(index.nearest(query, keys)).toEqual(bruteForce(query, keys, width));
    }
  });

  it('declines what it cannot bound: too few keys, a key or query that is not finite', () => {
    const width = 4;
    const keys = Float32Array.from({ length: 40 * width }, (_, position) => position % 7);
    const index = new QuantizedKeyIndex(width, { minimumKeys: 10 });
    index.update(keys.subarray(0, 9 * width), 'all');
    expect(index.nearest(new Float32Array(width), keys)).toBeNull();
    expect(index.bytes).toBe(0);
    index.update(keys, []);
    expect(index.nearest(new Float32Array(width), keys)).toEqual(
      bruteForce(new Float32Array(width), keys, width),
    );
    expect(index.nearest(Float32Array.of(0, Number.NaN, 0, 0), keys)).toBeNull();
    keys[5] = Number.POSITIVE_INFINITY;
    index.update(keys, [1]);
    expect(index.nearest(new Float32Array(width), keys)).toBeNull();
    keys[5] = 2;
    index.update(keys, [1]);
    expect(index.nearest(new Float32Array(width), keys)).toEqual(
      bruteForce(new Float32Array(width), keys, width),
    );
  });

  it('holds about a quarter of the float32 keys and refuses widths its int32 sums cannot hold', () => {
    const width = 768;
    const keyCount = 4000;
    const index = new QuantizedKeyIndex(width);
    index.update(new Float32Array(keyCount * width).fill(1), 'all');
    expect(index.bytes).toBeGreaterThan(keyCount * width);
    expect(index.bytes).toBeLessThan(keyCount * width * 4 * 0.3);
    expect(createQuantizedKeyIndex(quantizedIndexMaximumWidth + 1)).toBeNull();
    expect(() => new QuantizedKeyIndex(0)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
