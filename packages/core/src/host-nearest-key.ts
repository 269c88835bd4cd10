import type { DotProductEngine } from './dot-product-engine.js';
import { exactNearestFromDotProducts } from './dot-product-engine.js';
import { type ExactNearest, exactNearestAmong } from './exact-nearest-key.js';
import { squaredNorm } from './row-norm-cache.js';

/** The unit round-off of float64, 2⁻⁵³: the built-in pre-select sums in float64. */
export const float64UnitRoundoff = 2 ** -53;

/**
 * Below this many keys the host searches by direct difference alone: the pre-select's second pass and its
 * candidate list cost more than they save there.
 */
export const hostPreselectMinimumKeys = 256;

/**
 * `[N]`: `q · k_n` for one query and every key row, in float64 with eight independent accumulators. Each
 * product of two float32 numbers is exact in float64 and the sums keep the γ_D bound whatever their order, so
 * this is a valid norm-identity pre-select at float64's unit round-off; it runs about 2–3× faster than the
 * direct-difference loop, whose single accumulator waits on every addition.
 */
export function float64DotProducts(
  query: Float32Array,
  keys: Float32Array,
  keyCount: number,
  width: number,
): Float64Array {
  const products = new Float64Array(keyCount);
  const unrolledEnd = width - (width % 8);
  for (let key = 0; key < keyCount; key++) {
    const offset = key * width;
    let sum0 = 0;
    let sum1 = 0;
    let sum2 = 0;
    let sum3 = 0;
    let sum4 = 0;
    let sum5 = 0;
    let sum6 = 0;
    let sum7 = 0;
    let column = 0;
    for (; column < unrolledEnd; column += 8) {
      const at = offset + column;
      sum0 += (query[column] as number) * (keys[at] as number);
      sum1 += (query[column + 1] as number) * (keys[at + 1] as number);
      sum2 += (query[column + 2] as number) * (keys[at + 2] as number);
      sum3 += (query[column + 3] as number) * (keys[at + 3] as number);
      sum4 += (query[column + 4] as number) * (keys[at + 4] as number);
      sum5 += (query[column + 5] as number) * (keys[at + 5] as number);
      sum6 += (query[column + 6] as number) * (keys[at + 6] as number);
      sum7 += (query[column + 7] as number) * (keys[at + 7] as number);
    }
    for (; column < width; column++) sum0 += (query[column] as number) * (keys[offset + column] as number);
    products[key] = sum0 + sum1 + (sum2 + sum3) + (sum4 + sum5 + (sum6 + sum7));
  }
  return products;
}

/** Inputs of {@link hostNearestKey}. */
export interface HostNearestKeyInputs {
  /** `[D]`. */
  readonly query: Float32Array;
  /** `[N, D]` row-major (a live view is fine). */
  readonly keys: Float32Array;
  /** `[N]`: `‖k_n‖²` in float64 (e.g. a {@link RowNormCache}'s). */
  readonly keySquaredNorms: ArrayLike<number>;
  readonly keyCount: number;
  readonly width: number;
  /** A BLAS-class engine for the pre-select; without one, {@link float64DotProducts} runs. */
  readonly engine?: DotProductEngine;
}

/**
 * The exact nearest key of one host query, fast: a norm-identity pre-select (one pass of dot products on
 * `engine`, or in float64 here) keeps the keys its error bound cannot rule out, and the exact recheck by direct
 * difference decides among them (`exactNearestFromDotProducts`). The index and squared distance are the
 * brute-force reference's ({@link exactNearestAmong} over every key) bit for bit; only the time differs.
 */
export function hostNearestKey(inputs: HostNearestKeyInputs): ExactNearest {
  const { query, keys, keySquaredNorms, keyCount, width, engine } = inputs;
  if (keyCount < hostPreselectMinimumKeys) {
    return exactNearestAmong(query, 0, keys, width, rowIndices(keyCount));
  }
  const dotProducts =
    engine === undefined
      ? float64DotProducts(query, keys, keyCount, width)
      : engine.dotProducts(query, keys.subarray(0, keyCount * width), 1, keyCount, width);
  const nearest = exactNearestFromDotProducts({
    queries: query,
    keys,
    dotProducts,
    querySquaredNorms: [squaredNorm(query, 0, width)],
    keySquaredNorms,
    batch: 1,
    keyCount,
    width,
    unitRoundoff: engine === undefined ? float64UnitRoundoff : engine.unitRoundoff,
  });
  return { index: nearest.index[0] as number, squaredDistance: nearest.squaredDistance[0] as number };
}

function* rowIndices(count: number): Iterable<number> {
  for (let row = 0; row < count; row++) yield row;
}
