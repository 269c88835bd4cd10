/**
 * The error function in float64, for the exact (erf) form of Gelu. JavaScript has no `Math.erf`, and the
 * usual 7-digit approximations would make the reference backend the least accurate one.
 *
 * Method (derived from the definitions, no tabulated fits):
 * - `|x| < 1.5`: `erf(x) = 2/√π · e^(-x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1))`. Every term is positive, so the
 *   sum has no cancellation; at most ~30 terms.
 * - `x >= 1.5`: `erfc(x) = e^(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …))))`, the Laplace continued
 *   fraction, evaluated backwards from a fixed depth of 120 (converged to below 1e-15 from x = 1.5 on).
 * - `e^(-x²)` is computed as `e^(-r²) · e^(-(x-r)(x+r))` with `r` = x rounded to 1/16, so `r²` is exact and
 *   the rounding of `x²` does not grow into a relative error of `x² · 2^-53` for large x.
 *
 * Accuracy, measured against 40-digit arithmetic (mpmath) at 8,000 points of [-6, 26]: `erf` within 1e-15
 * relative; `erfc` within 5e-16 relative for x >= 1.5, within 2e-14 relative on [0, 1.5) (it is `1 - erf`
 * there, and erfc(1.5) ≈ 0.034), and within 1e-15 absolute for x < 0 (`1 + erf(-x)`, no cancellation).
 */

const twoOverSqrtPi = 2 / Math.sqrt(Math.PI);
const oneOverSqrtPi = 1 / Math.sqrt(Math.PI);
/** Below this `|x|` the series is used, above it the continued fraction. */
const seriesLimit = 1.5;
const continuedFractionDepth = 120;

/** `e^(-x²)` without the relative error that rounding `x²` would cause for large `x`. */
function exponentialOfMinusSquare(x: number): number {
  const rounded = Math.round(x * 16) / 16;
  return Math.exp(-rounded * rounded) * Math.exp(-(x - rounded) * (x + rounded));
}

/** `erf(x)` for `0 <= x < seriesLimit`, by the positive-term series. */
function erfSeries(x: number): number {
  const twiceSquare = 2 * x * x;
  let term = x;
  let sum = x;
  for (let n = 1; term > sum * 1e-17; n++) {
    term = (term * twiceSquare) / (2 * n + 1);
    sum += term;
  }
  return twoOverSqrtPi * exponentialOfMinusSquare(x) * sum;
}

/** `erfc(x)` for `x >= seriesLimit`, by the continued fraction. */
function erfcContinuedFraction(x: number): number {
  // erfc(28) < 1e-342 underflows to 0 anyway; returning early keeps infinities out of the exponent split.
  if (x >= 28) return 0;
  let denominator = x;
  for (let n = continuedFractionDepth; n >= 1; n--) denominator = x + n / 2 / denominator;
  return (oneOverSqrtPi * exponentialOfMinusSquare(x)) / denominator;
}

/** The error function `2/√π ∫₀ˣ e^(-t²) dt`, float64-accurate (see the file comment). NaN stays NaN. */
export function erf(x: number): number {
  const magnitude = Math.abs(x);
  const value = magnitude < seriesLimit ? erfSeries(magnitude) : 1 - erfcContinuedFraction(magnitude);
  return x < 0 ? -value : value;
}

/** The complementary error function `1 - erf(x)`, accurate in relative terms where it is small (x > 0). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x < 0) return 1 + erf(-x);
  return x < seriesLimit ? 1 - erfSeries(x) : erfcContinuedFraction(x);
}
