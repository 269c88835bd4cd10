import { type ReplacementMode, replacementModes } from '../backend.js';
import { SeededRandom } from '../random.js';
import type { Shape } from '../tensor.js';
import {
  assertBitsEqual,
  assertEqualInts,
  assertTensorLayout,
  assertThrowsGraceError,
  assertTrue,
} from './assertions.js';
import type { ConformanceCase, ResolvedConformanceOptions } from './conformance-case.js';
import { assertLookupConforms } from './reference-checks.js';
import type { ReferenceLookupArguments } from './reference-kernels.js';
import { defineScopedCase, type TensorScope } from './tensor-scope.js';

const suite = 'lookup';

/** Host data of one lookup call, in the reference's layout. */
type LookupFixture = ReferenceLookupArguments;

/** Runs one lookup of host data on the scope's backend; checks the layouts of what comes back. */
export async function runLookup(
  scope: TensorScope,
  fixture: LookupFixture,
): Promise<{ output: Float32Array; hitIndex: Int32Array }> {
  const { backend } = scope;
  const { queries, keys, radii, values, layerOutput, keyPositions, mode } = fixture;
  const batch = queries.shape[0];
  const result = backend.lookup({
    queries: scope.float32(queries.data, queries.shape),
    keys: scope.float32(keys.data, keys.shape),
    radii: scope.float32(radii, [radii.length]),
    values: scope.float32(values.data, values.shape),
    layerOutput: scope.float32(layerOutput.data, layerOutput.shape),
    ...(keyPositions === undefined ? {} : { keyPositions: scope.int32(keyPositions, [batch]) }),
    mode,
  });
  scope.keep(result.output);
  scope.keep(result.hitIndex);
  assertTensorLayout(result.output, layerOutput.shape, 'float32', 'output');
  assertTensorLayout(result.hitIndex, [batch], 'int32', 'hitIndex');
  return { output: await backend.download(result.output), hitIndex: await backend.download(result.hitIndex) };
}

function host(values: readonly number[] | Float32Array, shape: Shape): { data: Float32Array; shape: Shape } {
  return { data: Float32Array.from(values), shape };
}

/**
 * Keys (0,0) and (10,0), both radius 1, values (100,101) and (200,201). Query 0 is 0.5 from key 0 (fires),
 * query 1 is 5 from key 0 (defers), query 2 is 0.5 from key 1 (fires). Sequence rows are
 * `[T=4, Dv=2]` with key tokens 2, 3 and 1; every activation differs from every value.
 */
function handMadeFixture(mode: ReplacementMode, sequence: boolean): LookupFixture {
  const sequenceOutput = [
    [1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5],
    [11, 11.5, 12, 12.5, 13, 13.5, 14, 14.5],
    [21, 21.5, 22, 22.5, 23, 23.5, 24, 24.5],
  ].flat();
  return {
    queries: host([0.5, 0, 4, 3, 10, 0.5], [3, 2]),
    keys: host([0, 0, 10, 0], [2, 2]),
    radii: [1, 1],
    values: host([100, 101, 200, 201], [2, 2]),
    layerOutput: sequence ? host(sequenceOutput, [3, 4, 2]) : host([1, 1.5, 11, 11.5, 21, 21.5], [3, 2]),
    ...(sequence ? { keyPositions: [2, 3, 1] } : {}),
    mode,
  };
}

const handMadeSequenceExpected: Record<ReplacementMode, number[]> = {
  all: [
    [100, 101, 100, 101, 100, 101, 100, 101],
    [11, 11.5, 12, 12.5, 13, 13.5, 14, 14.5],
    [200, 201, 200, 201, 200, 201, 200, 201],
  ].flat(),
  last: [
    [1, 1.5, 2, 2.5, 100, 101, 4, 4.5],
    [11, 11.5, 12, 12.5, 13, 13.5, 14, 14.5],
    [21, 21.5, 200, 201, 23, 23.5, 24, 24.5],
  ].flat(),
  prompt: [
    [100, 101, 100, 101, 3, 3.5, 4, 4.5],
    [11, 11.5, 12, 12.5, 13, 13.5, 14, 14.5],
    [200, 201, 22, 22.5, 23, 23.5, 24, 24.5],
  ].flat(),
  // Values of one vector (S = 1): `span` is `last`.
  span: [
    [1, 1.5, 2, 2.5, 100, 101, 4, 4.5],
    [11, 11.5, 12, 12.5, 13, 13.5, 14, 14.5],
    [21, 21.5, 200, 201, 23, 23.5, 24, 24.5],
  ].flat(),
};

/** Float32 values from raw bit patterns, for NaN payloads and subnormals that literals cannot spell. */
function fromBits(bits: readonly number[]): Float32Array {
  return new Float32Array(Uint32Array.from(bits).buffer);
}

/** Random keys, radii and values; half the queries sit near a key, so both hits and deferrals occur. */
function randomFixture(seed: number, mode: ReplacementMode, sequence: boolean): LookupFixture {
  const random = new SeededRandom(seed);
  const [batch, tokens, keyCount, keyWidth, valueWidth] = sequence ? [12, 5, 15, 6, 4] : [16, 1, 20, 8, 6];
  const keys = random.floats(keyCount * keyWidth);
  const queries = random.floats(batch * keyWidth);
  for (let row = 0; row < batch; row += 2) {
    const key = random.integer(0, keyCount);
    for (let dimension = 0; dimension < keyWidth; dimension++) {
      queries[row * keyWidth + dimension] = keys[key * keyWidth + dimension] + random.uniform(-0.05, 0.05);
    }
  }
  const outputShape = sequence ? [batch, tokens, valueWidth] : [batch, valueWidth];
  return {
    queries: { data: queries, shape: [batch, keyWidth] },
    keys: { data: keys, shape: [keyCount, keyWidth] },
    radii: random.floats(keyCount, 0.02, 0.6),
    values: { data: random.floats(keyCount * valueWidth, -5, 5), shape: [keyCount, valueWidth] },
    layerOutput: { data: random.floats(batch * tokens * valueWidth), shape: outputShape },
    ...(sequence ? { keyPositions: random.integers(batch, 0, tokens) } : {}),
    mode,
  };
}

/**
 * The GRACE layer at inference. Replacement only copies, so outputs are compared bit for bit; only the hit
 * decision may differ from the reference, and only at a near-tie (see `assertLookupConforms`).
 */
export function lookupCases(options: ResolvedConformanceOptions): ConformanceCase[] {
  const { tolerance } = options;
  const modes = replacementModes;
  return [
    ...modes.map((mode) =>
      defineScopedCase(suite, `sequence, mode '${mode}': hand-made`, async (scope) => {
        const actual = await runLookup(scope, handMadeFixture(mode, true));
        assertEqualInts(actual.hitIndex, [0, -1, 1], 'hitIndex');
        assertBitsEqual(actual.output, Float32Array.from(handMadeSequenceExpected[mode]), 'output');
      }),
    ),
    defineScopedCase(
      suite,
      'non-sequence: a firing row becomes the value, whatever the mode',
      async (scope) => {
        for (const mode of modes) {
          const actual = await runLookup(scope, handMadeFixture(mode, false));
          assertEqualInts(actual.hitIndex, [0, -1, 1], `hitIndex (${mode})`);
          assertBitsEqual(
            actual.output,
            Float32Array.from([100, 101, 11, 11.5, 200, 201]),
            `output (${mode})`,
          );
        }
      },
    ),
    defineScopedCase(suite, 'each row replaces around its own key position', async (scope) => {
      // One key at the origin that every query hits; key tokens 0, 2 and 1 of T = 3.
      const layerOutput = [1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16, 21, 22, 23, 24, 25, 26];
      const expected: Record<ReplacementMode, number[]> = {
        all: Array.from({ length: 9 }, () => [9, 8]).flat(),
        last: [9, 8, 3, 4, 5, 6, 11, 12, 13, 14, 9, 8, 21, 22, 9, 8, 25, 26],
        // Key token 0: nothing comes before it, so the row is unchanged although its key fired.
        prompt: [1, 2, 3, 4, 5, 6, 9, 8, 9, 8, 15, 16, 9, 8, 23, 24, 25, 26],
        span: [9, 8, 3, 4, 5, 6, 11, 12, 13, 14, 9, 8, 21, 22, 9, 8, 25, 26],
      };
      for (const mode of modes) {
        const actual = await runLookup(scope, {
          queries: host([0, 0, 0, 0, 0, 0], [3, 2]),
          keys: host([0, 0], [1, 2]),
          radii: [1],
          values: host([9, 8], [1, 2]),
          layerOutput: host(layerOutput, [3, 3, 2]),
          keyPositions: [0, 2, 1],
          mode,
        });
        assertEqualInts(actual.hitIndex, [0, 0, 0], `hitIndex (${mode})`);
        assertBitsEqual(actual.output, Float32Array.from(expected[mode]), `output (${mode})`);
      }
    }),
    defineScopedCase(
      suite,
      'deferred tokens are copied bit for bit (-0, subnormals, NaN payloads)',
      async (scope) => {
        const special = [
          0x80000000, 0x00000001, 0x807fffff, 0x7fc00001, 0xffc00123, 0x7f800001, 0x3f800000, 0xc0490fdb,
        ];
        // Sequence [3, 4, 2], mode 'last': only row 0 token 2 and row 2 token 1 are replaced.
        const layerOutput = fromBits([...special, ...special, ...special]);
        const expected = layerOutput.slice();
        expected.set([100, 101], (0 * 4 + 2) * 2);
        expected.set([200, 201], (2 * 4 + 1) * 2);
        const sequenceFixture = {
          ...handMadeFixture('last', true),
          layerOutput: { data: layerOutput, shape: [3, 4, 2] },
        };
        const sequence = await runLookup(scope, sequenceFixture);
        assertEqualInts(sequence.hitIndex, [0, -1, 1], 'sequence hitIndex');
        assertBitsEqual(sequence.output, expected, 'sequence output');
        // Non-sequence [3, 8]: row 1 defers and keeps every special value.
        const flatFixture = {
          ...handMadeFixture('all', false),
          values: host(
            [100, 101, 102, 103, 104, 105, 106, 107, 200, 201, 202, 203, 204, 205, 206, 207],
            [2, 8],
          ),
          layerOutput: { data: layerOutput, shape: [3, 8] },
        };
        const flat = await runLookup(scope, flatFixture);
        const flatExpected = layerOutput.slice();
        flatExpected.set(flatFixture.values.data.subarray(0, 8), 0);
        flatExpected.set(flatFixture.values.data.subarray(8, 16), 16);
        assertBitsEqual(flat.output, flatExpected, 'non-sequence output');
      },
    ),
    defineScopedCase(suite, 'a distance equal to the radius fires', async (scope) => {
      const fixture = (query: number[], key: number[], radius: number): LookupFixture => ({
        queries: host(query, [1, 2]),
        keys: host(key, [1, 2]),
        radii: [radius],
        values: host([7, 7], [1, 2]),
        layerOutput: host([1, 1], [1, 2]),
        mode: 'all',
      });
      const pythagorean = await runLookup(scope, fixture([3, 4], [0, 0], 5));
      assertEqualInts(pythagorean.hitIndex, [0], 'distance 5, radius 5');
      const zero = await runLookup(scope, fixture([0.1, -0.7], [0.1, -0.7], 0));
      assertEqualInts(zero.hitIndex, [0], 'distance 0, radius 0');
      // The float32 just below 5: the exact answer is to defer (a float32 backend may be within tolerance).
      const below = fixture([3, 4], [0, 0], Math.fround(5 - 2 ** -21));
      assertLookupConforms(await runLookup(scope, below), below, tolerance, 'radius just below 5');
      // A radius set to a float32 distance (as EXPAND does) covers that distance: √2 rounds down to float32,
      // so comparing the float64 distance would wrongly defer (a float32 backend may be within tolerance).
      const rounded = fixture([1, 1], [0, 0], Math.fround(Math.SQRT2));
      const roundedHits = assertLookupConforms(
        await runLookup(scope, rounded),
        rounded,
        tolerance,
        'radius √2',
      );
      assertEqualInts(roundedHits, [0], 'the reference fires at radius fround(√2)');
    }),
    defineScopedCase(suite, 'only the nearest key’s radius counts', async (scope) => {
      // Query (1,0): key 0 is nearest (1 > radius 0.5) so the row defers, although key 1 (2 <= 10) covers it.
      const actual = await runLookup(scope, {
        queries: host([1, 0, 2.5, 0], [2, 2]),
        keys: host([0, 0, 3, 0], [2, 2]),
        radii: [0.5, 10],
        values: host([7, 7, 8, 8], [2, 2]),
        layerOutput: host([1, 2, 3, 4], [2, 2]),
        mode: 'all',
      });
      assertEqualInts(actual.hitIndex, [-1, 1], 'hitIndex');
      assertBitsEqual(actual.output, Float32Array.from([1, 2, 8, 8]), 'output');
    }),
    defineScopedCase(suite, 'no keys: the output is a plain copy and every row defers', async (scope) => {
      const layerOutput = fromBits([0x80000000, 0x7fc00001, 0x00000001, 0x3f800000, 0x40000000, 0xbf800000]);
      for (const [shape, keyPositions] of [
        [[2, 3], undefined],
        [
          [2, 3, 1],
          [0, 2],
        ],
      ] as const) {
        const actual = await runLookup(scope, {
          queries: host([1, 2, 3, 4], [2, 2]),
          keys: host([], [0, 2]),
          radii: [],
          values: host([], [0, shape[shape.length - 1]]),
          layerOutput: { data: layerOutput, shape },
          ...(keyPositions === undefined ? {} : { keyPositions }),
          mode: 'all',
        });
        assertEqualInts(actual.hitIndex, [-1, -1], `hitIndex [${shape}]`);
        assertBitsEqual(actual.output, layerOutput, `output [${shape}]`);
      }
    }),
    defineScopedCase(suite, 'random non-sequence lookup matches the reference', async (scope) => {
      const fixture = randomFixture(31, 'all', false);
      const hits = assertLookupConforms(await runLookup(scope, fixture), fixture, tolerance, 'lookup');
      assertTrue(
        hits.some((hit) => hit >= 0) && hits.includes(-1),
        'the fixture must exercise hits and deferrals',
      );
    }),
    ...modes.map((mode, position) =>
      defineScopedCase(
        suite,
        `random sequence lookup, mode '${mode}', matches the reference`,
        async (scope) => {
          const fixture = randomFixture(40 + position, mode, true);
          const hits = assertLookupConforms(await runLookup(scope, fixture), fixture, tolerance, 'lookup');
          assertTrue(
            hits.some((hit) => hit >= 0) && hits.includes(-1),
            'the fixture must exercise hits and deferrals',
          );
        },
      ),
    ),
    defineScopedCase(suite, 'a key position outside [0, T) is INVALID_ARGUMENT', async (scope) => {
      for (const keyPositions of [
        [2, 4, 1],
        [-1, 0, 0],
      ]) {
        await assertThrowsGraceError(
          () => runLookup(scope, { ...handMadeFixture('last', true), keyPositions }),
          'INVALID_ARGUMENT',
          `keyPositions [${keyPositions}]`,
        );
      }
    }),
  ];
}
