import { Codebook } from '../codebook.js';
import type { GraceErrorCode } from '../errors.js';
import { GraceLayer, type GraceLayerOptions, layerValueDimension } from '../grace-layer.js';
import { SeededRandom } from '../random.js';
import { assertBitsEqual, assertEqualInts, assertThrowsGraceError, assertTrue } from './assertions.js';
import type { ConformanceCase, ResolvedConformanceOptions } from './conformance-case.js';
import { runLookup } from './lookup-cases.js';
import { assertLookupConforms } from './reference-checks.js';
import type { ReferenceLookupArguments } from './reference-kernels.js';
import { defineScopedCase } from './tensor-scope.js';

/**
 * Replacement `span`: a value `[S·Dv]` is S vectors, vector s replaces token `keyPosition + s` (clipped at the
 * end of the row). Replacement only copies, so every output is compared bit for bit.
 */

const suite = 'lookup (span)';

/** Float32 values from raw bit patterns: NaN payloads, -0 and subnormals that a float copy could change. */
function specialBits(count: number, random: SeededRandom): Float32Array {
  const patterns = [0x80000000, 0x00000001, 0x807fffff, 0x7fc00001, 0xffc00123, 0x7f800001];
  return new Float32Array(
    Uint32Array.from({ length: count }, (_, index) =>
      index % 3 === 0 ? (patterns[index % patterns.length] as number) : random.integer(0, 0x3f800000),
    ).buffer,
  );
}

/**
 * Random keys, radii and S-vector values; half the queries sit near a key (hits), the rest far (deferrals). Key
 * positions lean to the end of the row (T - 1, T - 2, ...), so most spans are clipped; the frozen output holds
 * special bit patterns, which every kept token must keep.
 */
function randomSpanFixture(seed: number, spanLength: number): ReferenceLookupArguments {
  const random = new SeededRandom(seed);
  const [batch, tokens, keyCount, keyWidth, width] = [14, 6, 9, 5, 3];
  const keys = random.floats(keyCount * keyWidth);
  const queries = random.floats(batch * keyWidth, 3, 4);
  for (let row = 0; row < batch; row += 2) {
    const key = random.integer(0, keyCount);
    for (let dimension = 0; dimension < keyWidth; dimension++) {
      queries[row * keyWidth + dimension] = keys[key * keyWidth + dimension] + random.uniform(-0.05, 0.05);
    }
  }
  return {
    queries: { data: queries, shape: [batch, keyWidth] },
    keys: { data: keys, shape: [keyCount, keyWidth] },
    radii: random.floats(keyCount, 0.2, 0.6),
    values: {
      data: random.floats(keyCount * spanLength * width, -5, 5),
      shape: [keyCount, spanLength * width],
    },
    layerOutput: { data: specialBits(batch * tokens * width, random), shape: [batch, tokens, width] },
    keyPositions: Int32Array.from({ length: batch }, (_, row) => Math.max(0, tokens - 1 - (row % 4))),
    mode: 'span',
  };
}

/** The conformance cases of replacement `span`, for every backend. */
export function spanLookupCases(options: ResolvedConformanceOptions): ConformanceCase[] {
  const { tolerance } = options;
  return [
    defineScopedCase(suite, 'hand-made: vector s at key token + s, clipped at T', async (scope) => {
      // Keys (0,0) and (10,0), radius 1; S = 3 vectors of Dv = 2. Rows: key 0 at token 1 (the whole span fits),
      // far from every key (defers), key 1 at token 3 of T = 4 (only vector 0 fits).
      const layerOutput = Float32Array.from({ length: 3 * 4 * 2 }, (_, index) => index + 0.5);
      const actual = await runLookup(scope, {
        queries: { data: Float32Array.from([0.5, 0, 4, 3, 10, 0.5]), shape: [3, 2] },
        keys: { data: Float32Array.from([0, 0, 10, 0]), shape: [2, 2] },
        radii: [1, 1],
        values: {
          data: Float32Array.from([100, 101, 110, 111, 120, 121, 200, 201, 210, 211, 220, 221]),
          shape: [2, 6],
        },
        layerOutput: { data: layerOutput, shape: [3, 4, 2] },
        keyPositions: [1, 0, 3],
        mode: 'span',
      });
      assertEqualInts(actual.hitIndex, [0, -1, 1], 'hitIndex');
      const expected = [
        [0.5, 1.5, 100, 101, 110, 111, 120, 121],
        [8.5, 9.5, 10.5, 11.5, 12.5, 13.5, 14.5, 15.5],
        [16.5, 17.5, 18.5, 19.5, 20.5, 21.5, 200, 201],
      ].flat();
      assertBitsEqual(actual.output, Float32Array.from(expected), 'output');
    }),
    ...[1, 2, 4, 7].map((spanLength) =>
      defineScopedCase(
        suite,
        `random, S = ${spanLength}: spans clipped at T, kept tokens and deferred rows bit for bit`,
        async (scope) => {
          const fixture = randomSpanFixture(70 + spanLength, spanLength);
          const actual = await runLookup(scope, fixture);
          const hits = assertLookupConforms(actual, fixture, tolerance, 'lookup');
          assertTrue(
            hits.some((hit) => hit >= 0) && hits.includes(-1),
            'the fixture must exercise hits and deferrals',
          );
        },
      ),
    ),
    defineScopedCase(suite, 'S = 1 is exactly mode last', async (scope) => {
      const fixture = randomSpanFixture(91, 1);
      const span = await runLookup(scope, fixture);
      const last = await runLookup(scope, { ...fixture, mode: 'last' });
      assertEqualInts(span.hitIndex, last.hitIndex, 'hitIndex');
      assertBitsEqual(span.output, last.output, 'output');
    }),
    defineScopedCase(suite, 'a non-sequence output takes span values of one vector', async (scope) => {
      const actual = await runLookup(scope, {
        queries: { data: Float32Array.from([0, 0, 9, 9]), shape: [2, 2] },
        keys: { data: Float32Array.from([0, 0]), shape: [1, 2] },
        radii: [1],
        values: { data: Float32Array.from([7, 8, 9]), shape: [1, 3] },
        layerOutput: { data: Float32Array.from([1, 2, 3, 4, 5, 6]), shape: [2, 3] },
        mode: 'span',
      });
      assertEqualInts(actual.hitIndex, [0, -1], 'hitIndex');
      assertBitsEqual(actual.output, Float32Array.from([7, 8, 9, 4, 5, 6]), 'output');
    }),
    defineScopedCase(suite, 'a GraceLayer with spanLength 2 writes its two vectors', async (scope) => {
      const { backend } = scope;
      const codebook = new Codebook({ keyDimension: 1, valueDimension: 2 });
      codebook.applyEdit({ query: [0], label: 'a' }, { value: [9, 10] });
      const layer = new GraceLayer(backend, codebook, {
        replacement: 'span',
        spanLength: 2,
        keyToken: 'last',
      });
      try {
        // Row 0 (2 real tokens of T = 4) ends on the key; row 1 (4 tokens) is far from it.
        const result = layer.forward({
          layerInput: scope.float32([5, 0, 5, 5, 5, 5, 5, 5], [2, 4, 1]),
          layerOutput: scope.float32([1, 2, 3, 4, 5, 6, 7, 8], [2, 4, 1]),
          lengths: [2, 4],
        });
        scope.keep(result.output);
        scope.keep(result.hitIndex);
        assertEqualInts(await backend.download(result.hitIndex), [0, -1], 'hitIndex');
        // The span starts at the key token (1) and runs on into the padding (2); token 3 keeps the output.
        assertBitsEqual(
          await backend.download(result.output),
          Float32Array.from([1, 9, 10, 4, 5, 6, 7, 8]),
          'output',
        );
      } finally {
        layer.dispose();
      }
    }),
    defineScopedCase(suite, 'a bad spanLength or a codebook of another width is refused', async (scope) => {
      const { backend } = scope;
      const codebook = new Codebook({ keyDimension: 1, valueDimension: 4 });
      codebook.applyEdit({ query: [0], label: 'a' }, { value: [1, 2, 3, 4] });
      const refused = async (options: GraceLayerOptions, code: GraceErrorCode, what: string) =>
        assertThrowsGraceError(() => new GraceLayer(backend, codebook, options), code, what);
      await refused({ replacement: 'span', spanLength: 0 }, 'INVALID_ARGUMENT', 'spanLength 0');
      await refused({ replacement: 'span', spanLength: 1.5 }, 'INVALID_ARGUMENT', 'spanLength 1.5');
      await refused({ replacement: 'last', spanLength: 2 }, 'INVALID_ARGUMENT', 'spanLength 2 with last');
      await refused({ replacement: 'span', spanLength: 3 }, 'SHAPE_MISMATCH', 'values of 4 as 3 vectors');
      await refused({ replacement: 'first' as 'span' }, 'INVALID_ARGUMENT', 'an unknown mode');
      assertTrue(layerValueDimension(3, { replacement: 'span', spanLength: 4 }) === 12, 'S·Dv');
      // Values of 2 vectors of 2 for an output 3 wide: refused before any lookup.
      const layer = new GraceLayer(backend, codebook, { replacement: 'span', spanLength: 2 });
      try {
        await assertThrowsGraceError(
          () =>
            layer.forward({
              layerInput: scope.float32([0, 0], [1, 2, 1]),
              layerOutput: scope.float32([1, 2, 3, 4, 5, 6], [1, 2, 3]),
            }),
          'SHAPE_MISMATCH',
          'an output 3 wide',
        );
      } finally {
        layer.dispose();
      }
    }),
  ];
}
