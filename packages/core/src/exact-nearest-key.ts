import { float32UnitRoundoff } from './distance-error-bound.js';

/**
 * Exact nearest-key selection, and the recheck that makes a fast approximate search exact.
 *
 * "Exact" is the reference every backend is held to: the squared distance `Σ (q_j − k_j)²` of the float32
 * numbers, accumulated in float64 in dimension order (each difference of two float32 numbers and each square
 * is then within 2⁻⁵³ of the real one, so the order of keys is the real order except for keys whose real
 * distances differ by less than about D·2⁻⁵³ relative); the nearest key has the smallest squared distance,
 * ties go to the lowest index, a NaN distance never wins. The reported distance is `fround(sqrt(·))`.
 *
 * A fast search (the norm identity `‖q‖² − 2 q·k + ‖k‖²`, one matrix product) may rank keys first: it is off
 * by up to {@link normIdentityErrorBound}`(D)·(‖q‖² + ‖k‖²)`, far more than the gap between close keys far from
 * the origin, so it only pre-selects. {@link nearestKeyCandidates} keeps every key that could still be the
 * nearest under that bound, and {@link exactNearestAmong} picks among them exactly.
 */

/** The exact squared distance of one query row and one key row (float64, dimension order). */
export function exactSquaredDistance(
  queries: ArrayLike<number>,
  queryOffset: number,
  keys: ArrayLike<number>,
  keyOffset: number,
  width: number,
): number {
  let sum = 0;
  for (let column = 0; column < width; column++) {
    const difference = (queries[queryOffset + column] as number) - (keys[keyOffset + column] as number);
    sum += difference * difference;
  }
  return sum;
}

/** The nearest key of one query row and its exact squared distance (-1 and +Infinity when none is finite). */
export interface ExactNearest {
  readonly index: number;
  readonly squaredDistance: number;
}

/**
 * The exact nearest among `candidates` (key indices, any order) of query row `queryOffset / width`: the
 * smallest exact squared distance, ties to the lowest index, NaN never wins. Passing every key index gives
 * the exact nearest key outright.
 */
export function exactNearestAmong(
  queries: ArrayLike<number>,
  queryOffset: number,
  keys: ArrayLike<number>,
  width: number,
  candidates: Iterable<number>,
): ExactNearest {
  let index = -1;
  let squaredDistance = Number.POSITIVE_INFINITY;
  for (const key of candidates) {
    const squared = exactSquaredDistance(queries, queryOffset, keys, key * width, width);
    if (squared < squaredDistance || (squared === squaredDistance && index >= 0 && key < index)) {
      squaredDistance = squared;
      index = key;
    }
  }
  return { index, squaredDistance };
}

/**
 * κ(D): `|s̃ − s| ≤ κ(D)·(ñ_q + ñ_k) + η(D)` for a squared distance `s̃ = ñ_q − 2 c̃ + ñ_k` computed in float32
 * (or, with `unitRoundoff` 2⁻⁵³, in float64)
 * from computed squared norms `ñ_q`, `ñ_k` and a computed dot product `c̃` (any summation order, fused or
 * not), where η(D) ({@link normIdentityUnderflowSlack}) covers underflow. The norms and the dot product each
 * carry γ_D, the two additions one rounding each of a magnitude up to 3(‖q‖² + ‖k‖²); 3·γ_{D+3} covers it all,
 * including that the computed norms may themselves be γ_D low.
 */
export function normIdentityErrorBound(width: number, unitRoundoff = float32UnitRoundoff): number {
  const product = (width + 3) * unitRoundoff;
  return (3 * product) / (1 - product);
}

/** η(D): what float32 underflow can add to the norm identity's error, in absolute terms. */
export function normIdentityUnderflowSlack(width: number): number {
  return (4 * width + 16) * 2 ** -149;
}

/** Inputs of {@link nearestKeyCandidates}: one approximate search's results, row-major. */
export interface NearestKeyCandidateInputs {
  /** `[B * N]`: approximate squared distances (e.g. from the norm identity), NaN allowed. */
  readonly approximateSquared: ArrayLike<number>;
  /** `[B]`: the squared norms of the queries, as the approximate search computed them. */
  readonly querySquaredNorms: ArrayLike<number>;
  /** `[N]`: the squared norms of the keys, as the approximate search computed them. */
  readonly keySquaredNorms: ArrayLike<number>;
  readonly batch: number;
  readonly keyCount: number;
  readonly width: number;
  /** The unit round-off of the arithmetic the approximate search used: 2⁻²⁴ (float32, the default) or 2⁻⁵³. */
  readonly unitRoundoff?: number;
}

/**
 * Which keys must be rechecked exactly, per query row: every key whose lowest possible exact squared distance
 * (`s̃ − bound`) is at most the smallest highest possible one (`min s̃ + bound`) of its row. The exact nearest
 * key is always among them; with well-separated keys there is one, near ties or large norms give a few.
 * A row whose approximate distances are all NaN gets every key whose norms are finite, so that the exact
 * recheck decides (it reports no key when nothing is finite).
 */
export function nearestKeyCandidates(inputs: NearestKeyCandidateInputs): Int32Array[] {
  const { approximateSquared, querySquaredNorms, keySquaredNorms, batch, keyCount, width } = inputs;
  const factor = normIdentityErrorBound(width, inputs.unitRoundoff);
  const slack = normIdentityUnderflowSlack(width);
  const rows: Int32Array[] = [];
  const lower = new Float64Array(keyCount);
  for (let row = 0; row < batch; row++) {
    const queryNorm = querySquaredNorms[row] as number;
    let smallestUpper = Number.POSITIVE_INFINITY;
    for (let key = 0; key < keyCount; key++) {
      const approximate = approximateSquared[row * keyCount + key] as number;
      const bound = factor * (queryNorm + (keySquaredNorms[key] as number)) + slack;
      lower[key] = approximate - bound;
      const upper = approximate + bound;
      if (upper < smallestUpper) smallestUpper = upper;
    }
    const undecided = smallestUpper === Number.POSITIVE_INFINITY;
    const chosen: number[] = [];
    for (let key = 0; key < keyCount; key++) {
      if (
        undecided ? Number.isFinite(keySquaredNorms[key] as number) : (lower[key] as number) <= smallestUpper
      )
        chosen.push(key);
    }
    rows.push(Int32Array.from(chosen));
  }
  return rows;
}
