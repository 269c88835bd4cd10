/**
 * The error function in float64 to about 1e-15, for the exact Gelu of the oracle. A 1e-7 approximation
 * (Abramowitz–Stegun 7.1.26) would be as coarse as the float32 backends under test, so the oracle could not
 * tell a correct backend from a slightly wrong one.
 *
 * |x| < 3: the series erf(x) = 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)), whose terms are all positive
 * (no cancellation). |x| >= 3: erfc(x) by its continued fraction, erf = 1 − erfc.
 */
export function referenceErf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const magnitude = Math.abs(x);
  const sign = x < 0 ? -1 : 1;
  if (magnitude < 3) {
    const square = magnitude * magnitude;
    let term = magnitude;
    let sum = magnitude;
    for (let n = 1; n < 200; n++) {
      term *= (2 * square) / (2 * n + 1);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    return (sign * 2 * Math.exp(-square) * sum) / Math.sqrt(Math.PI);
  }
  return sign * (1 - complementaryErfForLarge(magnitude));
}

/**
 * erfc(x) for x >= 3: e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))), evaluated from the tail;
 * 80 levels are far more than enough for x >= 3.
 */
function complementaryErfForLarge(x: number): number {
  let fraction = x;
  for (let level = 80; level >= 1; level--) fraction = x + level / 2 / fraction;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / fraction;
}
