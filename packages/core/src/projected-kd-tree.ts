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
    const starts: number[] = [];
    const ends: number[] = [];
    const lefts: number[] = [];
    const rights: number[] = [];
    const splitCoordinates: number[] = [];
    const splitValues: number[] = [];
    const lowers: number[] = [];
    const uppers: number[] = [];
    const lower = new Float32Array(stride);
    const upper = new Float32Array(stride);
    const build = (start: number, end: number): number => {
      const node = starts.length;
      starts.push(start);
      ends.push(end);
      lefts.push(-1);
      rights.push(-1);
      splitCoordinates.push(-1);
      splitValues.push(0);
      lower.fill(Number.POSITIVE_INFINITY);
      upper.fill(Number.NEGATIVE_INFINITY);
      for (let position = start; position < end; position++) {
        const base = (positions[position] as number) * stride;
        for (let coordinate = 0; coordinate < stride; coordinate++) {
          const value = points[base + coordinate] as number;
          if (value < (lower[coordinate] as number)) lower[coordinate] = value;
          if (value > (upper[coordinate] as number)) upper[coordinate] = value;
        }
      }
      let widest = 0;
      for (let coordinate = 0; coordinate < stride; coordinate++) {
        lowers.push(lower[coordinate] as number);
        uppers.push(upper[coordinate] as number);
        const spread = (upper[coordinate] as number) - (lower[coordinate] as number);
        if (spread > (upper[widest] as number) - (lower[widest] as number)) widest = coordinate;
      }
      if (end - start <= leafSize || !((upper[widest] as number) > (lower[widest] as number))) return node;
      const middle = (start + end) >>> 1;
      selectMedian(positions, start, end, middle, points, stride, widest);
      splitCoordinates[node] = widest;
      splitValues[node] = points[(positions[middle] as number) * stride + widest] as number;
      const left = build(start, middle);
      const right = build(middle, end);
      lefts[node] = left;
      rights[node] = right;
      return node;
    };
    if (count > 0) build(0, count);
    this.nodeStart = Int32Array.from(starts);
    this.nodeEnd = Int32Array.from(ends);
    this.nodeLeft = Int32Array.from(lefts);
    this.nodeRight = Int32Array.from(rights);
    this.nodeSplitCoordinate = Int32Array.from(splitCoordinates);
    this.nodeSplitValue = Float32Array.from(splitValues);
    this.nodeLower = Float32Array.from(lowers);
    this.nodeUpper = Float32Array.from(uppers);
    this.order = new Int32Array(count);
    this.points = new Float32Array(count * stride);
    for (let position = 0; position < count; position++) {
      const source = positions[position] as number;
      this.order[position] = rows[source] as number;
      this.points.set(points.subarray(source * stride, (source + 1) * stride), position * stride);
    }
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
  const valueAt = (position: number): number =>
    points[(positions[position] as number) * stride + coordinate] as number;
  while (low < high) {
    const pivot = valueAt((low + high) >>> 1);
    let left = low;
    let right = high;
    while (left <= right) {
      while (valueAt(left) < pivot) left++;
      while (valueAt(right) > pivot) right--;
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
