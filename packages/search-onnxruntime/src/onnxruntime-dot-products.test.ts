import { createCpuBackend } from '@grace/backend-cpu';
import { exactNearestAmong } from '@grace/core';
import { runBackendConformance } from '@grace/core/testing/vitest';
import { describe, expect, it } from 'vitest';
import { createOnnxruntimeDotProducts } from './onnxruntime-dot-products.js';

const engine = createOnnxruntimeDotProducts();

// The whole suite, routing cases included, with every search going through onnxruntime's product (no
// minimum size), at tolerance 0: the answers must be the reference's bit for bit.
runBackendConformance(() => createCpuBackend({ dotProducts: engine, dotProductMinimumPairs: 0 }), {
  tolerance: 0,
});

function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
}

describe('createOnnxruntimeDotProducts', () => {
  it('gives every q·k within float32 accuracy', () => {
    const random = seededRandom(1);
    const [batch, keyCount, width] = [3, 5, 7];
    const queries = Float32Array.from({ length: batch * width }, random);
    const keys = Float32Array.from({ length: keyCount * width }, random);
    const products = engine.dotProducts(queries, keys, batch, keyCount, width);
    expect(products).toHaveLength(batch * keyCount);
    for (let row = 0; row < batch; row++) {
      for (let key = 0; key < keyCount; key++) {
        let sum = 0;
        for (let column = 0; column < width; column++) {
          sum += (queries[row * width + column] as number) * (keys[key * width + column] as number);
        }
        expect(products[row * keyCount + key]).toBeCloseTo(sum, 5);
      }
    }
  });

  it('makes the CPU backend pick the exact nearest key among clustered near-duplicates far from the origin', async () => {
    const random = seededRandom(2);
    const [batch, keyCount, width] = [8, 600, 64];
    // Keys 1e3 from the origin and 1e-3 apart: the float32 norm identity alone ranks them wrongly.
    const center = Float32Array.from({ length: width }, () => 1000 + random());
    const keys = Float32Array.from(
      { length: keyCount * width },
      (_, at) => (center[at % width] as number) + 1e-3 * random(),
    );
    const queries = Float32Array.from(
      { length: batch * width },
      (_, at) => (center[at % width] as number) + 1e-3 * random(),
    );
    const backend = createCpuBackend({ dotProducts: engine });
    const result = backend.nearestKey(
      backend.upload(queries, [batch, width]),
      backend.upload(keys, [keyCount, width]),
    );
    const index = await backend.download(result.index);
    const all = Array.from({ length: keyCount }, (_, key) => key);
    for (let row = 0; row < batch; row++) {
      expect(index[row]).toBe(exactNearestAmong(queries, row * width, keys, width, all).index);
    }
  });

  it('refuses a thread count that is not a positive integer', () => {
    expect(() => createOnnxruntimeDotProducts({ threads: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
