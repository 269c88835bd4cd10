import { describe, expect, it } from 'vitest';
import { defaultAdamHyperparameters } from '../backend.js';
import { SeededRandom } from '../random.js';
import { assertBitsEqual, assertThrowsGraceError, ConformanceFailure } from './assertions.js';
import { conformanceCases } from './conformance-cases.js';
import { assertLookupConforms, assertNearestKeyConforms } from './reference-checks.js';
import {
  referenceAdamStep,
  referenceGatherTokens,
  referenceLookup,
  referenceMeanTokens,
  referenceNearestKey,
} from './reference-kernels.js';

describe('reference kernels', () => {
  it('gathers and averages tokens', () => {
    const input = { data: [1, 2, 3, 4, 5, 6, 7, 8], shape: [2, 2, 2] };
    expect(referenceGatherTokens(input, [1, 0])).toEqual([3, 4, 5, 6]);
    expect(referenceMeanTokens(input, [2, 1])).toEqual([2, 3, 5, 6]);
    expect(() => referenceGatherTokens(input, [2, 0])).toThrow(RangeError);
  });

  it('finds the nearest key by hand: unsquared distance, ties to the lowest index, none without keys', () => {
    // keys (0,0) (3,4) (-3,4); query (0,4) is 3 from keys 1 and 2 and 4 from key 0.
    const keys = { data: [0, 0, 3, 4, -3, 4], shape: [3, 2] };
    const nearest = referenceNearestKey({ data: [0, 4, 6, 8, 0, -1], shape: [3, 2] }, keys);
    expect(nearest.index).toEqual([1, 1, 0]);
    expect(nearest.distance).toEqual([3, 5, 1]);
    expect(Array.from(nearest.squaredDistances.subarray(0, 3))).toEqual([16, 9, 9]);
    const empty = referenceNearestKey({ data: [1, 2], shape: [1, 2] }, { data: [], shape: [0, 2] });
    expect(empty.index).toEqual([-1]);
    expect(empty.distance).toEqual([Number.POSITIVE_INFINITY]);
  });

  it('looks up by hand: fires at distance == radius, replaces per mode, keeps deferred bits', () => {
    // Key (0,0) radius 5; query 0 at (3,4) is exactly 5 away (fires), query 1 at (3,4.5) is not.
    const nan = new Float32Array(new Uint32Array([0x7fc00abc]).buffer)[0] as number;
    const layerOutput = Float32Array.from([1, 2, 3, 4, 5, 6, -0, nan, 9, 10, 11, 12]);
    const args = {
      queries: { data: [3, 4, 3, 4.5], shape: [2, 2] },
      keys: { data: [0, 0], shape: [1, 2] },
      radii: [5],
      values: { data: Float32Array.from([70, 80]), shape: [1, 2] },
      layerOutput: { data: layerOutput, shape: [2, 3, 2] },
      keyPositions: [1, 2],
    };
    const last = referenceLookup({ ...args, mode: 'last' });
    expect(last.hitIndex).toEqual([0, -1]);
    const expected = layerOutput.slice();
    expected.set([70, 80], 2);
    assertBitsEqual(last.output, expected, 'last');
    expect(Array.from(referenceLookup({ ...args, mode: 'prompt' }).output.subarray(0, 6))).toEqual([
      70, 80, 3, 4, 5, 6,
    ]);
    expect(Array.from(referenceLookup({ ...args, mode: 'all' }).output.subarray(0, 6))).toEqual([
      70, 80, 70, 80, 70, 80,
    ]);
  });

  it('takes a first Adam step of about the learning rate against the gradient', () => {
    const result = referenceAdamStep(
      { parameter: [0, 0], gradient: [0.5, -2], firstMoment: [0, 0], secondMoment: [0, 0] },
      1,
      defaultAdamHyperparameters,
    );
    expect(result.parameter[0]).toBeCloseTo(-1, 6);
    expect(result.parameter[1]).toBeCloseTo(1, 6);
    expect(result.firstMoment).toEqual([Math.fround(0.05), Math.fround(-0.2)]);
  });
});

describe('tolerance rules', () => {
  // Keys at distance 1 and 1 + 1e-6 from the query: a float32 backend may pick either.
  const queries = { data: [0], shape: [1, 1] };
  const keys = { data: [1, -(1 + 1e-6)], shape: [2, 1] };
  const reference = referenceNearestKey(queries, keys);

  it('accepts the runner-up of a near-tie only within tolerance', () => {
    const swapped = { index: [1], distance: [Math.fround(1 + 1e-6)] };
    expect(() => assertNearestKeyConforms(swapped, reference, 2, 1e-4, 'near tie')).not.toThrow();
    expect(() => assertNearestKeyConforms(swapped, reference, 2, 0, 'near tie')).toThrow(ConformanceFailure);
  });

  it('rejects a wrong index and a squared distance', () => {
    const far = referenceNearestKey(queries, { data: [2, 5], shape: [2, 1] });
    expect(() => assertNearestKeyConforms({ index: [1], distance: [2] }, far, 2, 1e-4, 'wrong')).toThrow(
      /index\[0\]/,
    );
    expect(() => assertNearestKeyConforms({ index: [0], distance: [4] }, far, 2, 1e-4, 'squared')).toThrow(
      /distance\[0\]/,
    );
  });

  it('accepts either lookup decision only when the distance is within tolerance of the radius', () => {
    const args = {
      queries,
      keys: { data: [1], shape: [1, 1] },
      radii: [Math.fround(1 - 1e-6)],
      values: { data: Float32Array.from([9]), shape: [1, 1] },
      layerOutput: { data: Float32Array.from([3]), shape: [1, 1] },
      mode: 'all' as const,
    };
    const fired = { output: Float32Array.from([9]), hitIndex: [0] };
    expect(() => assertLookupConforms(fired, args, 1e-4, 'near radius')).not.toThrow();
    expect(() => assertLookupConforms(fired, args, 0, 'near radius')).toThrow(/hitIndex\[0\]/);
    const inconsistent = { output: Float32Array.from([3]), hitIndex: [0] };
    expect(() => assertLookupConforms(inconsistent, args, 1e-4, 'output')).toThrow(/output\[0\]/);
  });

  it('reports a missing or wrong GraceError', async () => {
    await expect(assertThrowsGraceError(() => undefined, 'EMPTY_BATCH', 'quiet')).rejects.toThrow(
      /nothing was thrown/,
    );
    await expect(
      assertThrowsGraceError(() => Promise.reject(new Error('boom')), 'EMPTY_BATCH', 'plain error'),
    ).rejects.toThrow(/got boom/);
  });
});

describe('conformance suite', () => {
  it('has unique case names per suite and is deterministic', () => {
    const cases = conformanceCases();
    const names = cases.map((testCase) => `${testCase.suite} › ${testCase.name}`);
    expect(new Set(names).size).toBe(names.length);
    expect(cases.length).toBeGreaterThan(50);
    expect(Array.from(new SeededRandom(7).floats(3))).toEqual(Array.from(new SeededRandom(7).floats(3)));
  });

  it('refuses a negative tolerance', () => {
    expect(() => conformanceCases({ tolerance: -1 })).toThrow(/tolerance/);
  });
});
