import { describe, expect, it } from 'vitest';
import { GrowableRows, grownCapacity, rowGrowthFactor } from './growable-rows.js';

describe('GrowableRows', () => {
  it('journals every appended and written row, so a reader copies only those', () => {
    const rows = new GrowableRows(2, 1);
    rows.append([1, 2]);
    const mark = rows.revision;
    rows.append([3, 4]);
    rows.write(0, [5, 6]);
    rows.removeLast();
    expect(rows.rowsWrittenSince(mark)).toEqual([1, 0]);
    expect(rows.rowsWrittenSince(rows.revision)).toEqual([]);
    expect(Array.from(rows.view())).toEqual([5, 6]);
  });

  it('answers null for a revision the journal no longer reaches, or one it never had', () => {
    const rows = new GrowableRows(1);
    for (let index = 0; index < 5000; index++) rows.append([index]);
    expect(rows.rowsWrittenSince(0)).toBeNull();
    expect(rows.rowsWrittenSince(rows.revision + 1)).toBeNull();
    expect(rows.rowsWrittenSince(rows.revision - 3)).toEqual([4997, 4998, 4999]);
  });

  it('grows by a quarter, so spare capacity stays under 25% of what is stored', () => {
    expect(rowGrowthFactor).toBe(1.25);
    expect(grownCapacity(100, 100)).toBe(100);
    expect(grownCapacity(100, 101)).toBe(125);
    expect(grownCapacity(0, 1)).toBe(16);
    const rows = new GrowableRows(10);
    for (let index = 0; index < 10_000; index++) rows.append(new Float32Array(10));
    expect(rows.allocatedBytes / (10_000 * 10 * 4)).toBeLessThanOrEqual(1.25);
  });
});
