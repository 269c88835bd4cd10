import { describe, expect, it } from 'vitest';
import { Codebook } from './codebook.js';
import type { DotProductEngine } from './dot-product-engine.js';
import { rowSquaredNorms } from './dot-product-engine.js';
import { exactNearestAmong } from './exact-nearest-key.js';
import { float64DotProducts, hostNearestKey } from './host-nearest-key.js';
import { SeededRandom } from './random.js';

const everyKey = (count: number): number[] => Array.from({ length: count }, (_, key) => key);

/** A float32 engine that rounds each product through float32, as a BLAS engine would. */
const float32Engine: DotProductEngine = {
  name: 'float32 test engine',
  unitRoundoff: 2 ** -24,
  dotProducts: (queries, keys, batch, keyCount, width) => {
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
  },
};

describe('hostNearestKey', () => {
  it('picks the brute-force key and squared distance bit for bit: near-duplicates far from the origin, ties', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const random = new SeededRandom(seed);
      const width = [7, 64, 768][seed % 3] as number;
      const keyCount = random.integer(256, 900);
      const offset = seed % 2 === 0 ? 1e4 : 0;
      const keys = Float32Array.from({ length: keyCount * width }, () => offset + random.normal());
      // Near-duplicates one ulp apart and exact duplicates (ties go to the lowest index).
      for (let key = 3; key < keyCount; key += 29) {
        keys.copyWithin(key * width, (key - 3) * width, (key - 2) * width);
        if (key % 2 === 0) keys[key * width] = Math.fround((keys[key * width] as number) * (1 + 2 ** -23));
      }
      const norms = rowSquaredNorms(keys, keyCount, width);
      for (let trial = 0; trial < 6; trial++) {
        const source = random.integer(0, keyCount);
        const query = Float32Array.from(
          keys.subarray(source * width, (source + 1) * width),
          (value) => value + (trial % 3 === 0 ? 0 : random.normal() * 10 ** -trial),
        );
        const expected = exactNearestAmong(query, 0, keys, width, everyKey(keyCount));
        for (const engine of [undefined, float32Engine]) {
          const found = hostNearestKey({
            query,
            keys,
            keySquaredNorms: norms,
            keyCount,
            width,
            ...(engine === undefined ? {} : { engine }),
          });
          expect(found, `seed ${seed} trial ${trial} ${engine?.name ?? 'float64'}`).toEqual(expected);
        }
      }
    }
  });

  it('float64DotProducts are dot products', () => {
    const query = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const keys = new Float32Array([...query, ...query.map((value) => -value)]);
    expect(Array.from(float64DotProducts(query, keys, 2, 9))).toEqual([285, -285]);
  });

  it("lets a codebook's decisions be the same with and without an engine, across rollbacks", () => {
    const random = new SeededRandom(11);
    const make = (engine: DotProductEngine | undefined): Codebook => {
      const codebook = new Codebook({ keyDimension: 32, valueDimension: 2, layerId: 'layer', epsInit: 2 });
      codebook.useDotProducts(engine);
      return codebook;
    };
    const plain = make(undefined);
    const fast = make(float32Engine);
    const queries = Array.from({ length: 400 }, () => random.floats(32, -1, 1).map((value) => value * 3));
    for (const [index, query] of queries.entries()) {
      const request = { query, label: index % 3, id: `edit-${index}` };
      // A plain array takes the brute-force loop: the fast decision must be the same.
      expect(fast.plan(query, request.label)).toEqual(plain.plan(Array.from(query), request.label));
      expect(fast.applyEdit(request).operation).toBe(plain.applyEdit(request).operation);
    }
    plain.rollback('edit-5');
    fast.rollback('edit-5');
    expect(fast.snapshot()).toEqual(plain.snapshot());
    expect(fast.records.map((record) => [record.operation, record.nearestIndex, record.distance])).toEqual(
      plain.records.map((record) => [record.operation, record.nearestIndex, record.distance]),
    );
  });
});
