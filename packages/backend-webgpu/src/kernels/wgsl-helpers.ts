/** WGSL helpers shared by several kernels. */

/**
 * A float from its bits at run time: `bitcast<f32>` of a constant infinity or NaN is a compile error in WGSL
 * (constant expressions must be finite), so special values go through a function argument.
 */
export const floatFromBitsHelper = `
fn floatFromBits(bits: u32) -> f32 { return bitcast<f32>(bits); }
const positiveInfinity = 0x7f800000u;
const quietNan = 0x7fc00000u;
`;

/**
 * `isFinite` and `isNan` on the bits: WGSL lets a compiler assume that floats are never NaN or infinite, so
 * `x != x` may be folded to false; integer tests on the bit pattern cannot be.
 */
export const floatClassHelpers = `${floatFromBitsHelper}
fn isFiniteFloat(value: f32) -> bool { return (bitcast<u32>(value) & 0x7f800000u) != 0x7f800000u; }
fn isNanFloat(value: f32) -> bool { return (bitcast<u32>(value) & 0x7fffffffu) > 0x7f800000u; }
`;

/**
 * Square root correctly rounded to float32: WGSL allows `sqrt` a few ulps of error, but the deferral test
 * compares the distance with a radius that EXPAND set to a previously reported distance, so every backend
 * must report the one correctly rounded value. The neighbours of `sqrt(x)` are tried and the one whose square
 * is nearest `x` (exact residuals through `fma`) wins.
 */
export const roundedSqrtHelper = `
fn roundedSqrt(x: f32) -> f32 {
  let root = sqrt(x);
  if (root == 0.0 || !isFiniteFloat(root)) { return root; }
  let below = bitcast<f32>(bitcast<u32>(root) - 1u);
  let above = bitcast<f32>(bitcast<u32>(root) + 1u);
  var best = root;
  var bestError = abs(fma(-root, root, x));
  let belowError = abs(fma(-below, below, x));
  if (belowError < bestError) { best = below; bestError = belowError; }
  let aboveError = abs(fma(-above, above, x));
  if (aboveError < bestError) { best = above; }
  return best;
}
`;

/**
 * The nearest-key order on `(squared distance, index)` pairs: a missing candidate (index -1) always loses, a
 * smaller distance wins, and an equal distance goes to the lower index, so the order of a reduction never
 * changes its winner.
 */
export const candidateOrderHelper = `
fn beats(distance: f32, index: i32, bestDistance: f32, bestIndex: i32) -> bool {
  if (index < 0) { return false; }
  if (bestIndex < 0) { return true; }
  return distance < bestDistance || (distance == bestDistance && index < bestIndex);
}
`;
