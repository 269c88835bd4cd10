import { GraceError } from './errors.js';
import { exactSquaredDistance } from './exact-nearest-key.js';

/**
 * An exact GRACE lookup that skips work, kept up to date edit by edit: each key's distances to a few fixed
 * pivots, and the keys sorted by their distance to the first pivot.
 *
 * GRACE's answer for a query q is its exact nearest key when q lies in that key's ball (`fround(√s) ≤ r`, s the
 * exact squared distance), else "defer". By the triangle inequality `|‖q − p‖ − ‖k − p‖| ≤ ‖q − k‖` for every
 * pivot p, so a key whose pivot distances differ from the query's by more than its radius cannot hold q. A
 * lookup therefore (1) takes the keys whose first-pivot distance lies within the largest radius of the
 * query's (a binary search in the sorted order), (2) drops those that any pivot rules out, (3) checks the rest
 * exactly — if none holds q, the answer is "defer" whatever the nearest key is (most queries of a real stream);
 * otherwise (4) the nearest key is at most as far as the nearest holder d*, and the keys the pivots cannot
 * place beyond d* decide it exactly. Each step costs O(pivots) per key in range instead of O(D) per key.
 *
 * Exactness: every test carries a margin for the float64 rounding of the pivot distances and for the float32
 * rounding of the reported distance, a NaN never prunes, and a query or key that is not finite sends its row
 * back to brute force ({@link firingKeys} lists it as undecided), so every answer is the brute-force one, bit
 * for bit (a property test checks this on clustered and random data). Only the work differs: with radii small
 * against the spread of the keys' distances (GRACE's balls are) few keys are in range; with huge radii every
 * row is undecided and the caller's brute force answers.
 *
 * Updates follow a codebook's row stores: appended and rewritten rows cost O(P·D) each plus an O(N) shift of
 * the sorted order (integers), never a rebuild; `'all'` rebuilds (O(N·P·D)).
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
   * A row whose first-pivot range holds more than this share of the keys is left to brute force. Default
   * `min(0.5, D / 480)`: the share where the index stopped paying on lande's 120-wide keys (about a quarter),
   * scaled by the width, since a brute-force distance costs D while a key in range costs the index a few pivots.
   */
  readonly maximumRangeShare?: number;
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
  /** `[rows, P]`: each key's distance to each pivot (float32: half the memory, ε covers the rounding). */
  private table = new Float32Array(0);
  /** Finite keys sorted by their first-pivot distance, and those distances. */
  private order = new Int32Array(0);
  private sorted = new Float32Array(0);
  private sortedCount = 0;
  /** Rows whose pivot distances are not all finite (a non-finite key): while any exist, rows are undecided. */
  private readonly nonFinite = new Set<number>();

  constructor(width: number, options: PivotKeyIndexOptions = {}) {
    const pivots = options.pivots ?? Math.min(8, Math.max(1, Math.round(width / 16)));
    const minimumKeys = options.minimumKeys ?? 64;
    const maximumRangeShare = options.maximumRangeShare ?? Math.min(0.5, width / 480);
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
  }

  /** Keys the index follows. */
  get rows(): number {
    return this.rowCount;
  }

  /** Bytes held: pivots, the distance table and the sorted order, spare capacity included (about 4·(P + 2) per key). */
  get bytes(): number {
    return (
      (this.pivots?.byteLength ?? 0) + this.table.byteLength + this.order.byteLength + this.sorted.byteLength
    );
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
    this.reserve(rows);
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
      const range = this.range(queryDistances[0] as number, largestRadius * fireMargin);
      if (range.end - range.start > limit) {
        undecided.push(row);
        continue;
      }
      hitIndex[row] = this.firingKey(queries, offset, keys, radii, queryDistances, range);
    }
    return undecided;
  }

  /** Steps (3) and (4) of the class comment for one query row whose first-pivot range is `range`. */
  private firingKey(
    queries: Float32Array,
    offset: number,
    keys: Float32Array,
    radii: Float32Array,
    queryDistances: Float64Array,
    range: { start: number; end: number },
  ): number {
    const width = this.width;
    let holder = -1;
    let holderSquared = Number.POSITIVE_INFINITY;
    for (let position = range.start; position < range.end; position++) {
      const key = this.order[position] as number;
      const radius = radii[key] as number;
      const reach = radius * fireMargin;
      if (!(radius >= 0) || !this.mayBeWithin(key, queryDistances, reach)) continue;
      // A key whose partial sum passes (r·margin)² cannot report a distance ≤ r.
      const squared = squaredDistanceWithin(queries, offset, keys, key * width, width, reach * reach);
      if (!(Math.fround(Math.sqrt(squared)) <= radius)) continue;
      if (squared < holderSquared || (squared === holderSquared && key < holder)) {
        holder = key;
        holderSquared = squared;
      }
    }
    if (holder < 0) return -1;
    // The nearest key is at most as far as the nearest holder; only keys the pivots cannot rule out compete.
    const reach = Math.sqrt(holderSquared) * fireMargin;
    const near = this.range(queryDistances[0] as number, reach);
    let nearest = holder;
    let nearestSquared = holderSquared;
    for (let position = near.start; position < near.end; position++) {
      const key = this.order[position] as number;
      if (key === holder || !this.mayBeWithin(key, queryDistances, reach)) continue;
      // A partial sum above the best so far can neither beat nor tie it.
      const squared = squaredDistanceWithin(queries, offset, keys, key * width, width, nearestSquared);
      if (squared < nearestSquared || (squared === nearestSquared && key < nearest)) {
        nearest = key;
        nearestSquared = squared;
      }
    }
    return Math.fround(Math.sqrt(nearestSquared)) <= (radii[nearest] as number) ? nearest : -1;
  }

  /** Whether no pivot proves key `key` farther than `reach` from the query (margins included). */
  private mayBeWithin(key: number, queryDistances: Float64Array, reach: number): boolean {
    const base = key * this.pivotCount;
    for (let pivot = 0; pivot < this.pivotCount; pivot++) {
      const queryDistance = queryDistances[pivot] as number;
      const keyDistance = this.table[base + pivot] as number;
      if (Math.abs(queryDistance - keyDistance) > reach + this.epsilon * (queryDistance + keyDistance)) {
        return false;
      }
    }
    return true;
  }

  /** Positions `[start, end)` of the sorted order whose first-pivot distance is within `reach` of `center`. */
  private range(center: number, reach: number): { start: number; end: number } {
    const largest = this.sortedCount > 0 ? (this.sorted[this.sortedCount - 1] as number) : 0;
    const slack = this.epsilon * (center + largest);
    return {
      start: this.lowerBound(center - reach - slack),
      end: this.upperBound(center + reach + slack),
    };
  }

  /** First sorted position whose distance is ≥ value. */
  private lowerBound(value: number): number {
    let low = 0;
    let high = this.sortedCount;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.sorted[middle] as number) < value) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** First sorted position whose distance is > value. */
  private upperBound(value: number): number {
    let low = 0;
    let high = this.sortedCount;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.sorted[middle] as number) <= value) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private rebuild(keys: Float32Array, rows: number): void {
    this.rowCount = 0;
    this.sortedCount = 0;
    this.nonFinite.clear();
    this.reserve(rows);
    const finiteRows: number[] = [];
    for (let row = 0; row < rows; row++) {
      if (this.computeRow(keys, row)) finiteRows.push(row);
      else this.nonFinite.add(row);
    }
    const pivotCount = this.pivotCount;
    finiteRows.sort(
      (left, right) =>
        (this.table[left * pivotCount] as number) - (this.table[right * pivotCount] as number) ||
        left - right,
    );
    for (const [position, row] of finiteRows.entries()) {
      this.order[position] = row;
      this.sorted[position] = this.table[row * pivotCount] as number;
    }
    this.sortedCount = finiteRows.length;
    this.rowCount = rows;
  }

  /** Grows the arrays (by a quarter at least) to hold `rows` keys. */
  private reserve(rows: number): void {
    const capacity = this.order.length;
    if (rows <= capacity) return;
    const grown = Math.max(rows, Math.ceil(capacity * 1.25), 16);
    const table = new Float32Array(grown * this.pivotCount);
    table.set(this.table);
    this.table = table;
    const order = new Int32Array(grown);
    order.set(this.order);
    this.order = order;
    const sorted = new Float32Array(grown);
    sorted.set(this.sorted);
    this.sorted = sorted;
  }

  /**
   * Computes row `row`'s pivot distances; false when one is not finite as stored (a non-finite key, or a
   * distance beyond float32's range, which then leaves rows to brute force rather than misplacing the key).
   */
  private computeRow(keys: Float32Array, row: number): boolean {
    const pivots = this.pivots as Float32Array;
    let finite = true;
    for (let pivot = 0; pivot < this.pivotCount; pivot++) {
      const at = row * this.pivotCount + pivot;
      this.table[at] = Math.sqrt(
        exactSquaredDistance(keys, row * this.width, pivots, pivot * this.width, this.width),
      );
      if (!Number.isFinite(this.table[at] as number)) finite = false;
    }
    return finite;
  }

  /** Computes a row and inserts it into the sorted order (or the non-finite set). */
  private place(keys: Float32Array, row: number): void {
    if (!this.computeRow(keys, row)) {
      this.nonFinite.add(row);
      return;
    }
    const distance = this.table[row * this.pivotCount] as number;
    const position = this.upperBound(distance);
    this.order.copyWithin(position + 1, position, this.sortedCount);
    this.sorted.copyWithin(position + 1, position, this.sortedCount);
    this.order[position] = row;
    this.sorted[position] = distance;
    this.sortedCount++;
  }

  /** Takes a row out of the sorted order (or the non-finite set), before it is recomputed or dropped. */
  private remove(row: number): void {
    if (this.nonFinite.delete(row)) return;
    const distance = this.table[row * this.pivotCount] as number;
    let position = this.lowerBound(distance);
    while (position < this.sortedCount && this.order[position] !== row) position++;
    if (position >= this.sortedCount) return;
    this.order.copyWithin(position, position + 1, this.sortedCount);
    this.sorted.copyWithin(position, position + 1, this.sortedCount);
    this.sortedCount--;
  }
}

/**
 * The exact squared distance (float64, dimension order: `exactSquaredDistance`'s bits), or a partial sum above
 * `limit` as soon as one appears — adding non-negative terms never makes a float64 sum smaller, so such a key
 * is farther than `limit` whatever the rest adds. Unrolled by four, summed left to right like the plain loop.
 */
function squaredDistanceWithin(
  queries: Float32Array,
  queryOffset: number,
  keys: Float32Array,
  keyOffset: number,
  width: number,
  limit: number,
): number {
  const unrolledEnd = width - (width % 4);
  let sum = 0;
  let column = 0;
  while (column < unrolledEnd && !(sum > limit)) {
    const query = queryOffset + column;
    const key = keyOffset + column;
    const difference0 = (queries[query] as number) - (keys[key] as number);
    const difference1 = (queries[query + 1] as number) - (keys[key + 1] as number);
    const difference2 = (queries[query + 2] as number) - (keys[key + 2] as number);
    const difference3 = (queries[query + 3] as number) - (keys[key + 3] as number);
    sum =
      sum +
      difference0 * difference0 +
      difference1 * difference1 +
      difference2 * difference2 +
      difference3 * difference3;
    column += 4;
  }
  if (sum > limit) return sum;
  for (; column < width; column++) {
    const difference = (queries[queryOffset + column] as number) - (keys[keyOffset + column] as number);
    sum = sum + difference * difference;
  }
  return sum;
}

/**
 * Farthest-first pivots among the first keys (at most 256 of them): the key farthest from key 0, then each
 * time the key farthest from every pivot chosen so far, so the pivots spread over the data.
 */
function choosePivots(keys: Float32Array, rows: number, width: number, count: number): Float32Array {
  const pool = Math.min(rows, 256);
  const pivots = new Float32Array(count * width);
  const nearestPivot = new Float64Array(pool);
  for (let row = 0; row < pool; row++)
    nearestPivot[row] = exactSquaredDistance(keys, row * width, keys, 0, width);
  for (let pivot = 0; pivot < count; pivot++) {
    let chosen = 0;
    for (let row = 1; row < pool; row++) {
      if ((nearestPivot[row] as number) > (nearestPivot[chosen] as number)) chosen = row;
    }
    pivots.set(keys.subarray(chosen * width, (chosen + 1) * width), pivot * width);
    for (let row = 0; row < pool; row++) {
      const squared = exactSquaredDistance(keys, row * width, pivots, pivot * width, width);
      if (!(squared >= (nearestPivot[row] as number))) nearestPivot[row] = squared;
    }
  }
  return pivots;
}
