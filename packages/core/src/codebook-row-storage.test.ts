import { describe, expect, it } from 'vitest';
import { Codebook } from './codebook.js';
import { encodeCodebook } from './codebook-file.js';
import { GrowableRows } from './growable-rows.js';
import { SeededRandom } from './random.js';
import { hostRowStorageProvider } from './row-storage.js';
import { DetachingRowStorage } from './testing/detaching-row-storage.js';

const options = { keyDimension: 6, valueDimension: 3, layerId: 'held', epsInit: 1.2 } as const;

describe('GrowableRows in memory that moves', () => {
  it('derives its views afresh, so growth of the memory loses no row', () => {
    const heap = new DetachingRowStorage();
    const random = new SeededRandom(3);
    const moving = new GrowableRows(4, 2, heap);
    const plain = new GrowableRows(4, 2);
    for (let row = 0; row < 300; row++) {
      // Appending a row of the store itself: the growth would free (here: detach) its source.
      const values = row % 7 === 6 ? moving.row(row - 3) : random.floats(4);
      const copy = Float32Array.from(values);
      moving.append(values);
      plain.append(copy);
      if (row % 5 === 0) heap.grow();
      if (row % 11 === 0) {
        moving.write(row / 2, copy);
        plain.write(row / 2, copy);
      }
    }
    expect(heap.growths).toBeGreaterThan(50);
    expect(moving.view()).toEqual(plain.view());
    expect(moving.rowsWrittenSince(0)).toEqual(plain.rowsWrittenSince(0));
  });

  it('refuses a row that a growth detached instead of writing nothing', () => {
    const heap = new DetachingRowStorage();
    const rows = new GrowableRows(3, 4, heap);
    rows.append([1, 2, 3]);
    const stale = rows.row(0);
    heap.grow();
    expect(stale.length).toBe(0);
    expect(() => rows.write(0, stale)).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    expect(() => rows.append(stale)).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    expect(Array.from(rows.view())).toEqual([1, 2, 3]);
    expect(rows.rows).toBe(1);
  });

  it('moves between memories keeping rows, revision and journal, and frees what it leaves', () => {
    const heap = new DetachingRowStorage();
    const rows = new GrowableRows(2, 2);
    for (let row = 0; row < 9; row++) rows.append([row, -row]);
    const revision = rows.revision;
    const before = rows.view().slice();
    rows.moveTo(heap);
    expect(rows.provider).toBe(heap);
    expect(heap.live).toBe(1);
    heap.grow();
    expect(rows.view()).toEqual(before);
    rows.moveTo(hostRowStorageProvider);
    expect(heap.live).toBe(0);
    expect(rows.view()).toEqual(before);
    expect(rows.revision).toBe(revision);
    expect(rows.rowsWrittenSince(revision - 2)).toEqual([7, 8]);
  });
});

/** The same edits on two codebooks: every answer of the held one must be the plain one's, bit for bit. */
function editBoth(
  held: Codebook,
  plain: Codebook,
  heap: DetachingRowStorage,
  count: number,
  seed: number,
): void {
  const random = new SeededRandom(seed);
  for (let edit = 0; edit < count; edit++) {
    const near = edit > 0 && edit % 3 !== 0 ? held.entry(random.integer(0, held.size)).key : null;
    const query = Float32Array.from({ length: options.keyDimension }, (_, column) =>
      near === null ? random.uniform(-5, 5) : (near[column] as number) + random.normal() * 0.4,
    );
    const request = { query, label: random.integer(0, 3), id: `${seed}-${edit}`, time: new Date(0) };
    const value = random.floats(options.valueDimension);
    if (edit % 8 === 5) {
      const pending = held.beginEdit(request);
      heap.grow();
      pending.abort();
      continue;
    }
    expect(held.plan(query, request.label)).toEqual(plain.plan(query, request.label));
    held.applyEdit(request, { value });
    plain.applyEdit(request, { value });
    heap.grow();
    expect(held.nearest(query)).toEqual(plain.nearest(query));
  }
}

describe('Codebook.holdRowsIn', () => {
  it('keeps every answer, file and rollback exact while its rows live in memory that moves', () => {
    for (const expansion of ['coverage', 'moving_average'] as const) {
      const heap = new DetachingRowStorage();
      const held = new Codebook({ ...options, expansion });
      const plain = new Codebook({ ...options, expansion });
      editBoth(held, plain, heap, 10, 1);
      const release = held.holdRowsIn(heap);
      expect(held.rowStores().values.provider).toBe(heap);
      editBoth(held, plain, heap, 60, 2);
      expect(held.snapshot()).toEqual(plain.snapshot());
      expect(held.entry(4)).toEqual(plain.entry(4));
      expect(encodeCodebook(held)).toEqual(encodeCodebook(plain));
      expect(heap.live).toBe(3);
      held.rollback('2-7');
      plain.rollback('2-7');
      // The replaced state's storage was freed, the replay's is in the same memory.
      expect(heap.live).toBe(3);
      expect(held.rowStores().keys.provider).toBe(heap);
      heap.grow();
      expect(held.snapshot()).toEqual(plain.snapshot());
      const version = held.version;
      release();
      release();
      expect(heap.live).toBe(0);
      expect(held.rowStores().radii.provider).toBe(hostRowStorageProvider);
      expect(held.snapshot()).toEqual(plain.snapshot());
      expect(held.version).toBe(version);
    }
  });

  it('counts holds of one provider and ignores another while one holds', () => {
    const heap = new DetachingRowStorage();
    const other = new DetachingRowStorage();
    const codebook = new Codebook(options);
    codebook.applyEdit({ query: [1, 2, 3, 4, 5, 6], label: 0 });
    const first = codebook.holdRowsIn(heap);
    const second = codebook.holdRowsIn(heap);
    const ignored = codebook.holdRowsIn(other);
    expect(other.live).toBe(0);
    ignored();
    first();
    expect(codebook.rowStores().keys.provider).toBe(heap);
    second();
    expect(codebook.rowStores().keys.provider).toBe(hostRowStorageProvider);
    expect(Array.from(codebook.keysView())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(heap.live).toBe(0);
  });
});
