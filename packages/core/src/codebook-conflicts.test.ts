import { describe, expect, it } from 'vitest';
import { Codebook } from './codebook.js';
import { decodeCodebook, encodeCodebook } from './codebook-file.js';
import type { SplitPolicy } from './codebook-options.js';
import { coveringRadius, float32DistanceErrorBound } from './distance-error-bound.js';

function makeCodebook(splitPolicy: SplitPolicy): Codebook {
  return new Codebook({ keyDimension: 2, valueDimension: 3, epsInit: 1, splitPolicy });
}

/** The key that fires for a query by the one rule: the nearest key, if its distance is within its radius. */
function firing(codebook: Codebook, query: number[]): number {
  const { index, distance } = codebook.nearest(query);
  return index >= 0 && distance <= codebook.entry(index).radius ? index : -1;
}

describe('a conflicting edit at distance 0 (the same query, another label)', () => {
  for (const splitPolicy of ['halve', 'keep'] as const) {
    it(`supersedes the older key in place so the newest label wins (${splitPolicy})`, () => {
      const codebook = makeCodebook(splitPolicy);
      codebook.applyEdit({ query: [1, 2], label: 0 }, { value: [1, 1, 1] });
      const record = codebook.applyEdit({ query: [1, 2], label: 2 }, { value: [2, 2, 2] });
      expect(record).toMatchObject({ operation: 'SPLIT', keyIndex: 0, nearestIndex: 0, distance: 0 });
      expect(record.supersededKey).toBe(0);
      expect(codebook.size).toBe(1);
      expect(codebook.label(0)).toBe(2);
      expect(Array.from(codebook.entry(0).value)).toEqual([2, 2, 2]);
      expect(codebook.entry(0).radius).toBe(splitPolicy === 'halve' ? 0 : 1);
      expect(firing(codebook, [1, 2])).toBe(0);
    });

    it(`adds no key on repeats, whichever label comes back (${splitPolicy})`, () => {
      const codebook = makeCodebook(splitPolicy);
      const labels = [0, 2, 0, 2, 2, 1, 0];
      for (const label of labels) codebook.applyEdit({ query: [3, -1], label }, { value: [label, 0, 0] });
      expect(codebook.size).toBe(1);
      expect(codebook.label(0)).toBe(0);
      expect(codebook.records.map((record) => record.operation)).toEqual([
        'ADD',
        'SPLIT',
        'SPLIT',
        'SPLIT',
        'RETRAIN',
        'SPLIT',
        'SPLIT',
      ]);
    });

    it(`gives the older edit back when the newer one is rolled back (${splitPolicy})`, () => {
      const codebook = makeCodebook(splitPolicy);
      codebook.applyEdit({ query: [0, 0], label: 'far' }, { value: [9, 9, 9] });
      codebook.applyEdit({ query: [1, 2], label: 0 }, { value: [1, 1, 1] });
      const before = codebook.snapshot();
      codebook.applyEdit({ query: [1, 2], label: 2 }, { value: [2, 2, 2] });
      codebook.rollback('edit-3');
      expect(codebook.snapshot()).toEqual(before);
      expect(codebook.records.at(-1)?.supersededKey).toBeUndefined();
      // Rolling back the older edit instead leaves the newer one as a plain ADD.
      const other = makeCodebook(splitPolicy);
      other.applyEdit({ query: [1, 2], label: 0 }, { value: [1, 1, 1] });
      other.applyEdit({ query: [1, 2], label: 2 }, { value: [2, 2, 2] });
      other.rollback('edit-1');
      expect(other.records[0]).toMatchObject({ operation: 'ADD', keyIndex: 0 });
      expect(other.label(0)).toBe(2);
      expect(other.entry(0).radius).toBe(1);
    });

    it(`puts the older key back exactly when the superseding edit is aborted (${splitPolicy})`, () => {
      const codebook = makeCodebook(splitPolicy);
      codebook.applyEdit({ query: [1, 2], label: 0 }, { value: [1, 1, 1] });
      const before = codebook.snapshot();
      codebook.beginEdit({ query: [1, 2], label: 2 }).abort();
      expect(codebook.snapshot()).toEqual(before);
    });
  }

  it('round-trips the superseded key through the codebook file', () => {
    const codebook = makeCodebook('halve');
    codebook.applyEdit({ query: [1, 2], label: 0 }, { value: [1, 1, 1] });
    codebook.applyEdit({ query: [1, 2], label: 2 }, { value: [2, 2, 2] });
    const loaded = decodeCodebook(encodeCodebook(codebook));
    expect(loaded.records[1]?.supersededKey).toBe(0);
    expect(loaded.snapshot()).toEqual(codebook.snapshot());
    loaded.rollback('edit-2');
    expect(loaded.label(0)).toBe(0);
  });

  it('keeps the halve split of a nearby but distinct query: both keys fire at their own queries', () => {
    const codebook = makeCodebook('halve');
    codebook.applyEdit({ query: [1, 2], label: 0 });
    const record = codebook.applyEdit({ query: [1, 2.000001], label: 2 });
    expect(record.supersededKey).toBeUndefined();
    expect(codebook.size).toBe(2);
    expect(firing(codebook, [1, 2])).toBe(0);
    expect(firing(codebook, [1, 2.000001])).toBe(1);
  });
});

describe('the float32 margin of "inside the ball"', () => {
  it('grows a radius the query is inside of in float64 but not by the float32 margin (EXPAND, not RETRAIN)', () => {
    const codebook = makeCodebook('halve');
    codebook.applyEdit({ query: [0, 0], label: 'a' });
    // Radius 1; a query at 1 − δ/2 is inside in exact arithmetic, but a float32 backend may see it at > 1.
    const inside = 1 - float32DistanceErrorBound(2) / 2;
    const record = codebook.applyEdit({ query: [inside, 0], label: 'a' });
    expect(record.operation).toBe('EXPAND');
    expect(codebook.entry(0).radius).toBe(coveringRadius(Math.fround(inside), 2));
    // Well inside: a plain RETRAIN, the radius untouched.
    const retrain = codebook.applyEdit({ query: [0.5, 0], label: 'a' });
    expect(retrain.operation).toBe('RETRAIN');
  });

  it('covers the float32 error bound at every width and magnitude', () => {
    for (const width of [2, 64, 768, 4096]) {
      const bound = float32DistanceErrorBound(width);
      for (const distance of [1e-3, 0.37, 1, 1234.5, 1e5]) {
        const radius = coveringRadius(distance, width);
        expect(Math.fround(radius)).toBe(radius);
        expect(radius).toBeGreaterThanOrEqual(distance * (1 + bound));
        // At most one float32 step above the bound.
        expect(radius).toBeLessThanOrEqual(distance * (1 + bound) * (1 + 2 ** -23));
      }
    }
    expect(coveringRadius(0, 768)).toBe(0);
  });
});
