/**
 * The storage of a {@link PivotKeyIndex}: each finite key's pivot distances (float32, `[positions, P]`), in the
 * keys' order by their first-pivot distance (ties by row), so that a lookup reads the keys in its range front to
 * back. Inserting or removing a key shifts the rows after it (O(N·P) copies, no rebuild).
 */
export class SortedPivotTable {
  /** The key (row) at each sorted position. */
  order = new Int32Array(0);
  /** `[positions, P]`: the pivot distances of the key at each position; column 0 is the sort key. */
  table = new Float32Array(0);
  /** Positions in use. */
  count = 0;
  /** The largest distance stored since the last `fill` (never lowered: a larger one only widens margins). */
  largestDistance = 0;
  /** `[rows]`: each key's first-pivot distance as stored, to find its place again. */
  private firstDistance = new Float32Array(0);

  constructor(readonly pivotCount: number) {}

  /** Bytes held, spare capacity included. */
  get bytes(): number {
    return this.table.byteLength + this.order.byteLength + this.firstDistance.byteLength;
  }

  /** Grows the arrays (by a quarter at least) to hold `rows` keys. */
  reserve(rows: number): void {
    const capacity = this.order.length;
    if (rows <= capacity) return;
    const grown = Math.max(rows, Math.ceil(capacity * 1.25), 16);
    const table = new Float32Array(grown * this.pivotCount);
    table.set(this.table);
    this.table = table;
    const order = new Int32Array(grown);
    order.set(this.order);
    this.order = order;
    const firstDistance = new Float32Array(grown);
    firstDistance.set(this.firstDistance);
    this.firstDistance = firstDistance;
  }

  /** Replaces the contents with `rows` (key indices) whose distances are `distances [*, P]`, row-major by key. */
  fill(distances: Float32Array, rows: number[]): void {
    const pivotCount = this.pivotCount;
    this.largestDistance = 0;
    rows.sort(
      (left, right) =>
        (distances[left * pivotCount] as number) - (distances[right * pivotCount] as number) || left - right,
    );
    for (const [position, row] of rows.entries()) {
      const rowDistances = distances.subarray(row * pivotCount, (row + 1) * pivotCount);
      this.order[position] = row;
      this.table.set(rowDistances, position * pivotCount);
      this.firstDistance[row] = rowDistances[0] as number;
      for (const distance of rowDistances) this.largestDistance = Math.max(this.largestDistance, distance);
    }
    this.count = rows.length;
  }

  /** Inserts key `row` with its finite pivot distances `rowDistances [P]` at its sorted place. */
  insert(row: number, rowDistances: Float32Array): void {
    const pivotCount = this.pivotCount;
    const first = rowDistances[0] as number;
    const position = this.upperBound(first);
    this.order.copyWithin(position + 1, position, this.count);
    this.table.copyWithin((position + 1) * pivotCount, position * pivotCount, this.count * pivotCount);
    this.order[position] = row;
    this.table.set(rowDistances, position * pivotCount);
    this.firstDistance[row] = first;
    for (const distance of rowDistances) this.largestDistance = Math.max(this.largestDistance, distance);
    this.count++;
  }

  /** Takes key `row` out, if it is in. */
  remove(row: number): void {
    const pivotCount = this.pivotCount;
    let position = this.lowerBound(this.firstDistance[row] as number);
    while (position < this.count && this.order[position] !== row) position++;
    if (position >= this.count) return;
    this.order.copyWithin(position, position + 1, this.count);
    this.table.copyWithin(position * pivotCount, (position + 1) * pivotCount, this.count * pivotCount);
    this.count--;
  }

  /** First position whose first-pivot distance is ≥ value. */
  lowerBound(value: number): number {
    const pivotCount = this.pivotCount;
    let low = 0;
    let high = this.count;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.table[middle * pivotCount] as number) < value) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** First position whose first-pivot distance is > value. */
  upperBound(value: number): number {
    const pivotCount = this.pivotCount;
    let low = 0;
    let high = this.count;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.table[middle * pivotCount] as number) <= value) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
