import { describe, expect, it } from 'vitest';
import { Codebook, type EditRequest } from './codebook.js';
import type { CodebookOptions } from './codebook-options.js';
import { coveringRadius } from './distance-error-bound.js';
import { isGraceError } from './errors.js';
import { SeededRandom } from './random.js';

const twoDimensional: CodebookOptions = { keyDimension: 2, valueDimension: 3, epsInit: 1.0 };

function makeCodebook(options: Partial<CodebookOptions> = {}): Codebook {
  return new Codebook({ ...twoDimensional, ...options });
}

function expectGraceError(action: () => unknown, code: string): void {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(isGraceError(thrown), `expected a GraceError ${code}, got ${String(thrown)}`).toBe(true);
  expect((thrown as { code: string }).code).toBe(code);
}

describe('Codebook decisions (paper section 2.2, hand-made 2-D keys)', () => {
  it('adds the first key with radius eps_init and the edit label', () => {
    const codebook = makeCodebook();
    const record = codebook.applyEdit({ query: [0, 0], label: 'a' });
    expect(record).toMatchObject({ operation: 'ADD', keyIndex: 0, nearestIndex: -1, distance: null });
    expect(codebook.size).toBe(1);
    expect(codebook.entry(0)).toMatchObject({ radius: 1, label: 'a' });
  });

  it('adds a key when the query is farther than eps_i + eps_init from every key', () => {
    const codebook = makeCodebook();
    codebook.applyEdit({ query: [0, 0], label: 'a' });
    const record = codebook.applyEdit({ query: [2.01, 0], label: 'a' });
    expect(record.operation).toBe('ADD');
    expect(codebook.size).toBe(2);
    expect(codebook.entry(1).radius).toBe(1);
    expect(codebook.entry(0).radius).toBe(1);
  });

  it('expands the nearest ball to the distance (plus the float32 margin) for the same label (coverage)', () => {
    const codebook = makeCodebook();
    codebook.applyEdit({ query: [0, 0], label: 'a' });
    const record = codebook.applyEdit({ query: [1.5, 0], label: 'a' });
    expect(record).toMatchObject({ operation: 'EXPAND', keyIndex: 0, nearestIndex: 0, distance: 1.5 });
    expect(codebook.size).toBe(1);
    expect(codebook.entry(0).radius).toBe(coveringRadius(1.5, 2));
    expect(codebook.entry(0).radius).toBeGreaterThan(1.5);
    expect(codebook.entry(0).radius).toBeLessThan(1.5 * (1 + 1e-6));
    expect(Array.from(codebook.entry(0).key)).toEqual([0, 0]);
  });

  it('treats d = eps_i + eps_init as within reach (the reference uses a strict >)', () => {
    const codebook = makeCodebook();
    codebook.applyEdit({ query: [0, 0], label: 'a' });
    expect(codebook.plan([2, 0], 'a').operation).toBe('EXPAND');
    expect(codebook.plan([2, 0], 'b').operation).toBe('SPLIT');
  });

  it('moves the key halfway and covers the old distance with moving_average', () => {
    const codebook = makeCodebook({ expansion: 'moving_average' });
    codebook.applyEdit({ query: [0, 0], label: 'a' });
    const record = codebook.applyEdit({ query: [1.5, 1], label: 'a' });
    expect(record.operation).toBe('EXPAND');
    expect(Array.from(codebook.entry(0).key)).toEqual([0.75, 0.5]);
    expect(codebook.entry(0).radius).toBe(coveringRadius(Math.fround(Math.hypot(1.5, 1)), 2));
  });

  it('keeps an expanded query inside its ball despite float32 rounding of the radius', () => {
    const codebook = makeCodebook();
    codebook.applyEdit({ query: [0, 0], label: 'a' });
    const query = [1.1, 0.3];
    codebook.applyEdit({ query, label: 'a' });
    const { distance } = codebook.nearest(query);
    expect(distance).toBeGreaterThan(1);
    expect(distance).toBeLessThanOrEqual(codebook.entry(0).radius);
  });

  it('splits on a conflicting label: both radii d/2, the old one 1e-5 smaller', () => {
    const codebook = makeCodebook();
    codebook.applyEdit({ query: [0, 0], label: 'a' });
    const record = codebook.applyEdit({ query: [1.2, 0], label: 'b' });
    expect(record).toMatchObject({ operation: 'SPLIT', keyIndex: 1, nearestIndex: 0 });
    expect(codebook.size).toBe(2);
    expect(codebook.entry(1).radius).toBe(Math.fround(0.6));
    expect(codebook.entry(0).radius).toBe(Math.fround(0.6 - 1e-5));
    expect(codebook.entry(1).label).toBe('b');
    // A query on each side of the bisector is routed to its own key and lies inside its ball.
    const left = codebook.nearest([0.5, 0.1]);
    const right = codebook.nearest([0.7, -0.1]);
    expect(left.index).toBe(0);
    expect(right.index).toBe(1);
    expect(left.distance).toBeLessThanOrEqual(codebook.entry(0).radius);
    expect(right.distance).toBeLessThanOrEqual(codebook.entry(1).radius);
  });

  it("keeps the old radius with splitPolicy 'keep'", () => {
    const codebook = makeCodebook({ splitPolicy: 'keep' });
    codebook.applyEdit({ query: [0, 0], label: 'a' });
    codebook.applyEdit({ query: [1.2, 0], label: 'b' });
    expect(codebook.entry(0).radius).toBe(1);
    expect(codebook.entry(1).radius).toBe(Math.fround(0.6));
  });

  it('adds nothing inside a ball of the same label and retrains that key from its current value', () => {
    const codebook = makeCodebook();
    codebook.applyEdit({ query: [0, 0], label: 'a' }, { value: [7, 8, 9] });
    const pending = codebook.beginEdit({ query: [0.5, 0.5], label: 'a' });
    expect(pending.plan).toMatchObject({ operation: 'RETRAIN', keyIndex: 0 });
    expect(Array.from(pending.initialValue)).toEqual([7, 8, 9]);
    pending.commit({ value: [1, 2, 3], loss: [0.5, 0.1] });
    expect(codebook.size).toBe(1);
    expect(codebook.entry(0).radius).toBe(1);
    expect(Array.from(codebook.entry(0).value)).toEqual([1, 2, 3]);
  });

  it('compares labels exactly: token sequences with the same mean are different labels', () => {
    const codebook = makeCodebook();
    codebook.applyEdit({ query: [0, 0], label: [1, 2, 3] });
    expect(codebook.plan([0.5, 0], [3, 2, 1]).operation).toBe('SPLIT');
    expect(codebook.plan([0.5, 0], [1, 2, 3]).operation).toBe('RETRAIN');
    expect(codebook.plan([0.5, 0], 2).operation).toBe('SPLIT');
    expect(codebook.plan([0.5, 0], '1,2,3').operation).toBe('SPLIT');
  });
});

describe('Codebook values and determinism', () => {
  it('initialises new values uniformly in [0, 1), reproducibly for a seed', () => {
    const requests: EditRequest[] = [
      { query: [0, 0], label: 'a' },
      { query: [5, 5], label: 'b' },
      { query: [0.5, 0], label: 'c' },
    ];
    const first = makeCodebook({ seed: 42 });
    const second = makeCodebook({ seed: 42 });
    const other = makeCodebook({ seed: 43 });
    for (const request of requests) {
      first.applyEdit(request);
      second.applyEdit(request);
      other.applyEdit(request);
    }
    expect(first.snapshot()).toEqual(second.snapshot());
    expect(first.snapshot().values).not.toEqual(other.snapshot().values);
    for (const value of first.valuesView()) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
  });

  it('starts a warm key from the frozen layer output and requires it', () => {
    const codebook = makeCodebook({ valueInitialization: 'warm' });
    expectGraceError(() => codebook.beginEdit({ query: [0, 0], label: 'a' }), 'INVALID_ARGUMENT');
    const pending = codebook.beginEdit({ query: [0, 0], label: 'a', warmValue: [4, 5, 6] });
    expect(Array.from(pending.initialValue)).toEqual([4, 5, 6]);
  });
});

describe('Codebook pending edits', () => {
  it('restores the exact previous state when an edit of any kind is aborted', () => {
    const codebook = makeCodebook({ expansion: 'moving_average' });
    codebook.applyEdit({ query: [0, 0], label: 'a' });
    codebook.applyEdit({ query: [4, 0], label: 'a' });
    const cases: Array<[number[], string, string]> = [
      [[10, 10], 'a', 'ADD'],
      [[0.8, 0], 'b', 'SPLIT'],
      [[1.5, 0], 'a', 'EXPAND'],
      [[0.2, 0], 'a', 'RETRAIN'],
    ];
    for (const [query, label, operation] of cases) {
      const before = codebook.snapshot();
      const version = codebook.version;
      const pending = codebook.beginEdit({ query, label });
      expect(pending.plan.operation).toBe(operation);
      pending.abort();
      expect(codebook.snapshot()).toEqual(before);
      expect(codebook.version).toBeGreaterThan(version);
      expect(codebook.records).toHaveLength(2);
    }
  });

  it('allows one pending edit at a time and each pending edit ends once', () => {
    const codebook = makeCodebook();
    const pending = codebook.beginEdit({ query: [0, 0], label: 'a' });
    expectGraceError(() => codebook.beginEdit({ query: [3, 3], label: 'a' }), 'EDIT_IN_PROGRESS');
    expectGraceError(() => codebook.rollback('edit-1'), 'EDIT_IN_PROGRESS');
    expectGraceError(() => pending.commit({ value: [0, Number.NaN, 0] }), 'NON_FINITE');
    pending.commit({ value: [1, 1, 1] });
    expectGraceError(() => pending.commit(), 'EDIT_NOT_PENDING');
    expectGraceError(() => pending.abort(), 'EDIT_NOT_PENDING');
  });
});

describe('Codebook bad input', () => {
  it('refuses bad queries, labels and ids with typed errors and changes nothing', () => {
    const codebook = makeCodebook();
    codebook.applyEdit({ query: [0, 0], label: 'a' });
    const before = codebook.snapshot();
    expectGraceError(() => codebook.beginEdit({ query: [1, 2, 3], label: 'a' }), 'SHAPE_MISMATCH');
    expectGraceError(() => codebook.beginEdit({ query: [Number.NaN, 0], label: 'a' }), 'NON_FINITE');
    expectGraceError(
      () => codebook.beginEdit({ query: [Number.POSITIVE_INFINITY, 0], label: 'a' }),
      'NON_FINITE',
    );
    expectGraceError(() => codebook.beginEdit({ query: [1, 1], label: Number.NaN }), 'INVALID_ARGUMENT');
    expectGraceError(() => codebook.beginEdit({ query: [1, 1], label: [] }), 'INVALID_ARGUMENT');
    expectGraceError(
      () => codebook.beginEdit({ query: [1, 1], label: 'a', id: 'edit-1' }),
      'INVALID_ARGUMENT',
    );
    expectGraceError(() => codebook.nearest([1]), 'SHAPE_MISMATCH');
    expectGraceError(() => codebook.entry(5), 'INVALID_ARGUMENT');
    expectGraceError(() => new Codebook({ keyDimension: 0, valueDimension: 3 }), 'INVALID_ARGUMENT');
    expectGraceError(
      () => new Codebook({ keyDimension: 2, valueDimension: 3, epsInit: -1 }),
      'INVALID_ARGUMENT',
    );
    expect(codebook.snapshot()).toEqual(before);
    expect(codebook.records).toHaveLength(1);
  });
});

/** A stream of 2-D edits that exercises every operation, with values standing in for trained ones. */
function editStream(count: number, seed: number): Array<{ request: EditRequest; value: number[] }> {
  const random = new SeededRandom(seed);
  return Array.from({ length: count }, () => ({
    request: { query: [random.next() * 6, random.next() * 6], label: random.next() < 0.5 ? 'a' : 'b' },
    value: [random.next(), random.next(), random.next()],
  }));
}

function buildCodebook(
  edits: ReturnType<typeof editStream>,
  options: Partial<CodebookOptions> = {},
): Codebook {
  const codebook = makeCodebook(options);
  for (const { request, value } of edits) codebook.applyEdit(request, { value });
  return codebook;
}

describe('Codebook rollback', () => {
  for (const options of [{}, { expansion: 'moving_average' as const }, { splitPolicy: 'keep' as const }]) {
    it(`rolling back edit j equals never making it, for every j (${JSON.stringify(options)})`, () => {
      const edits = editStream(30, 7);
      const full = buildCodebook(edits, options);
      const operations = new Set(full.records.map((record) => record.operation));
      expect(operations).toEqual(new Set(['ADD', 'SPLIT', 'EXPAND', 'RETRAIN']));
      for (let skipped = 0; skipped < edits.length; skipped++) {
        const rolledBack = buildCodebook(edits, options);
        const removed = rolledBack.rollback(`edit-${skipped + 1}`);
        expect(removed.sequence).toBe(skipped + 1);
        const without = buildCodebook(
          edits.filter((_, index) => index !== skipped),
          options,
        );
        expect(rolledBack.snapshot()).toEqual(without.snapshot());
        expect(rolledBack.records.map((record) => record.operation)).toEqual(
          without.records.map((record) => record.operation),
        );
      }
    });
  }

  it('rolls back an EXPAND by restoring the radius', () => {
    const codebook = makeCodebook();
    codebook.applyEdit({ query: [0, 0], label: 'a' });
    codebook.applyEdit({ query: [1.5, 0], label: 'a' });
    expect(codebook.entry(0).radius).toBe(coveringRadius(1.5, 2));
    codebook.rollback('edit-2');
    expect(codebook.entry(0).radius).toBe(1);
    expect(codebook.records.map((record) => record.id)).toEqual(['edit-1']);
  });

  it("rolls back a SPLIT by removing its key and restoring the neighbour's radius", () => {
    const codebook = makeCodebook();
    codebook.applyEdit({ query: [0, 0], label: 'a' }, { value: [1, 1, 1] });
    codebook.applyEdit({ query: [1.2, 0], label: 'b' });
    codebook.rollback('edit-2');
    expect(codebook.size).toBe(1);
    expect(codebook.entry(0)).toMatchObject({ radius: 1, label: 'a' });
    expect(Array.from(codebook.entry(0).value)).toEqual([1, 1, 1]);
  });

  it('re-decides later edits that were routed to a removed key', () => {
    const codebook = makeCodebook();
    codebook.applyEdit({ query: [0, 0], label: 'a' });
    codebook.applyEdit({ query: [0.5, 0], label: 'a' }, { value: [2, 2, 2] });
    expect(codebook.records[1]?.operation).toBe('RETRAIN');
    codebook.rollback('edit-1');
    expect(codebook.records[0]).toMatchObject({ id: 'edit-2', operation: 'ADD', keyIndex: 0 });
    expect(Array.from(codebook.entry(0).key)).toEqual([0.5, 0]);
    expect(Array.from(codebook.entry(0).value)).toEqual([2, 2, 2]);
  });

  it('keeps sequence numbers growing after a rollback and refuses unknown ids', () => {
    const codebook = makeCodebook();
    codebook.applyEdit({ query: [0, 0], label: 'a' });
    codebook.applyEdit({ query: [5, 5], label: 'a' });
    codebook.rollback('edit-2');
    expect(codebook.applyEdit({ query: [9, 9], label: 'a' }).id).toBe('edit-3');
    const before = codebook.snapshot();
    expectGraceError(() => codebook.rollback('edit-2'), 'UNKNOWN_EDIT');
    expect(codebook.snapshot()).toEqual(before);
  });
});
