import { SeededRandom } from '../random.js';
import { assertTrue } from './assertions.js';
import type { ConformanceCase, ResolvedConformanceOptions } from './conformance-case.js';
import { runLookup } from './lookup-cases.js';
import { runNearestKey } from './nearest-key-cases.js';
import { assertLookupConforms, assertNearestKeyConforms } from './reference-checks.js';
import { referenceNearestKey } from './reference-kernels.js';
import { defineScopedCase } from './tensor-scope.js';

/**
 * Batch sizes around the tile heights a GPU backend may pick its kernel by (1, 2, 4, 8, 16, 32 queries), on
 * each side of each: a batch of one request must get the answer a full batch gets.
 */
export const conformanceBatchSizes: readonly number[] = [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 32, 33];

/** 600 keys: more than one tile of up to 512 keys, with a ragged last tile; width 21 fits no chunk. */
const keyCount = 600;
const width = 21;

/** Keys uniform in [-1, 1); every other query sits within 0.01 per coordinate of a random key. */
function batchFixture(seed: number, batch: number): { queries: Float32Array; keys: Float32Array } {
  const random = new SeededRandom(seed);
  const keys = random.floats(keyCount * width);
  const queries = random.floats(batch * width);
  for (let row = 0; row < batch; row += 2) {
    const key = random.integer(0, keyCount);
    for (let dimension = 0; dimension < width; dimension++) {
      queries[row * width + dimension] = keys[key * width + dimension] + random.uniform(-0.01, 0.01);
    }
  }
  return { queries, keys };
}

/**
 * `nearestKey` and `lookup` at every batch size of {@link conformanceBatchSizes}, against the float64
 * reference: a backend that specialises its kernels by batch must give every size the same answers.
 */
export function batchSizeCases(options: ResolvedConformanceOptions): ConformanceCase[] {
  const { tolerance } = options;
  return [
    defineScopedCase('nearestKey', 'batches of 1 to 33 queries match the reference', async (scope) => {
      for (const batch of conformanceBatchSizes) {
        const { queries, keys } = batchFixture(100 + batch, batch);
        const actual = await runNearestKey(scope, queries, keys, width);
        const reference = referenceNearestKey(
          { data: queries, shape: [batch, width] },
          { data: keys, shape: [keyCount, width] },
        );
        assertNearestKeyConforms(actual, reference, keyCount, tolerance, `nearestKey, batch ${batch}`);
      }
    }),
    defineScopedCase('lookup', 'batches of 1 to 33 queries match the reference', async (scope) => {
      let hits = 0;
      let deferrals = 0;
      for (const batch of conformanceBatchSizes) {
        const { queries, keys } = batchFixture(200 + batch, batch);
        const random = new SeededRandom(300 + batch);
        // Near queries are ~0.026 from their key, random ones ~1.5 from their nearest: 0.2 splits them.
        const fixture = {
          queries: { data: queries, shape: [batch, width] },
          keys: { data: keys, shape: [keyCount, width] },
          radii: new Float32Array(keyCount).fill(0.2),
          values: { data: random.floats(keyCount * 3, -5, 5), shape: [keyCount, 3] },
          layerOutput: { data: random.floats(batch * 3), shape: [batch, 3] },
          mode: 'all' as const,
        };
        const actual = await runLookup(scope, fixture);
        const referenceHits = assertLookupConforms(actual, fixture, tolerance, `lookup, batch ${batch}`);
        for (const hit of referenceHits) {
          if (hit >= 0) hits++;
          else deferrals++;
        }
      }
      assertTrue(
        hits > 0 && deferrals > 0,
        `the fixtures must hit and defer (${hits} hits, ${deferrals} deferrals)`,
      );
    }),
  ];
}
