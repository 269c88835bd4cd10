import type { DotProductEngine } from '@grace/core';
import { runBackendConformance } from '@grace/core/testing/vitest';
import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '../cpu-backend.js';

/** A plain float32 product (each step rounded with Math.fround), counting its calls. */
function float32Engine(): DotProductEngine & { calls: number } {
  const engine = {
    name: 'float32 loop',
    unitRoundoff: 2 ** -24,
    calls: 0,
    dotProducts(queries: Float32Array, keys: Float32Array, batch: number, keyCount: number, width: number) {
      engine.calls++;
      const products = new Float32Array(batch * keyCount);
      for (let row = 0; row < batch; row++) {
        for (let key = 0; key < keyCount; key++) {
          let sum = 0;
          for (let column = 0; column < width; column++) {
            sum = Math.fround(sum + Math.fround(queries[row * width + column] * keys[key * width + column]));
          }
          products[row * keyCount + key] = sum;
        }
      }
      return products;
    },
  };
  return engine;
}

// Every case through an engine's product and the exact recheck: the reference's answers bit for bit.
runBackendConformance(() => createCpuBackend({ dotProducts: float32Engine(), dotProductMinimumPairs: 0 }), {
  tolerance: 0,
});

describe('createCpuBackend({ dotProducts })', () => {
  it('uses the engine from dotProductMinimumPairs query-key pairs on, its own loop below', () => {
    const engine = float32Engine();
    const backend = createCpuBackend({ dotProducts: engine, dotProductMinimumPairs: 6 });
    const keys = backend.upload(new Float32Array([0, 0, 1, 1, 2, 2]), [3, 2]);
    backend.nearestKey(backend.upload(new Float32Array([1, 1]), [1, 2]), keys);
    expect(engine.calls).toBe(0);
    backend.nearestKey(backend.upload(new Float32Array([1, 1, 2, 2]), [2, 2]), keys);
    expect(engine.calls).toBe(1);
  });

  it('recomputes cached key norms after the keys are written in place', async () => {
    const backend = createCpuBackend({ dotProducts: float32Engine(), dotProductMinimumPairs: 0 });
    const keys = backend.upload(new Float32Array([0, 0, 10, 10]), [2, 2]);
    const query = backend.upload(new Float32Array([9, 9]), [1, 2]);
    expect(Array.from(await backend.download(backend.nearestKey(query, keys).index))).toEqual([1]);
    // One Adam step with learning rate 100 moves key 1 to about (110, 110): key 0 becomes the nearest. With the
    // stale norm of (10, 10), the norm identity would put key 1 far ahead and rule key 0 out.
    backend.adamStep({
      parameter: keys,
      gradient: backend.upload(new Float32Array([0, 0, -1, -1]), [2, 2]),
      firstMoment: backend.upload(new Float32Array(4), [2, 2]),
      secondMoment: backend.upload(new Float32Array(4), [2, 2]),
      step: 1,
      hyperparameters: { learningRate: 100, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
    });
    expect(Array.from(await backend.download(backend.nearestKey(query, keys).index))).toEqual([0]);
  });
});
