import { squaredDistanceWithin } from './squared-distance-within.js';

/** A reported float32 distance ≤ r means a float64 distance ≤ r·(1 + 2⁻²⁴) (with room for the float64 sqrt). */
export const fireMargin = 1 + 2 ** -20;

/**
 * One query's nearest-key search over stored (m + 1)-wide points (see `ProjectionKeyTree`): the nearest key so
 * far, the reach its distance leaves, and the scan that bounds a run of points and sums exactly only the keys whose
 * bound is within the reach. Reused from query to query, so a lookup allocates nothing per row.
 *
 * {@link scan} keeps the state in locals for a whole run of points (a leaf): the point loop is most of a lookup's
 * time, and fields or closure variables read per point cost a fifth of it.
 */
export class ProjectedWalk {
  /** The nearest key summed so far (ties to the lowest index), -1 for none. */
  nearest = -1;
  /** Its exact float64 squared distance, or the squared initial reach while there is none. */
  nearestSquared = 0;
  /** A point whose squared bound is above this belongs to a key beyond the reach. */
  limitSquared = 0;
  /** Keys summed exactly since {@link begin}. */
  summed = 0;
  private readonly query: Float64Array;
  private readonly stride: number;
  private readonly width: number;
  private queries: Float32Array = new Float32Array(0);
  private offset = 0;
  private keys: Float32Array = new Float32Array(0);
  private margin = 0;

  /** `query`: the `[stride]` float64 point the caller projects each query into; `width`: D. */
  constructor(query: Float64Array, width: number) {
    this.query = query;
    this.stride = query.length;
    this.width = width;
  }

  /**
   * Starts query row `offset` of `queries` (its point already in `query`) with no key found: the reach is
   * `initialReach`, widened by `margin` (the bound's rounding allowance) for the points.
   */
  begin(
    queries: Float32Array,
    offset: number,
    keys: Float32Array,
    initialReach: number,
    margin: number,
  ): void {
    this.queries = queries;
    this.offset = offset;
    this.keys = keys;
    this.margin = margin;
    this.nearest = -1;
    this.nearestSquared = initialReach * initialReach;
    const limit = initialReach + margin;
    this.limitSquared = limit * limit;
    this.summed = 0;
  }

  /**
   * Bounds the points `points[start…end)` (each `stride` wide) of keys `order[position]`, skipping keys set in
   * `masked` (null: none is), and sums exactly every key whose bound is within the reach, shrinking the reach to
   * each nearer key.
   */
  scan(points: Float32Array, start: number, end: number, order: Int32Array, masked: Uint8Array | null): void {
    const { query, stride, width, queries, offset, keys, margin } = this;
    let { nearest, nearestSquared, limitSquared, summed } = this;
    for (let position = start; position < end; position++) {
      if (pointBound(query, points, position * stride, stride, limitSquared) > limitSquared) continue;
      const key = order[position] as number;
      if (masked !== null && masked[key] === 1) continue;
      summed++;
      const squared = squaredDistanceWithin(queries, offset, keys, key * width, width, nearestSquared);
      if (squared < nearestSquared || (squared === nearestSquared && (nearest < 0 || key < nearest))) {
        if (squared < nearestSquared) {
          nearestSquared = squared;
          const limit = Math.sqrt(squared) * fireMargin + margin;
          limitSquared = limit * limit;
        }
        nearest = key;
      }
    }
    this.nearest = nearest;
    this.nearestSquared = nearestSquared;
    this.limitSquared = limitSquared;
    this.summed = summed;
  }
}

/**
 * `‖query − point‖²` of a stored point (`points[base…base + stride)`) in float64, coordinate order (the same bits
 * as a plain loop), or a partial sum above `limit` once one appears (checked every four coordinates: adding
 * squares never lowers the sum). A NaN is returned as is and never passes `> limit`.
 */
function pointBound(
  query: Float64Array,
  points: Float32Array,
  base: number,
  stride: number,
  limit: number,
): number {
  let sum = 0;
  let coordinate = 0;
  const unrolledEnd = stride - (stride % 4);
  while (coordinate < unrolledEnd && sum <= limit) {
    const difference0 = (query[coordinate] as number) - (points[base + coordinate] as number);
    const difference1 = (query[coordinate + 1] as number) - (points[base + coordinate + 1] as number);
    const difference2 = (query[coordinate + 2] as number) - (points[base + coordinate + 2] as number);
    const difference3 = (query[coordinate + 3] as number) - (points[base + coordinate + 3] as number);
    sum =
      sum +
      difference0 * difference0 +
      difference1 * difference1 +
      difference2 * difference2 +
      difference3 * difference3;
    coordinate += 4;
  }
  for (; coordinate < stride && sum <= limit; coordinate++) {
    const difference = (query[coordinate] as number) - (points[base + coordinate] as number);
    sum += difference * difference;
  }
  return sum;
}
