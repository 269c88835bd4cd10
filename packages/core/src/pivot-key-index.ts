import { choosePivots } from './choose-pivots.js';
import { GraceError } from './errors.js';
import { exactSquaredDistance } from './exact-nearest-key.js';
import { SortedPivotTable } from './sorted-pivot-table.js';
import { squaredDistanceWithin } from './squared-distance-within.js';

/**
 * An exact GRACE lookup that skips work, kept up to date edit by edit: each key's distances to a few fixed
 * pivots, stored in the keys' order by their distance to the first pivot.
 *
 * GRACE's answer for a query q is its exact nearest key when q lies in that key's ball (`fround(√s) ≤ r`, s the
 * exact squared distance), else "defer". A key that could fire is within the largest radius R, so if any key is,
 * the nearest key is the nearest among those, and if none is, the answer is "defer" whatever the nearest key is
 * (most queries of a real stream). By the triangle inequality `|‖q − p‖ − ‖k − p‖| ≤ ‖q − k‖` for every pivot p,
 * so a key whose pivot distances differ from the query's by more than a bound b is farther than b. A lookup
 * therefore reads the keys whose first-pivot distance lies within R of the query's (a binary search), outward
 * from the query's own place, skips those another pivot rules out, and sums the rest exactly until a sum passes
 * the best so far; each nearer key found shrinks b to its distance, which ends the walk early where queries sit
 * next to keys. Each key in range costs a read of a few pivot distances instead of O(D).
 *
 * When the range for R holds more than `maximumRangeShare` of the keys, the index first probes the keys next to
 * the query in that order and sums the most promising one: a query on a key then gets a tiny bound and a short
 * range. A row whose range stays too wide is left to the caller's search ("undecided"): there the pivots cannot
 * separate the keys (balls wide against the keys' spread, or the distances of high-dimensional data), and a
 * full scan in the index's order would cost up to twice the caller's sequential brute force.
 *
 * Exactness: every test carries a margin for the float64 rounding of the pivot distances, their float32 storage
 * and the float32 rounding of the reported distance, a NaN never prunes, ties go to the lowest key index, and a
 * query or key that is not finite sends its row back to brute force ({@link firingKeys} lists it as undecided),
 * so every answer is the brute-force one, bit for bit (property tests check this on clustered, random and
 * all-hit data).
 *
 * Updates follow a codebook's row stores: appended and rewritten rows cost O(P·D) each plus an O(N·P) shift of
 * the sorted table, never a rebuild; `'all'` rebuilds (O(N·P·D)).
 */

/** Options of {@link PivotKeyIndex}. */
export interface PivotKeyIndexOptions {
  /**
   * Pivots per key (a float32 distance each, 4 bytes). Default: one per 16 key dimensions, 1 to 8, so that the
   * index stays a small share of the keys' own memory (at D = 768, 40 bytes per key against 3,072).
   */
  readonly pivots?: number;
  /** Keys needed before the pivots are chosen (from the keys then present); fewer keys leave every row undecided. Default 64. */
  readonly minimumKeys?: number;
  /**
   * A row whose first-pivot range (after the probe) holds more than this share of the keys is left to brute
   * force. Default 0.5: reading every key in the index's order costs up to about twice the caller's sequential
   * search (measured on uniform random keys with balls holding every query), so half the keys at most ties it.
   */
  readonly maximumRangeShare?: number;
}

/** Keys on each side of the query's place in the sorted order that {@link PivotKeyIndex.probe} looks at. */
const probeWindow = 64;

/** The nearest key found so far (-1 for none) and the squared distance a key must not exceed to compete. */
interface Bound {
  readonly key: number;
  readonly squared: number;
}

/** A reported float32 distance ≤ r means a float64 distance ≤ r·(1 + 2⁻²⁴) (with room for the float64 sqrt). */
const fireMargin = 1 + 2 ** -20;

export class PivotKeyIndex {
  readonly width: number;
  readonly pivotCount: number;
  private readonly minimumKeys: number;
  private readonly maximumRangeShare: number;
  /** ε: the relative error of a stored pivot distance (float64 over `width` coordinates, kept as float32). */
  private readonly epsilon: number;
  /** `[P, D]`, copies of keys chosen once; null until `minimumKeys` keys were seen. */
  private pivots: Float32Array | null = null;
  private rowCount = 0;
  /** The finite keys' pivot distances, sorted by the first. */
  private readonly sorted: SortedPivotTable;
  /** Rows whose pivot distances are not all finite (a non-finite key): while any exist, rows are undecided. */
  private readonly nonFinite = new Set<number>();
  /** Scratch: one row's pivot distances, and one query's admissible interval per pivot. */
  private readonly rowDistances: Float32Array;
  private readonly lower: Float64Array;
  private readonly upper: Float64Array;

  constructor(width: number, options: PivotKeyIndexOptions = {}) {
    const pivots = options.pivots ?? Math.min(8, Math.max(1, Math.round(width / 16)));
    const minimumKeys = options.minimumKeys ?? 64;
    const maximumRangeShare = options.maximumRangeShare ?? 0.5;
    if (
      !Number.isInteger(width) ||
      width < 1 ||
      !Number.isInteger(pivots) ||
      pivots < 1 ||
      !Number.isInteger(minimumKeys) ||
      minimumKeys < pivots ||
      !(maximumRangeShare >= 0 && maximumRangeShare <= 1)
    ) {
      throw new GraceError(
        'INVALID_ARGUMENT',
        'a pivot key index needs width ≥ 1, pivots ≥ 1, minimumKeys ≥ pivots and maximumRangeShare in [0, 1]',
        { width, pivots, minimumKeys, maximumRangeShare },
      );
    }
    this.width = width;
    this.pivotCount = pivots;
    this.minimumKeys = minimumKeys;
    this.maximumRangeShare = maximumRangeShare;
    // Float64 distances over `width` coordinates, then stored as float32 (one more rounding of 2⁻²⁴ each side).
    this.epsilon = (2 * width + 16) * 2 ** -53 + 2 ** -23;
    this.sorted = new SortedPivotTable(pivots);
    this.rowDistances = new Float32Array(pivots);
    this.lower = new Float64Array(pivots);
    this.upper = new Float64Array(pivots);
  }

  /** Keys the index follows. */
  get rows(): number {
    return this.rowCount;
  }

  /** Bytes held: pivots, the distance table and the sorted order, spare capacity included (about 4·(P + 2) per key). */
  get bytes(): number {
    return (this.pivots?.byteLength ?? 0) + this.sorted.bytes;
  }

  /**
   * Follows `keys` (`[rows * D]` row-major, the whole used part, as `RowMirror.sync` gets it): rows from the
   * previous row count on are new, rows below it are recomputed when listed in `changedRows` (or all with
   * `'all'`), fewer rows than before drop the last ones.
   */
  update(keys: Float32Array, changedRows: readonly number[] | 'all'): void {
    const rows = Math.floor(keys.length / this.width);
    if (this.pivots === null) {
      this.rowCount = rows;
      if (rows < this.minimumKeys) return;
      this.pivots = choosePivots(keys, rows, this.width, this.pivotCount);
      this.rebuild(keys, rows);
      return;
    }
    if (changedRows === 'all') {
      this.rebuild(keys, rows);
      return;
    }
    const previous = this.rowCount;
    for (let row = rows; row < previous; row++) this.remove(row);
    const kept = Math.min(previous, rows);
    this.sorted.reserve(rows);
    for (const row of new Set(changedRows)) {
      if (row >= kept) continue;
      this.remove(row);
      this.place(keys, row);
    }
    for (let row = kept; row < rows; row++) this.place(keys, row);
    this.rowCount = rows;
  }

  /**
   * Writes `hitIndex[b]` (the firing key, or -1 to defer) for every row it can decide exactly and returns the
   * rows it left undecided (a non-finite query or key, too many keys in range, an index not yet built), which
   * the caller answers by brute force. `keys [N, D]` and `radii [N]` are what the index was last updated with.
   */
  firingKeys(
    queries: Float32Array,
    batch: number,
    keys: Float32Array,
    radii: Float32Array,
    hitIndex: Int32Array,
  ): number[] {
    const undecided: number[] = [];
    const pivots = this.pivots;
    if (pivots === null || this.nonFinite.size > 0 || this.rowCount === 0) {
      for (let row = 0; row < batch; row++) undecided.push(row);
      return undecided;
    }
    let largestRadius = Number.NEGATIVE_INFINITY;
    for (let key = 0; key < this.rowCount; key++) {
      const radius = radii[key] as number;
      if (radius > largestRadius) largestRadius = radius;
    }
    const queryDistances = new Float64Array(this.pivotCount);
    const limit = this.maximumRangeShare * this.rowCount;
    for (let row = 0; row < batch; row++) {
      const offset = row * this.width;
      let finite = true;
      for (let pivot = 0; pivot < this.pivotCount; pivot++) {
        const distance = Math.sqrt(
          exactSquaredDistance(queries, offset, pivots, pivot * this.width, this.width),
        );
        queryDistances[pivot] = distance;
        if (!Number.isFinite(distance)) finite = false;
      }
      if (!finite) {
        undecided.push(row);
        continue;
      }
      if (!(largestRadius >= 0)) {
        hitIndex[row] = -1;
        continue;
      }
      let bound: Bound = { key: -1, squared: largestRadius * fireMargin * (largestRadius * fireMargin) };
      this.setInterval(queryDistances, largestRadius * fireMargin);
      let start = this.sorted.lowerBound(this.lower[0] as number);
      let end = this.sorted.upperBound(this.upper[0] as number);
      if (end - start > limit) {
        // Too many keys in range for the largest radius: a query sitting next to a key needs far fewer.
        bound = this.probe(queries, offset, keys, queryDistances, bound);
        this.setInterval(queryDistances, Math.sqrt(bound.squared) * fireMargin);
        start = this.sorted.lowerBound(this.lower[0] as number);
        end = this.sorted.upperBound(this.upper[0] as number);
        if (end - start > limit) {
          undecided.push(row);
          continue;
        }
      }
      hitIndex[row] = this.firingKey(queries, offset, keys, radii, queryDistances, bound, start, end);
    }
    return undecided;
  }

  /**
   * A cheap first candidate: of the keys next to the query in the sorted order ({@link probeWindow} each side),
   * the one the pivots place nearest (the largest of its pivot-distance gaps is smallest), summed exactly. If it
   * is within `bound`, it becomes the bound, which then narrows the range a lookup must read.
   */
  private probe(
    queries: Float32Array,
    offset: number,
    keys: Float32Array,
    queryDistances: Float64Array,
    bound: Bound,
  ): Bound {
    const pivotCount = this.pivotCount;
    const center = this.sorted.lowerBound(queryDistances[0] as number);
    let best = -1;
    let bestGap = Number.POSITIVE_INFINITY;
    const last = Math.min(this.sorted.count, center + probeWindow);
    for (let position = Math.max(0, center - probeWindow); position < last; position++) {
      let gap = 0;
      for (let pivot = 0; pivot < pivotCount; pivot++) {
        const difference = Math.abs(
          (queryDistances[pivot] as number) - (this.sorted.table[position * pivotCount + pivot] as number),
        );
        if (difference > gap) gap = difference;
      }
      if (gap < bestGap) {
        bestGap = gap;
        best = position;
      }
    }
    if (best < 0) return bound;
    const key = this.sorted.order[best] as number;
    const squared = squaredDistanceWithin(queries, offset, keys, key * this.width, this.width, bound.squared);
    return squared <= bound.squared ? { key, squared } : bound;
  }

  /**
   * GRACE's answer for one query whose first-pivot range (for the largest radius) is `[start, end)`: its exact
   * nearest key if that key holds it, else -1. A key that could fire lies within `reach` (the largest radius and
   * its margin), so if any key lies within `reach` the nearest key is the nearest among them, and if none does
   * the nearest key is farther than every radius. The keys in range are read in sorted order; each is first
   * checked against the pivots' intervals (which shrink as nearer keys are found), then its distance is summed
   * until it exceeds the best so far.
   */
  private firingKey(
    queries: Float32Array,
    offset: number,
    keys: Float32Array,
    radii: Float32Array,
    queryDistances: Float64Array,
    bound: Bound,
    start: number,
    end: number,
  ): number {
    const width = this.width;
    const pivotCount = this.pivotCount;
    const table = this.sorted.table;
    const order = this.sorted.order;
    const lower = this.lower;
    const upper = this.upper;
    // A key summed past the largest reach² cannot fire; once a key is found, only keys at most as far compete.
    let nearest = bound.key;
    let nearestSquared = bound.squared;
    /** Checks the key at `position`; false once the sorted order has left the first pivot's interval. */
    const visit = (position: number): void => {
      const base = position * pivotCount;
      for (let pivot = 1; pivot < pivotCount; pivot++) {
        const distance = table[base + pivot] as number;
        if (distance < (lower[pivot] as number) || distance > (upper[pivot] as number)) return;
      }
      const key = order[position] as number;
      const squared = squaredDistanceWithin(queries, offset, keys, key * width, width, nearestSquared);
      if (squared < nearestSquared) {
        nearest = key;
        nearestSquared = squared;
        this.setInterval(queryDistances, Math.sqrt(squared) * fireMargin);
      } else if (squared === nearestSquared && (nearest < 0 || key < nearest)) {
        nearest = key;
      }
    };
    // Outward from the query's own first-pivot distance, so that near keys come first and shrink the intervals;
    // each side stops where the (shrinking) first interval ends, since the order is sorted by it.
    const center = this.sorted.lowerBound(queryDistances[0] as number);
    let left = Math.min(center, end) - 1;
    let right = Math.max(center, start);
    while (true) {
      const leftOpen = left >= start && (table[left * pivotCount] as number) >= (lower[0] as number);
      const rightOpen = right < end && (table[right * pivotCount] as number) <= (upper[0] as number);
      if (!leftOpen && !rightOpen) break;
      if (rightOpen) visit(right++);
      if (leftOpen) visit(left--);
    }
    if (nearest < 0) return -1;
    return Math.fround(Math.sqrt(nearestSquared)) <= (radii[nearest] as number) ? nearest : -1;
  }

  /**
   * Each pivot's interval of key distances that can lie within `reach` of the query: `|q_p − k_p| ≤ ‖q − k‖`, with
   * room for the float64 and float32 rounding of both distances (ε, over the largest distance stored) and of the
   * bounds themselves (the margin's 2⁻²⁰ and ε's 2⁻²³ dwarf the 2⁻⁵³ of one subtraction).
   */
  private setInterval(queryDistances: Float64Array, reach: number): void {
    for (let pivot = 0; pivot < this.pivotCount; pivot++) {
      const distance = queryDistances[pivot] as number;
      const bound = reach + this.epsilon * (distance + this.sorted.largestDistance);
      this.lower[pivot] = distance - bound;
      this.upper[pivot] = distance + bound;
    }
  }

  private rebuild(keys: Float32Array, rows: number): void {
    const pivotCount = this.pivotCount;
    this.nonFinite.clear();
    this.sorted.reserve(rows);
    const distances = new Float32Array(rows * pivotCount);
    const finiteRows: number[] = [];
    for (let row = 0; row < rows; row++) {
      if (this.computeRow(keys, row)) finiteRows.push(row);
      else this.nonFinite.add(row);
      distances.set(this.rowDistances, row * pivotCount);
    }
    this.sorted.fill(distances, finiteRows);
    this.rowCount = rows;
  }

  /**
   * Computes row `row`'s pivot distances into `rowDistances`; false when one is not finite as stored (a
   * non-finite key, or a distance beyond float32's range, which then leaves rows to brute force rather than
   * misplacing the key).
   */
  private computeRow(keys: Float32Array, row: number): boolean {
    const pivots = this.pivots as Float32Array;
    let finite = true;
    for (let pivot = 0; pivot < this.pivotCount; pivot++) {
      this.rowDistances[pivot] = Math.sqrt(
        exactSquaredDistance(keys, row * this.width, pivots, pivot * this.width, this.width),
      );
      if (!Number.isFinite(this.rowDistances[pivot] as number)) finite = false;
    }
    return finite;
  }

  /** Computes a row and inserts it into the sorted table (or the non-finite set). */
  private place(keys: Float32Array, row: number): void {
    if (this.computeRow(keys, row)) this.sorted.insert(row, this.rowDistances);
    else this.nonFinite.add(row);
  }

  /** Takes a row out of the sorted table (or the non-finite set), before it is recomputed or dropped. */
  private remove(row: number): void {
    if (!this.nonFinite.delete(row)) this.sorted.remove(row);
  }
}
