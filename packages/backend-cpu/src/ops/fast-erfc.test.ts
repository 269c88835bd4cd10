import { describe, expect, it } from 'vitest';
import { erfc } from './erf.js';
import { fastErfc } from './fast-erfc.js';

describe('fastErfc', () => {
  it('stays within 1.3e-7 relative of the float64-exact erfc on [-10, 10]', () => {
    let worst = 0;
    for (let step = -100_000; step <= 100_000; step++) {
      const x = step / 10_000;
      const exact = erfc(x);
      if (exact === 0) continue;
      worst = Math.max(worst, Math.abs(fastErfc(x) / exact - 1));
    }
    expect(worst).toBeLessThan(1.3e-7);
    expect(worst).toBeGreaterThan(0);
  });

  it('keeps the limits and NaN', () => {
    expect(fastErfc(Number.POSITIVE_INFINITY)).toBe(0);
    expect(fastErfc(Number.NEGATIVE_INFINITY)).toBe(2);
    expect(fastErfc(40)).toBe(0);
    expect(fastErfc(Number.NaN)).toBeNaN();
  });
});
