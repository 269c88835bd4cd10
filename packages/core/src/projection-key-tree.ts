import type { FiringKeyIndex } from './firing-key-index.js';
import { type PrincipalBasis, principalBasis, projectRow } from './principal-basis.js';
import { ProjectedKdTree } from './projected-kd-tree.js';
import { fireMargin, ProjectedWalk } from './projected-walk.js';
import {
  type ProjectionKeyTreeOptions,
  resolveProjectionKeyTreeOptions,
} from './projection-key-tree-options.js';

/**
 * An exact GRACE lookup that skips work where keys lie near a low-dimensional subspace (real activations do): a
 * k-d tree over each key's coordinates on a few principal directions, kept current edit by edit.
 *
 * For an orthonormal basis U (rows u_1…u_m) and mean μ, every key k has coordinates c_k = U(k − μ) and a residual
 * norm ρ_k = ‖(k − μ) − Uᵀc_k‖, and for every query q
 * `‖q − k‖² ≥ ‖c_q − c_k‖² + (ρ_q − ρ_k)²` (the projection keeps the first part, and the residual's norm
 * changes by at most the residual of q − k). Any orthonormal basis makes this an exact lower bound; one near the
 * keys' principal directions ({@link principalBasis}) makes it tight. A lookup walks the tree of these (m + 1)-wide
 * points nearest branch first, skipping every node whose bounding box lies beyond the reach, and sums exactly
 * (float64, dimension order) only the keys whose own bound is within it. The reach starts at the largest radius
 * (a key that could fire lies within it: if none does, the answer is "defer" whatever the nearest key is) and
 * shrinks to each nearer key found, so a query on a key stops almost at once.
 *
 * Exactness: the bound is compared with the reach plus a margin for every rounding on the way (the basis's
 * distance from orthonormal, float64 projections, float32 storage of the points: 2⁻¹⁸ of the norms involved, far
 * above those errors, far below the distances that decide anything), ties go to the lowest key index, a NaN never
 * prunes, and a non-finite query or key sends its row back to the caller's search; so every answer is the
 * brute-force one, bit for bit (property tests against brute force check this with appends, rewrites and drops).
 *
 * Updates: the tree covers a snapshot of the rows; a row written since (appended or rewritten) is projected at
 * once (O(m·D)) and kept in a loose list that every lookup reads, a rewritten or dropped row is masked in the
 * tree, and once the loose rows pass `64 + rows/8` the basis and the tree are rebuilt (O(N·m·D), amortised O(m·D)
 * per edit). Keys the basis cannot describe (random keys: the basis misses more than `maximumResidualShare` of
 * their variance) leave every row undecided at no cost beyond the basis, estimated again when the rows double.
 */

/** A basis whose rows are further than this from orthonormal is not trusted (the tree stays off). */
const maximumOrthogonalityError = 2 ** -44;

export class ProjectionKeyTree implements FiringKeyIndex {
  readonly width: number;
  readonly dimensions: number;
  private readonly leafSize: number;
  private readonly minimumKeys: number;
  private readonly maximumResidualShare: number;
  private readonly maximumVisitShare: number;
  /** Point width: m coordinates and the residual norm. */
  private readonly stride: number;
  private basis: PrincipalBasis | null = null;
  /** Whether the basis describes the keys well enough for the tree to be used. */
  private useful = false;
  /** Rows at the last (re)build or usefulness check. */
  private builtRows = 0;
  private rowCount = 0;
  private tree: ProjectedKdTree | null = null;
  /** Rows below `builtRows` whose point in the tree is out of date (rewritten or dropped). */
  private masked = new Uint8Array(0);
  /** Rows written since the build, with their points. */
  private readonly loose = new Map<number, Float32Array>();
  /** Rows with a non-finite key or point: while any exist, every row is undecided. */
  private readonly nonFinite = new Set<number>();
  /** Largest ‖k − μ‖ of any key projected since the build (never lowered: a larger margin is only looser). */
  private largestNorm = 0;
  /**
   * The bound's margin per unit of norm (‖q − μ‖ + the largest ‖k − μ‖): float32 storage of the points (2⁻²⁴ of
   * each), float64 sums over D and m terms, and ρ = √(‖x‖² − ‖c‖²), whose error is at most the square root of
   * its square's (rounding plus the basis's distance η from orthonormal, times m) — each taken four times over.
   */
  private relativeError = 2 ** -18;
  /** Scratch: one query's point and its centered copy. */
  private readonly queryPoint: Float64Array;
  private readonly centered: Float64Array;
  /** Scratch: one key's point in float64 before it is stored as float32. */
  private readonly keyPoint: Float64Array;
  /** Scratch of the walk: one query's search, a loose row's key, stacked nodes and their box bounds. */
  private readonly walk: ProjectedWalk;
  private readonly looseKey = new Int32Array(1);
  private stack = new Int32Array(64);
  private stackBound = new Float64Array(64);
  /** Rows set in `masked` (the walk skips reading it while none is). */
  private maskedCount = 0;
  /**
   * Work counters since construction: rows walked, stored points bounded, keys summed exactly (a summed key
   * costs O(D), a bounded point O(m)), and tree builds; benchmarks read them to report the share of brute
   * force's work done.
   */
  readonly work = { rows: 0, boundedKeys: 0, summedKeys: 0, builds: 0 };

  constructor(width: number, options: ProjectionKeyTreeOptions = {}) {
    const { dimensions, leafSize, minimumKeys, maximumResidualShare, maximumVisitShare } =
      resolveProjectionKeyTreeOptions(width, options);
    this.width = width;
    this.dimensions = dimensions;
    this.leafSize = leafSize;
    this.minimumKeys = minimumKeys;
    this.maximumResidualShare = maximumResidualShare;
    this.maximumVisitShare = maximumVisitShare;
    this.stride = dimensions + 1;
    this.queryPoint = new Float64Array(this.stride);
    this.centered = new Float64Array(width);
    this.keyPoint = new Float64Array(this.stride);
    this.walk = new ProjectedWalk(this.queryPoint, width);
  }

  /** Keys the index follows. */
  get rows(): number {
    return this.rowCount;
  }

  /** Whether lookups currently use the tree (built, and the basis describes the keys). */
  get active(): boolean {
    return this.tree !== null && this.useful;
  }

  /** Share of the keys' variance the basis misses (1 before it is estimated). */
  get residualShare(): number {
    return this.basis?.residualShare ?? 1;
  }

  /** Bytes held: basis, tree and loose points (about 4·(m + 2) per key plus the nodes). */
  get bytes(): number {
    let loose = 0;
    for (const point of this.loose.values()) loose += point.byteLength;
    return (
      (this.basis === null ? 0 : this.basis.directions.byteLength + this.basis.mean.byteLength) +
      (this.tree?.bytes ?? 0) +
      this.masked.byteLength +
      loose
    );
  }

  /**
   * Follows `keys` (`[rows * D]` row-major, the whole used part, as `RowMirror.sync` gets it): rows from the
   * previous row count on are new, rows below it are recomputed when listed in `changedRows` (or all with
   * `'all'`), fewer rows than before drop the last ones.
   */
  update(keys: Float32Array, changedRows: readonly number[] | 'all'): void {
    const rows = Math.floor(keys.length / this.width);
    if (changedRows === 'all' || this.basis === null) {
      this.rebuild(keys, rows);
      return;
    }
    if (!this.useful) {
      this.rowCount = rows;
      if (rows >= 2 * this.builtRows) this.rebuild(keys, rows);
      return;
    }
    const previous = this.rowCount;
    for (let row = rows; row < previous; row++) this.forget(row);
    const kept = Math.min(previous, rows);
    for (const row of new Set(changedRows)) {
      if (row >= kept) continue;
      this.forget(row);
      this.project(keys, row);
    }
    for (let row = kept; row < rows; row++) this.project(keys, row);
    this.rowCount = rows;
    if (this.loose.size > 64 + rows / 8) this.rebuild(keys, rows);
  }

  /**
   * Writes `hitIndex[b]` (the firing key, or -1 to defer) for every row it can decide exactly and returns the
   * rows it left undecided (a non-finite query or key, an index that is off or not yet built, a walk over budget),
   * which the caller answers another way. `keys [N, D]` and `radii [N]` are what the index was last updated with.
   */
  firingKeys(
    queries: Float32Array,
    batch: number,
    keys: Float32Array,
    radii: Float32Array,
    hitIndex: Int32Array,
  ): number[] {
    const undecided: number[] = [];
    if (!this.active || this.nonFinite.size > 0 || this.rowCount === 0) {
      for (let row = 0; row < batch; row++) undecided.push(row);
      return undecided;
    }
    let largestRadius = Number.NEGATIVE_INFINITY;
    for (let key = 0; key < this.rowCount; key++) {
      const radius = radii[key] as number;
      if (radius > largestRadius) largestRadius = radius;
    }
    const budget = Math.max(this.leafSize, this.maximumVisitShare * this.rowCount);
    for (let row = 0; row < batch; row++) {
      const queryNorm = this.projectQuery(queries, row * this.width);
      if (!Number.isFinite(queryNorm)) {
        undecided.push(row);
        continue;
      }
      if (!(largestRadius >= 0)) {
        hitIndex[row] = -1;
        continue;
      }
      const margin = this.relativeError * (queryNorm + this.largestNorm);
      const answer = this.firingKey(
        queries,
        row * this.width,
        keys,
        radii,
        largestRadius * fireMargin,
        margin,
        budget,
      );
      if (answer === null) undecided.push(row);
      else hitIndex[row] = answer;
    }
    return undecided;
  }

  /**
   * One query's answer (its point in `queryPoint`): the nearest key if it fires, -1 to defer, null when the walk
   * bounded more than `budget` keys. Keys are summed exactly only where their point's bound is within the reach.
   *
   * Written as one flat loop (no closure, the reach in locals) because the walk is the lookup's whole cost: a
   * node's children are bounded by their boxes before they are stacked, nearer box first, and a stacked node is
   * dropped on its stored bound once the reach has shrunk below it. The order only changes how soon the reach
   * shrinks, never the answer: every key whose bound is within the final reach is summed.
   */
  private firingKey(
    queries: Float32Array,
    offset: number,
    keys: Float32Array,
    radii: Float32Array,
    initialReach: number,
    margin: number,
    budget: number,
  ): number | null {
    const tree = this.tree as ProjectedKdTree;
    const { walk, looseKey, stack, stackBound } = this;
    const masked = this.maskedCount > 0 ? this.masked : null;
    walk.begin(queries, offset, keys, initialReach, margin);
    let bounded = this.loose.size;
    for (const [key, point] of this.loose) {
      looseKey[0] = key;
      walk.scan(point, 0, 1, looseKey, null);
    }
    const { nodeStart, nodeEnd, nodeLeft, nodeRight, order, points } = tree;
    const query = this.queryPoint;
    let depth = 0;
    if (tree.nodes > 0) {
      stack[0] = 0;
      stackBound[0] = tree.boxBound(0, query, Number.POSITIVE_INFINITY);
      depth = 1;
    }
    while (depth > 0) {
      depth--;
      const node = stack[depth] as number;
      // The box bound's limit, with a hair of relative slack so a point's own bound is never below its box's.
      const boxLimit = walk.limitSquared * (1 + 2 ** -40);
      if ((stackBound[depth] as number) > boxLimit) continue;
      const left = nodeLeft[node] as number;
      if (left >= 0) {
        // The nearer child box is walked first (stacked last); a box beyond the reach is not stacked.
        const right = nodeRight[node] as number;
        const leftBound = tree.boxBound(left, query, boxLimit);
        const rightBound = tree.boxBound(right, query, boxLimit);
        const leftFirst = leftBound <= rightBound;
        const firstBound = leftFirst ? leftBound : rightBound;
        const secondBound = leftFirst ? rightBound : leftBound;
        if (secondBound <= boxLimit) {
          stack[depth] = leftFirst ? right : left;
          stackBound[depth] = secondBound;
          depth++;
        }
        if (firstBound <= boxLimit) {
          stack[depth] = leftFirst ? left : right;
          stackBound[depth] = firstBound;
          depth++;
        }
        continue;
      }
      const start = nodeStart[node] as number;
      const end = nodeEnd[node] as number;
      walk.scan(points, start, end, order, masked);
      bounded += end - start;
      if (bounded > budget) {
        this.countWork(bounded, walk.summed);
        return null;
      }
    }
    this.countWork(bounded, walk.summed);
    const { nearest, nearestSquared } = walk;
    if (nearest < 0) return -1;
    return Math.fround(Math.sqrt(nearestSquared)) <= (radii[nearest] as number) ? nearest : -1;
  }

  private countWork(bounded: number, summed: number): void {
    this.work.rows++;
    this.work.boundedKeys += bounded;
    this.work.summedKeys += summed;
  }

  /** Projects query row `offset` into `queryPoint`; returns ‖q − μ‖ (NaN or ∞ for a non-finite query). */
  private projectQuery(queries: Float32Array, offset: number): number {
    return projectRow(this.basis as PrincipalBasis, queries, offset, this.queryPoint, this.centered);
  }

  /** Projects key row `row` into the loose list (or the non-finite set). */
  private project(keys: Float32Array, row: number): void {
    const point = new Float32Array(this.stride);
    if (this.storeKeyPoint(keys, row, point, 0)) this.loose.set(row, point);
    else this.nonFinite.add(row);
  }

  /**
   * Stores key row `row`'s point as float32 at `target[offset…]` and widens `largestNorm`; false (nothing to
   * use) when the key or its stored point is not finite.
   */
  private storeKeyPoint(keys: Float32Array, row: number, target: Float32Array, offset: number): boolean {
    const norm = projectRow(
      this.basis as PrincipalBasis,
      keys,
      row * this.width,
      this.keyPoint,
      this.centered,
    );
    if (!Number.isFinite(norm)) return false;
    for (let coordinate = 0; coordinate < this.stride; coordinate++) {
      const stored = Math.fround(this.keyPoint[coordinate] as number);
      if (!Number.isFinite(stored)) return false;
      target[offset + coordinate] = stored;
    }
    this.largestNorm = Math.max(this.largestNorm, norm * (1 + 2 ** -20));
    return true;
  }

  /** Takes a row out of the tree (masked), the loose list and the non-finite set. */
  private forget(row: number): void {
    if (row < this.masked.length && this.masked[row] === 0) {
      this.masked[row] = 1;
      this.maskedCount++;
    }
    this.loose.delete(row);
    this.nonFinite.delete(row);
  }

  /** New basis (from the current keys) and tree; O(N·m·D). */
  private rebuild(keys: Float32Array, rows: number): void {
    this.rowCount = rows;
    this.builtRows = rows;
    this.tree = null;
    this.loose.clear();
    this.nonFinite.clear();
    this.masked = new Uint8Array(0);
    this.maskedCount = 0;
    this.largestNorm = 0;
    if (rows < this.minimumKeys) {
      this.basis = null;
      return;
    }
    const basis = principalBasis(keys, rows, this.width, this.dimensions);
    this.basis = basis;
    this.useful =
      basis.residualShare <= this.maximumResidualShare &&
      basis.orthogonalityError <= maximumOrthogonalityError;
    if (!this.useful) return;
    this.relativeError =
      2 ** -18 +
      4 *
        Math.sqrt(
          (2 * (this.width + this.dimensions) + 16) * 2 ** -53 + this.dimensions * basis.orthogonalityError,
        );
    const stride = this.stride;
    const points = new Float32Array(rows * stride);
    const finiteRows: number[] = [];
    for (let row = 0; row < rows; row++) {
      if (this.storeKeyPoint(keys, row, points, finiteRows.length * stride)) finiteRows.push(row);
      else this.nonFinite.add(row);
    }
    this.tree = new ProjectedKdTree(
      points.subarray(0, finiteRows.length * stride),
      Int32Array.from(finiteRows),
      stride,
      this.leafSize,
    );
    this.work.builds++;
    this.masked = new Uint8Array(rows);
    if (this.stack.length < this.tree.nodes + 1) {
      this.stack = new Int32Array(this.tree.nodes + 1);
      this.stackBound = new Float64Array(this.tree.nodes + 1);
    }
  }
}
