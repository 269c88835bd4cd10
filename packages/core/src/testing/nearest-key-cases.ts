import type { GraceBackend } from '../backend.js';
import { SeededRandom } from '../random.js';
import { assertClose, assertEqualInts, assertTensorLayout, assertTrue } from './assertions.js';
import type { ConformanceCase, ResolvedConformanceOptions } from './conformance-case.js';
import { assertNearestKeyConforms } from './reference-checks.js';
import { referenceNearestKey } from './reference-kernels.js';
import { defineScopedCase, type TensorScope } from './tensor-scope.js';

const suite = 'nearestKey';

/** Runs `nearestKey` on host arrays and downloads both outputs, checking their layouts on the way. */
export async function runNearestKey(
  scope: TensorScope,
  queries: ArrayLike<number>,
  keys: ArrayLike<number>,
  width: number,
): Promise<{ index: Int32Array; distance: Float32Array; batch: number; keyCount: number }> {
  const backend: GraceBackend = scope.backend;
  const batch = queries.length / width;
  const keyCount = keys.length / width;
  const result = backend.nearestKey(
    scope.float32(queries, [batch, width]),
    scope.float32(keys, [keyCount, width]),
  );
  scope.keep(result.index);
  scope.keep(result.distance);
  assertTensorLayout(result.index, [batch], 'int32', 'index');
  assertTensorLayout(result.distance, [batch], 'float32', 'distance');
  return {
    index: await backend.download(result.index),
    distance: await backend.download(result.distance),
    batch,
    keyCount,
  };
}

/**
 * Random queries and keys uniform in [-1, 1), and (with `nearQueries`) queries that are keys plus a little
 * noise, as GRACE's queries are when an edit is revisited; checked against the float64 brute force.
 */
function randomCase(
  name: string,
  seed: number,
  batch: number,
  keyCount: number,
  width: number,
  tolerance: number,
  nearQueries = false,
): ConformanceCase {
  return defineScopedCase(suite, name, async (scope) => {
    const random = new SeededRandom(seed);
    const keys = random.floats(keyCount * width);
    const queries = random.floats(batch * width);
    if (nearQueries) {
      for (let row = 0; row < batch; row++) {
        const key = random.integer(0, keyCount);
        for (let dimension = 0; dimension < width; dimension++) {
          queries[row * width + dimension] = keys[key * width + dimension] + random.uniform(-0.01, 0.01);
        }
      }
    }
    const actual = await runNearestKey(scope, queries, keys, width);
    const reference = referenceNearestKey(
      { data: queries, shape: [batch, width] },
      { data: keys, shape: [keyCount, width] },
    );
    assertNearestKeyConforms(actual, reference, keyCount, tolerance, 'nearestKey');
  });
}

/**
 * The search every lookup and every edit starts with. Hand-made cases use distances that float32 computes
 * exactly, so their indices are checked exactly on every backend, ties included.
 */
export function nearestKeyCases(options: ResolvedConformanceOptions): ConformanceCase[] {
  const { tolerance } = options;
  return [
    defineScopedCase(suite, 'hand-made: indices and unsquared distances', async (scope) => {
      // keys (0,0) (3,4) (10,0); queries (3,4) → key 1 at 0, (1,0) → key 0 at 1, (9,1) → key 2 at √2,
      // (0,0) → key 0 at 0, (6,8) → key 1 at 5 (not 25: the distance is not squared).
      const actual = await runNearestKey(scope, [3, 4, 1, 0, 9, 1, 0, 0, 6, 8], [0, 0, 3, 4, 10, 0], 2);
      assertEqualInts(actual.index, [1, 0, 2, 0, 1], 'index');
      assertClose(actual.distance, [0, 1, Math.fround(Math.SQRT2), 0, 5], tolerance, 'distance');
    }),
    defineScopedCase(suite, 'ties go to the lowest index', async (scope) => {
      // From the origin, (1,0), (0,1) and (-1,0) are all at distance 1.
      const square = await runNearestKey(scope, [0, 0], [1, 0, 0, 1, -1, 0], 2);
      assertEqualInts(square.index, [0], 'equidistant keys');
      // Duplicated keys: the first copy wins.
      const duplicated = await runNearestKey(scope, [1, 1, 5, 5], [5, 5, 1, 1, 1, 1, 5, 5], 2);
      assertEqualInts(duplicated.index, [1, 0], 'duplicated keys');
      // Width 5 (not a multiple of 4); keys 1 and 2 are permutations at √55, key 0 is farther (√66).
      const permuted = await runNearestKey(
        scope,
        [0, 0, 0, 0, 0],
        [1, 2, 3, 4, 6, 5, 4, 3, 2, 1, 1, 2, 3, 4, 5],
        5,
      );
      assertEqualInts(permuted.index, [1], 'permuted keys');
      assertClose(permuted.distance, [Math.fround(Math.sqrt(55))], tolerance, 'permuted distance');
    }),
    defineScopedCase(suite, 'no keys: index -1 and distance +Infinity', async (scope) => {
      const actual = await runNearestKey(scope, [1, 2, 3, 4, 5, 6], [], 3);
      assertEqualInts(actual.index, [-1, -1], 'index');
      assertTrue(
        actual.distance.every((distance) => distance === Number.POSITIVE_INFINITY),
        `distance: expected +Infinity, got [${actual.distance}]`,
      );
    }),
    defineScopedCase(suite, 'one key is every query’s nearest', async (scope) => {
      const actual = await runNearestKey(scope, [0, 0, 0, 100, -3, 4, 7, 7, 7], [1, 1, 1], 3);
      assertEqualInts(actual.index, [0, 0, 0], 'index');
      assertClose(
        actual.distance,
        [Math.fround(Math.sqrt(3)), Math.fround(Math.sqrt(9826)), Math.fround(Math.sqrt(108))],
        tolerance,
        'distance',
      );
    }),
    defineScopedCase(suite, 'width 1', async (scope) => {
      const actual = await runNearestKey(scope, [0.25, 2.75, -9], [0, 1, 2, 3], 1);
      assertEqualInts(actual.index, [0, 3, 0], 'index');
      assertClose(actual.distance, [0.25, 0.25, 9], tolerance, 'distance');
    }),
    randomCase('random [1] × [1] keys, width 1', 11, 1, 1, 1, tolerance),
    randomCase('random [3] × [5] keys, width 2', 12, 3, 5, 2, tolerance),
    randomCase('random [7] × [13] keys, width 17', 13, 7, 13, 17, tolerance),
    randomCase('random [16] × [100] keys, width 33', 14, 16, 100, 33, tolerance),
    randomCase('random [33] × [257] keys, width 8', 15, 33, 257, 8, tolerance),
    randomCase('queries near keys [24] × [200] keys, width 16', 16, 24, 200, 16, tolerance, true),
    randomCase('10,000 keys, width 64, batch 32 vs float64 brute force', 17, 32, 10_000, 64, tolerance),
  ];
}
