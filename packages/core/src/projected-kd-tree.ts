/**
 * A static k-d tree over short float32 points (a key's coordinates on a {@link PrincipalBasis} and its residual
 * norm), built once per snapshot of the keys: median splits along the widest coordinate, leaves of at most
 * `leafSize` points, each node's bounding box kept so that a search can bound every point below it at once.
 * The points are stored in leaf order so that a leaf is read from contiguous memory.
 */
export class ProjectedKdTree {
  /** Coordinates per point. */
  readonly stride: number;
  /** `[count]`: the row each stored point belongs to, in leaf order. */
  readonly order: Int32Array;
  /** `[count, stride]`: the points in leaf order. */
  readonly points: Float32Array;
  /** Per node: its points' range `[start, end)` in leaf order and its children (-1 for a leaf). */
  readonly nodeStart: Int32Array;
  readonly nodeEnd: Int32Array;
  readonly nodeLeft: Int32Array;
  readonly nodeRight: Int32Array;
  /** Per inner node: the coordinate it splits and the value at its split (the right child's smallest). */
  readonly nodeSplitCoordinate: Int32Array;
  readonly nodeSplitValue: Float32Array;
  /** `[nodes, stride]`: each node's bounding box (the exact float32 minimum and maximum of its points). */
  readonly nodeLower: Float32Array;
  readonly nodeUpper: Float32Array;

  /**
   * Builds the tree over `points` (`[rows.length, stride]`, row-major, finite) belonging to `rows` (the rows
   * they stand for, in the same order). O(n log² n).
   */
  constructor(points: Float32Array, rows: Int32Array, stride: number, leafSize: number) {
    this.stride = stride;
    const count = rows.length;
    const positions = new Int32Array(count);
    for (let position = 0; position < count; position++) positions[position] = position;
    // Median splits of nodes above `leafSize` points: at most 2·count − 1 nodes. Filled in creation order, a
    // node's children after it; trimmed at the end.
    const capacity = Math.max(1, 2 * count);
    const starts = new Int32Array(capacity);
    const ends = new Int32Array(capacity);
    const lefts = new Int32Array(capacity).fill(-1);
    const rights = new Int32Array(capacity).fill(-1);
    const splitCoordinates = new Int32Array(capacity).fill(-1);
    const splitValues = new Float32Array(capacity);
    const lowers = new Float32Array(capacity * stride);
    const uppers = new Float32Array(capacity * stride);
    let nodes = 0;
    const pending: number[] = [];
    if (count > 0) {
      starts[0] = 0;
      ends[0] = count;
      nodes = 1;
      pending.push(0);
    }
    while (pending.length > 0) {
      const node = pending.pop() as number;
      const start = starts[node] as number;
      const end = ends[node] as number;
      const box = node * stride;
      lowers.fill(Number.POSITIVE_INFINITY, box, box + stride);
      uppers.fill(Number.NEGATIVE_INFINITY, box, box + stride);
      for (let position = start; position < end; position++) {
        const base = (positions[position] as number) * stride;
        for (let coordinate = 0; coordinate < stride; coordinate++) {
          const value = points[base + coordinate] as number;
          if (value < (lowers[box + coordinate] as number)) lowers[box + coordinate] = value;
          if (value > (uppers[box + coordinate] as number)) uppers[box + coordinate] = value;
        }
      }
      let widest = 0;
      let widestSpread = 0;
      for (let coordinate = 0; coordinate < stride; coordinate++) {
        const spread = (uppers[box + coordinate] as number) - (lowers[box + coordinate] as number);
        if (spread > widestSpread) {
          widest = coordinate;
          widestSpread = spread;
        }
      }
      if (end - start <= leafSize || !(widestSpread > 0)) continue;
      const middle = (start + end) >>> 1;
      selectMedian(positions, start, end, middle, points, stride, widest);
      splitCoordinates[node] = widest;
      splitValues[node] = points[(positions[middle] as number) * stride + widest] as number;
      for (const [child, childStart, childEnd] of [
        [nodes, start, middle],
        [nodes + 1, middle, end],
      ] as const) {
        starts[child] = childStart;
        ends[child] = childEnd;
        pending.push(child);
      }
      lefts[node] = nodes;
      rights[node] = nodes + 1;
      nodes += 2;
    }
    this.nodeStart = starts.slice(0, nodes);
    this.nodeEnd = ends.slice(0, nodes);
    this.nodeLeft = lefts.slice(0, nodes);
    this.nodeRight = rights.slice(0, nodes);
    this.nodeSplitCoordinate = splitCoordinates.slice(0, nodes);
    this.nodeSplitValue = splitValues.slice(0, nodes);
    this.nodeLower = lowers.slice(0, nodes * stride);
    this.nodeUpper = uppers.slice(0, nodes * stride);
    this.order = new Int32Array(count);
    this.points = new Float32Array(count * stride);
    for (let position = 0; position < count; position++) {
      const source = positions[position] as number;
      this.order[position] = rows[source] as number;
      this.points.set(points.subarray(source * stride, (source + 1) * stride), position * stride);
    }
  }

  /**
   * The squared distance (float64) from `query` (`[stride]`) to node `node`'s box, or a partial sum above `limit`
   * once one appears.
   */
  boxBound(node: number, query: Float64Array, limit: number): number {
    const { stride, nodeLower, nodeUpper } = this;
    const base = node * stride;
    let sum = 0;
    for (let coordinate = 0; coordinate < stride && sum <= limit; coordinate++) {
      const value = query[coordinate] as number;
      const below = (nodeLower[base + coordinate] as number) - value;
      const above = value - (nodeUpper[base + coordinate] as number);
      // A box is never inverted (its points are finite), so at most one of the two is positive.
      if (below > 0) sum += below * below;
      else if (above > 0) sum += above * above;
    }
    return sum;
  }

  /** Nodes in the tree (0 when it holds no point). */
  get nodes(): number {
    return this.nodeStart.length;
  }

  /** Bytes held by the points, the order and the nodes. */
  get bytes(): number {
    return (
      this.order.byteLength +
      this.points.byteLength +
      6 * this.nodeStart.length * 4 +
      this.nodeLower.byteLength +
      this.nodeUpper.byteLength
    );
  }
}

/**
 * Reorders `positions[start, end)` so that the point at `middle` has the `middle − start`-th smallest value of
 * `coordinate`, smaller-or-equal ones before it and larger-or-equal ones after (Hoare's quickselect; middle pivot).
 */
function selectMedian(
  positions: Int32Array,
  start: number,
  end: number,
  middle: number,
  points: Float32Array,
  stride: number,
  coordinate: number,
): void {
  let low = start;
  let high = end - 1;
  while (low < high) {
    const pivot = points[(positions[(low + high) >>> 1] as number) * stride + coordinate] as number;
    let left = low;
    let right = high;
    while (left <= right) {
      while ((points[(positions[left] as number) * stride + coordinate] as number) < pivot) left++;
      while ((points[(positions[right] as number) * stride + coordinate] as number) > pivot) right--;
      if (left <= right) {
        const swapped = positions[left] as number;
        positions[left] = positions[right] as number;
        positions[right] = swapped;
        left++;
        right--;
      }
    }
    if (middle <= right) high = right;
    else if (middle >= left) low = left;
    else return;
  }
}
