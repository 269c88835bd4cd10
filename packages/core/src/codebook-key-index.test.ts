import { describe, expect, it } from 'vitest';
import { Codebook } from './codebook.js';
import { decodeCodebook, encodeCodebook } from './codebook-file.js';
import type { CodebookOptions } from './codebook-options.js';
import { type ExactNearest, exactNearestAmong } from './exact-nearest-key.js';
import type { HostKeyIndex } from './host-key-index.js';
import { QuantizedKeyIndex } from './quantized-key-index.js';
import { SeededRandom } from './random.js';

/**
 * An index that keeps its own copy of the keys, only from what `update` tells it, and answers by brute force
 * over that copy: a row the codebook forgets to report (a rewrite, an undo, a rollback) makes it answer wrong.
 */
class CopyingKeyIndex implements HostKeyIndex {
  private copy = new Float32Array(0);
  constructor(private readonly width: number) {}
  get bytes(): number {
    return this.copy.byteLength;
  }
  update(keys: Float32Array, changedRows: readonly number[] | 'all'): void {
    const previous = changedRows === 'all' ? 0 : this.copy.length / this.width;
    const copy = new Float32Array(keys.length);
    copy.set(this.copy.subarray(0, Math.min(this.copy.length, keys.length)));
    const rows = keys.length / this.width;
    const fresh = changedRows === 'all' ? [] : changedRows.filter((row) => row < Math.min(previous, rows));
    for (const row of [
      ...fresh,
      ...Array.from({ length: Math.max(0, rows - previous) }, (_, at) => previous + at),
    ]) {
      copy.set(keys.subarray(row * this.width, (row + 1) * this.width), row * this.width);
    }
    this.copy = copy;
  }
  nearest(query: Float32Array): ExactNearest {
    return exactNearestAmong(
      query,
      0,
      this.copy,
      this.width,
      Array.from({ length: this.copy.length / this.width }, (_, key) => key),
    );
  }
}

/** The quantized index from the first key on, so that small codebooks exercise it too. */
const fromFirstKey = (width: number): QuantizedKeyIndex => new QuantizedKeyIndex(width, { minimumKeys: 1 });

const width = 24;

/** Queries around a few centres, at distances near eps_init, so every operation happens (ADD … RETRAIN). */
function makeQueries(random: SeededRandom, count: number): Float32Array[] {
  const centres = Array.from({ length: 6 }, () =>
    Float32Array.from({ length: width }, () => random.normal() * 4),
  );
  return Array.from({ length: count }, () => {
    const centre = centres[random.integer(0, centres.length)] as Float32Array;
    const spread = [0, 0.05, 0.2, 0.5][random.integer(0, 4)] as number;
    return Float32Array.from(centre, (value) => value + random.normal() * spread);
  });
}

/** Everything a decision can change: the contents and each record's plan, as one string. */
function state(codebook: Codebook): string {
  const { keys, values, radii, labels } = codebook.snapshot();
  const plans = codebook.records.map(({ id, operation, keyIndex, nearestIndex, distance, supersededKey }) => [
    id,
    operation,
    keyIndex,
    nearestIndex,
    distance,
    supersededKey,
  ]);
  return JSON.stringify([[...keys], [...values], [...radii], labels, plans]);
}

describe('Codebook with its key index', () => {
  const cases = [{}, { expansion: 'moving_average' as const }, { splitPolicy: 'keep' as const }].flatMap(
    (options) =>
      [fromFirstKey, (keyWidth: number) => new CopyingKeyIndex(keyWidth)].map((factory) => ({
        options,
        factory,
      })),
  );
  for (const { options, factory } of cases) {
    const name = `${JSON.stringify(options)}, ${factory === fromFirstKey ? 'quantized' : 'copying'} index`;
    it(`decides, aborts, rolls back and restores exactly as without one (${name})`, () => {
      const random = new SeededRandom(7);
      const codebookOptions: CodebookOptions = {
        keyDimension: width,
        valueDimension: 2,
        epsInit: 0.3,
        ...options,
      };
      let indexed = new Codebook(codebookOptions);
      indexed.useKeyIndex(factory);
      const plain = new Codebook(codebookOptions);
      plain.useKeyIndex(null);
      const queries = makeQueries(random, 200);
      const operations = new Set<string>();
      for (const [step, query] of queries.entries()) {
        const request = { query, label: random.integer(0, 3), id: `edit-${step}`, time: new Date(step) };
        const action = random.integer(0, 12);
        if (action === 0) {
          // Begun and aborted: the index must follow the undo (a dropped row, a radius or key put back).
          indexed.beginEdit(request).abort();
          plain.beginEdit(request).abort();
        } else if (action === 1 && plain.records.length > 0) {
          const victim = (plain.records[random.integer(0, plain.records.length)] as { id: string }).id;
          indexed.rollback(victim);
          plain.rollback(victim);
        } else if (action === 2) {
          indexed = decodeCodebook(encodeCodebook(indexed));
          indexed.useKeyIndex(factory);
        } else {
          operations.add(indexed.applyEdit(request).operation);
          plain.applyEdit(request);
        }
        expect(state(indexed), `step ${step}`).toEqual(state(plain));
        const probe = makeQueries(random, 1)[0] as Float32Array;
        expect(indexed.nearest(probe)).toEqual(plain.nearest(probe));
      }
      expect([...operations].sort()).toEqual(['ADD', 'EXPAND', 'RETRAIN', 'SPLIT']);
    });
  }

  it('is on by default, counted in hostBytes, and answers as the search without it at 400 keys × 768', () => {
    const random = new SeededRandom(3);
    const options: CodebookOptions = { keyDimension: 768, valueDimension: 4, epsInit: 1e-3 };
    const keys = 400;
    const snapshot = {
      keys: Float32Array.from({ length: keys * 768 }, () => random.uniform(-10, 10)),
      values: new Float32Array(keys * 4),
      radii: new Float32Array(keys).fill(1e-3),
      labels: Array.from({ length: keys }, (_, key) => key % 2),
    };
    const indexed = Codebook.restore(options, snapshot, [], 1);
    const plain = Codebook.restore(options, snapshot, [], 1);
    plain.useKeyIndex(null);
    for (let trial = 0; trial < 5; trial++) {
      const query = Float32Array.from({ length: 768 }, () => random.uniform(-10, 10));
      expect(indexed.plan(query, 1)).toEqual(plain.plan(query, 1));
    }
    expect(indexed.hostBytes).toBeGreaterThan(plain.hostBytes + keys * 768);
  });
});
