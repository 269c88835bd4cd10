import {
  type ExactNearest,
  exactNearestAmong,
  normIdentityErrorBound,
  normIdentityUnderflowSlack,
} from './exact-nearest-key.js';

/**
 * A fast matrix product for the norm-identity pre-select of an exact nearest-key search: the one part of the
 * search that is worth handing to a BLAS-class library (onnxruntime's MLAS, a WebAssembly SIMD kernel, a GPU).
 *
 * It only ranks keys: {@link exactNearestFromDotProducts} turns its products into the candidate set the norm
 * identity's error bound cannot rule out and rechecks those exactly, so the chosen key and its distance never
 * depend on the engine — only the time does.
 */
export interface DotProductEngine {
  /** For benchmark tables and messages. */
  readonly name: string;
  /**
   * The unit round-off of the engine's arithmetic (2⁻²⁴ for float32, whatever the summation order, fused
   * multiply-adds or not); it sizes the candidate bound.
   */
  readonly unitRoundoff: number;
  /**
   * `queries [B, D]`, `keys [N, D]` (row-major float32) → `[B, N]` row-major `q_b · k_n`. Synchronous, because
   * the backend kernels that call it are. Must not keep or change its arguments.
   */
  dotProducts(
    queries: Float32Array,
    keys: Float32Array,
    batch: number,
    keyCount: number,
    width: number,
  ): Float32Array;
}

/** Inputs of {@link exactNearestFromDotProducts}. */
export interface DotProductSearchInputs {
  readonly queries: Float32Array;
  readonly keys: Float32Array;
  /** `[B, N]`: the engine's `q_b · k_n`. */
  readonly dotProducts: ArrayLike<number>;
  /** `[B]`: `‖q_b‖²`, computed any way within γ_D (float64 sums are). */
  readonly querySquaredNorms: ArrayLike<number>;
  /** `[N]`: `‖k_n‖²`, the same; a backend caches these with the keys. */
  readonly keySquaredNorms: ArrayLike<number>;
  readonly batch: number;
  readonly keyCount: number;
  readonly width: number;
  /** The engine's unit round-off. */
  readonly unitRoundoff: number;
}

/** Per-row exact winners: index -1 and +Infinity where no key has a finite distance. */
export interface ExactNearestRows {
  readonly index: Int32Array;
  readonly squaredDistance: Float64Array;
}

/**
 * The exact nearest key of every query row from an engine's dot products: `s̃ = ‖q‖² − 2 q·k + ‖k‖²` (in
 * float64 from the float32 products) ranks the keys, every key whose lowest possible exact squared distance
 * `s̃ − κ(D)(‖q‖² + ‖k‖²) − η(D)` is at most the row's smallest highest possible one is rechecked by direct
 * difference ({@link exactNearestAmong}), and the recheck decides: same key (ties to the lowest index) and
 * same squared distance as the brute-force reference, bit for bit. It is {@link nearestKeyCandidates} fused
 * into one pass over each row (per-key terms precomputed, a threshold that only falls), without a `[B, N]`
 * float64 copy. A row where anything could not be ranked (a NaN, a non-finite norm, a float32 product that
 * overflowed) rechecks every key with a finite norm, so NaN and overflow still end at the reference's answer.
 */
export function exactNearestFromDotProducts(inputs: DotProductSearchInputs): ExactNearestRows {
  const { queries, keys, dotProducts, querySquaredNorms, keySquaredNorms, batch, keyCount, width } = inputs;
  // The bound, widened by 2⁻⁴⁸ relative for the float64 roundings of the regrouped sums below.
  const factor = normIdentityErrorBound(width, inputs.unitRoundoff) + 2 ** -48;
  const slack = normIdentityUnderflowSlack(width);
  // Per key: ‖k‖² ± (κ‖k‖² + η), so that a row's bounds are `‖q‖²(1 ± κ) + these − 2 q·k`.
  const keyUpper = new Float64Array(keyCount);
  const keyLower = new Float64Array(keyCount);
  let finiteNorms = true;
  for (let key = 0; key < keyCount; key++) {
    const keyNorm = keySquaredNorms[key] as number;
    keyUpper[key] = keyNorm + (factor * keyNorm + slack);
    keyLower[key] = keyNorm - (factor * keyNorm + slack);
    if (!Number.isFinite(keyNorm)) finiteNorms = false;
  }
  const index = new Int32Array(batch).fill(-1);
  const squaredDistance = new Float64Array(batch).fill(Number.POSITIVE_INFINITY);
  const candidates: number[] = [];
  for (let row = 0; row < batch; row++) {
    const queryNorm = querySquaredNorms[row] as number;
    // lower_k ≤ smallest upper  ⇔  keyLower_k − 2c ≤ min(keyUpper − 2c) + 2κ‖q‖²: one pass, with a threshold
    // that only falls, so a key above it now stays out; the survivors are filtered by the final one.
    const spread = 2 * factor * queryNorm;
    const rowOffset = row * keyCount;
    let smallestUpper = Number.POSITIVE_INFINITY;
    let threshold = Number.POSITIVE_INFINITY;
    let unranked = false;
    candidates.length = 0;
    for (let key = 0; key < keyCount; key++) {
      const twice = 2 * (dotProducts[rowOffset + key] as number);
      const upper = (keyUpper[key] as number) - twice;
      if (upper < smallestUpper) {
        smallestUpper = upper;
        threshold = smallestUpper + spread;
      }
      const lower = (keyLower[key] as number) - twice;
      if (lower <= threshold) candidates.push(key);
      // NaN or +Infinity: a NaN input, a non-finite norm, or a float32 product that overflowed.
      else if (!(lower < Number.POSITIVE_INFINITY)) unranked = true;
    }
    let chosen: Iterable<number>;
    // A threshold of -Infinity comes from a product that overflowed upwards.
    if (unranked || !finiteNorms || !Number.isFinite(queryNorm) || !Number.isFinite(threshold)) {
      // Something could not be ranked: recheck every key whose norms are finite, and let the exact sums decide.
      chosen = rankableKeys(keySquaredNorms, keyCount, queryNorm);
    } else {
      chosen = candidates.filter(
        (key) => (keyLower[key] as number) - 2 * (dotProducts[rowOffset + key] as number) <= threshold,
      );
    }
    const nearest: ExactNearest = exactNearestAmong(queries, row * width, keys, width, chosen);
    index[row] = nearest.index;
    squaredDistance[row] = nearest.squaredDistance;
  }
  return { index, squaredDistance };
}

/** Every key with a finite squared norm (none when the query's norm is not finite: no distance is). */
function rankableKeys(keySquaredNorms: ArrayLike<number>, keyCount: number, queryNorm: number): number[] {
  if (!Number.isFinite(queryNorm)) return [];
  const keys: number[] = [];
  for (let key = 0; key < keyCount; key++)
    if (Number.isFinite(keySquaredNorms[key] as number)) keys.push(key);
  return keys;
}

/** `[rows]`: `Σ x²` of each row of a row-major `[rows, width]` array, in float64 (dimension order). */
export function rowSquaredNorms(data: ArrayLike<number>, rows: number, width: number): Float64Array {
  const norms = new Float64Array(rows);
  for (let row = 0; row < rows; row++) {
    let sum = 0;
    const offset = row * width;
    for (let column = 0; column < width; column++) {
      const value = data[offset + column] as number;
      sum += value * value;
    }
    norms[row] = sum;
  }
  return norms;
}
