import { describe, expect, it } from 'vitest';
import { erf, erfc } from './erf.js';

/** Relative error against references computed with 40-digit mpmath and rounded to the nearest float64. */
function relativeError(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.abs(expected);
}

describe('erf and erfc', () => {
  const table: [x: number, erf: number, erfc: number][] = [
    [0.1, 0.1124629160182849, 0.8875370839817152],
    [0.5, 0.5204998778130465, 0.4795001221869535],
    [1, 0.8427007929497149, 0.15729920705028513],
    [1.5, 0.9661051464753108, 0.033894853524689274],
    [1.99, 0.995111413199617, 0.004888586800383002],
    [1.9999999999, 0.995322265016886, 0.004677734983113965],
    [2, 0.9953222650189527, 0.004677734981047266],
    [2.0000000001, 0.9953222650210194, 0.004677734978980567],
    [2.5, 0.999593047982555, 0.0004069520174449589],
    [3, 0.9999779095030014, 2.209049699858544e-5],
    [5, 0.9999999999984626, 1.537459794428035e-12],
    [-0.7, -0.6778011938374184, 1.6778011938374184],
  ];

  it.each(table)('erf(%d) and erfc are float64-accurate', (x, expectedErf, expectedErfc) => {
    expect(relativeError(erf(x), expectedErf)).toBeLessThan(1e-15);
    // Below 1.5 erfc is 1 - erf: its relative error grows as erfc shrinks, to ~2e-14 near x = 1.5.
    expect(relativeError(erfc(x), expectedErfc)).toBeLessThan(x >= 1.5 ? 1e-15 : 3e-14);
  });

  it('keeps erfc accurate in relative terms far into the tail, where 1 - erf would be 0', () => {
    expect(relativeError(erfc(10), 2.088487583762545e-45)).toBeLessThan(1e-15);
    expect(relativeError(erfc(26), 5.663192408856143e-296)).toBeLessThan(1e-14);
    expect(erfc(30)).toBe(0);
    expect(erfc(Number.POSITIVE_INFINITY)).toBe(0);
    expect(erfc(Number.NEGATIVE_INFINITY)).toBe(2);
  });

  it('is odd, exact at 0 and at the infinities, and keeps NaN', () => {
    expect(erf(0)).toBe(0);
    expect(erf(-1.25)).toBe(-erf(1.25));
    expect(erf(Number.POSITIVE_INFINITY)).toBe(1);
    expect(erf(Number.NEGATIVE_INFINITY)).toBe(-1);
    expect(erf(Number.NaN)).toBeNaN();
    expect(erfc(Number.NaN)).toBeNaN();
  });
});
