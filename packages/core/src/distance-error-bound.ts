import { roundUpToFloat32 } from './float32.js';

/**
 * The one rule for "query q is inside key i's ball", and the float32 error bound it rests on.
 *
 * Rule: key i fires for q when i is q's nearest key (smallest Euclidean distance, ties to the lowest index)
 * and the distance the backend computes, d̃ = ‖q − k_i‖ by direct difference in float32, satisfies d̃ ≤ r_i.
 *
 * Bound: whatever order a backend sums the D squared differences in (a plain loop, SIMD lanes, a tree, a GPU
 * tile, onnxruntime's ReduceSum), with or without fused multiply-adds, its float32 distance is within a
 * relative `δ(D)` ({@link float32DistanceErrorBound}) of the exact one: `|d̃ − d| ≤ δ(D)·d`. So an exact
 * distance `d ≤ r / (1 + δ)` fires on every backend, `d > r·(1 + δ)` fires on none, and only in that thin band
 * may two backends disagree.
 *
 * The codebook makes the promise that matters exact: the radius of a key that an edit's query must reach is
 * stored as {@link coveringRadius}`(d)` ≥ `d·(1 + δ)`, decided once on the host in float64 (so replays and
 * rollbacks reproduce it bit for bit). A query that created, expanded or retrained a key therefore fires that
 * key on every conforming backend and in the exported ONNX graph.
 */

/** The unit round-off of float32, 2⁻²⁴. */
export const float32UnitRoundoff = 2 ** -24;

/** Higham's γ_n = n·u / (1 − n·u) for float32: the relative error bound of n successive roundings. */
export function float32Gamma(roundings: number): number {
  const product = roundings * float32UnitRoundoff;
  return product / (1 - product);
}

/**
 * δ(D): a bound on the relative error of a float32 Euclidean distance computed by direct difference over
 * `width` dimensions. Each term `(q_j − k_j)²` costs at most 2 roundings, any summation of D terms at most
 * D − 1 more, the square root one; `γ_{D+6}` covers those with room for the float64 host's own error.
 * D = 768 gives 4.6e-5, D = 4096 gives 2.4e-4.
 */
export function float32DistanceErrorBound(width: number): number {
  return float32Gamma(width + 6);
}

/**
 * The smallest float32 radius that makes a query at exact distance `distance` (float64, as the host
 * computes it) fire on every backend: `distance·(1 + δ(D))`, plus what float32 underflow can add to a sum
 * of tiny squares, rounded up to float32. 0 stays 0: a query equal to its key is at distance 0 on every
 * backend (`q − k` is exactly zero).
 */
export function coveringRadius(distance: number, width: number): number {
  if (distance === 0) return 0;
  const scaled = distance * (1 + float32DistanceErrorBound(width));
  // Each float32 operation below the normal range may add up to 2⁻¹⁵⁰ to the squared distance.
  const underflowSlack = (2 * width + 4) * 2 ** -150;
  return roundUpToFloat32(Math.sqrt(scaled * scaled + underflowSlack));
}

/**
 * Whether a query at exact distance `distance` fires a key of radius `radius` on every backend: the
 * host-side form of the rule, used to decide whether an edit inside a ball still needs its radius grown.
 */
export function firesOnEveryBackend(distance: number, radius: number, width: number): boolean {
  return coveringRadius(distance, width) <= radius;
}
