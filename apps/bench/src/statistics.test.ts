import { describe, expect, it } from 'vitest';
import { maximum, median, minimum, summarizeTimings } from './statistics.js';

describe('median', () => {
  it('takes the middle of an odd count regardless of order', () => {
    expect(median([9, 1, 5])).toBe(5);
    expect(median([3])).toBe(3);
  });

  it('averages the two middle values of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('sorts numerically, not as strings', () => {
    expect(median([10, 9, 100])).toBe(10);
  });

  it('leaves the caller array in its order', () => {
    const samples = [3, 1, 2];
    median(samples);
    expect(samples).toEqual([3, 1, 2]);
  });

  it('refuses an empty list and NaN', () => {
    expect(() => median([])).toThrow(RangeError);
    expect(() => median([1, Number.NaN])).toThrow(/NaN/);
  });
});

describe('summarizeTimings', () => {
  it('reports median, min, max and the number of runs', () => {
    expect(summarizeTimings([5, 2, 8, 3])).toEqual({ medianMs: 4, minMs: 2, maxMs: 8, runs: 4 });
  });

  it('shares the empty-list refusal of the statistics it is made of', () => {
    expect(() => minimum([])).toThrow(RangeError);
    expect(() => maximum([])).toThrow(RangeError);
    expect(() => summarizeTimings([])).toThrow(RangeError);
  });
});
