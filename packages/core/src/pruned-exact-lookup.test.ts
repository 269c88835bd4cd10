import { describe, expect, it } from 'vitest';
import { buildKeyBallTree } from './key-ball-tree.js';
import { PivotKeyIndex } from './pivot-key-index.js';
import { SeededRandom } from './random.js';
import { bruteForceFiringKeys, firingKeysWithBruteForce } from './testing/firing-key-checks.js';

/**
 * The exact lookups that skip work (`buildKeyBallTree`, `PivotKeyIndex`) against brute force: never a different
 * answer, on clustered and random data, at ball edges, with NaN, ∞ and duplicate keys.
 */

interface Case {
  readonly keys: Float32Array;
  readonly radii: Float32Array;
  readonly queries: Float32Array;
  readonly keyCount: number;
  readonly batch: number;
  readonly width: number;
}

/** Keys in a few tight clusters far from the origin, GRACE-like radii, queries near keys, on ball edges, or far. */
function clusteredCase(seed: number): Case {
  const random = new SeededRandom(seed);
  const width = [2, 8, 64, 120][seed % 4] as number;
  const keyCount = random.integer(1, 400);
  const batch = 40;
  const clusters = Array.from({ length: random.integer(1, 8) }, () =>
    Float32Array.from({ length: width }, () => random.normal() * 100 + 1000),
  );
  const keys = new Float32Array(keyCount * width);
  for (let key = 0; key < keyCount; key++) {
    const cluster = clusters[random.integer(0, clusters.length)] as Float32Array;
    for (let column = 0; column < width; column++)
      keys[key * width + column] = (cluster[column] as number) + random.normal();
  }
  // Duplicate keys (ties to the lowest index) and radii from 0 to large, with the odd special value.
  for (let key = 1; key < keyCount; key += 17) keys.copyWithin(key * width, (key - 1) * width, key * width);
  const radii = Float32Array.from({ length: keyCount }, () => random.uniform(0, 3) * Math.sqrt(width) * 0.5);
  if (keyCount > 3) {
    radii[0] = 0;
    radii[1] = Number.NaN;
    radii[2] = Number.POSITIVE_INFINITY * (seed % 3 === 0 ? 1 : 0) || 0.5;
  }
  const queries = new Float32Array(batch * width);
  for (let row = 0; row < batch; row++) {
    const key = random.integer(0, keyCount);
    const kind = row % 4;
    for (let column = 0; column < width; column++) {
      const base = keys[key * width + column] as number;
      queries[row * width + column] =
        kind === 0
          ? base
          : kind === 1
            ? base + random.normal() * 0.3
            : kind === 2
              ? base + random.normal() * 3
              : random.normal() * 500;
    }
  }
  // A query exactly on a ball's edge: at the reported distance of key 0's nearest neighbour, as its radius.
  return { keys, radii, queries, keyCount, batch, width };
}

/** Uniform random keys and queries in a box, with radii around the typical nearest-neighbour distance. */
function randomCase(seed: number): Case {
  const random = new SeededRandom(seed, 1);
  const width = [3, 16, 50][seed % 3] as number;
  const keyCount = random.integer(1, 300);
  const batch = 30;
  const keys = random.floats(keyCount * width, -1, 1);
  const queries = random.floats(batch * width, -1, 1);
  const radii = Float32Array.from({ length: keyCount }, () => random.uniform(0, Math.sqrt(width)));
  return { keys, radii, queries, keyCount, batch, width };
}

/**
 * Every query sits on a key, as on a transformer edit point where inputs repeat a few token states: keys are
 * near-duplicates around a few centers (exact duplicates too), radii a tenth of the centers' spacing with the odd
 * halved one (a split), and queries are keys moved by a thousandth of a radius, keys themselves, or (one in
 * eight) a point between centers. Brute force exits each key early here, so the index must too.
 */
function allHitCase(seed: number): Case {
  const random = new SeededRandom(seed, 2);
  const width = [8, 64, 120][seed % 3] as number;
  const keyCount = random.integer(100, 600);
  const batch = 32;
  const centers = Array.from({ length: random.integer(3, 30) }, () =>
    Float32Array.from({ length: width }, () => random.normal()),
  );
  const keys = new Float32Array(keyCount * width);
  for (let key = 0; key < keyCount; key++) {
    const center = centers[random.integer(0, centers.length)] as Float32Array;
    for (let column = 0; column < width; column++)
      keys[key * width + column] = (center[column] as number) + random.normal() * 1e-3;
  }
  for (let key = 1; key < keyCount; key += 23) keys.copyWithin(key * width, (key - 1) * width, key * width);
  const radii = Float32Array.from({ length: keyCount }, (_, key) => (key % 5 === 0 ? 0.05 : 0.1));
  const queries = new Float32Array(batch * width);
  for (let row = 0; row < batch; row++) {
    const key = random.integer(0, keyCount);
    const other = random.integer(0, keyCount);
    for (let column = 0; column < width; column++) {
      const base = keys[key * width + column] as number;
      queries[row * width + column] =
        row % 8 === 7
          ? (base + (keys[other * width + column] as number)) / 2
          : row % 3 === 0
            ? base
            : base + random.normal() * 1e-4;
    }
  }
  return { keys, radii, queries, keyCount, batch, width };
}

/**
 * The index answers rows whose first-pivot range holds up to half the keys (the default shrinks with the width, a
 * speed choice); exactness must not depend on it, and these small widths would otherwise leave most rows to brute
 * force.
 */
const wideRange = { maximumRangeShare: 0.5 } as const;

/** The same case with every radius a twentieth as large (GRACE's balls are small against key spacing). */
function smallBalls(data: Case): Case {
  return { ...data, radii: data.radii.map((radius) => radius / 20) };
}

describe('buildKeyBallTree', () => {
  for (const [name, make] of [
    ['clustered', clusteredCase],
    ['random', randomCase],
  ] as const) {
    it(`gives the brute-force hit of every query on ${name} data (40 seeds, leaf sizes 1, 4, 32)`, () => {
      let skipped = 0;
      let bruteForce = 0;
      for (let seed = 1; seed <= 40; seed++) {
        const data = make(seed);
        const expected = bruteForceFiringKeys(data.queries, data.keys, data.radii, data.width);
        for (const leafSize of [1, 4, 32]) {
          const tree = buildKeyBallTree(data.keys, data.radii, data.keyCount, data.width, { leafSize });
          const { hitIndex, distanceEvaluations } = tree.firingKeys(data.queries, data.batch);
          expect(Array.from(hitIndex), `seed ${seed} leaf ${leafSize}`).toEqual(Array.from(expected));
          skipped += Math.max(0, data.batch * data.keyCount - distanceEvaluations);
          bruteForce += data.batch * data.keyCount;
        }
      }
      // The point of the tree: on these sizes it computes well under the brute-force number of distances.
      if (name === 'clustered') expect(skipped / bruteForce).toBeGreaterThan(0.3);
    }, 60_000);
  }

  it('fires on a query exactly at a ball edge and defers just outside, as the brute force does', () => {
    const width = 4;
    const keys = new Float32Array([0, 0, 0, 0, 10, 10, 10, 10, 1000, 1000, 1000, 1000]);
    const edge = Math.fround(Math.sqrt(3 * 3 * 4));
    const radii = new Float32Array([1, edge, 1]);
    const queries = new Float32Array([13, 13, 13, 13, 13.0001, 13, 13, 13]);
    const tree = buildKeyBallTree(keys, radii, 3, width, { leafSize: 1 });
    expect(Array.from(tree.firingKeys(queries, 2).hitIndex)).toEqual(
      Array.from(bruteForceFiringKeys(queries, keys, radii, width)),
    );
    expect(tree.firingKeys(queries, 1).hitIndex[0]).toBe(1);
  });

  it('defers with no keys, and never fires on NaN queries', () => {
    expect(
      Array.from(
        buildKeyBallTree(new Float32Array(0), new Float32Array(0), 0, 3).firingKeys(new Float32Array(3), 1)
          .hitIndex,
      ),
    ).toEqual([-1]);
    const tree = buildKeyBallTree(
      new Float32Array([0, 0]),
      new Float32Array([Number.POSITIVE_INFINITY]),
      1,
      2,
    );
    expect(tree.firingKeys(new Float32Array([Number.NaN, 0]), 1).hitIndex[0]).toBe(-1);
  });

  it('refuses arrays that do not match N and D', () => {
    expect(() => buildKeyBallTree(new Float32Array(5), new Float32Array(2), 2, 3)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('PivotKeyIndex', () => {
  for (const [name, make] of [
    ['clustered', clusteredCase],
    ['random', randomCase],
    ['random, small balls', (seed: number) => smallBalls(randomCase(seed))],
  ] as const) {
    it(`gives the brute-force hit of every query on ${name} data (40 seeds, 1 to 8 pivots)`, () => {
      let decided = 0;
      let rows = 0;
      for (let seed = 1; seed <= 40; seed++) {
        const data = make(seed);
        const expected = bruteForceFiringKeys(data.queries, data.keys, data.radii, data.width);
        for (const pivots of [1, 3, 8]) {
          const index = new PivotKeyIndex(data.width, { pivots, minimumKeys: 8, ...wideRange });
          index.update(data.keys, 'all');
          const { hits, undecided } = firingKeysWithBruteForce(index, data.queries, data.keys, data.radii);
          expect(hits, `seed ${seed}, ${pivots} pivots`).toEqual(Array.from(expected));
          decided += hits.length - undecided;
          rows += hits.length;
        }
      }
      // The point of the index: it decides many rows itself (wide balls and tiny codebooks go to brute force).
      // The point of the index: it decides most rows itself where balls are small against the keys' spread (the
      // wide random balls here go to brute force, as they should).
      if (name !== 'random') expect(decided / rows).toBeGreaterThan(0.5);
    }, 60_000);
  }

  it('gives the brute-force hit when every query sits on a key, and decides those rows itself (default options)', () => {
    let decided = 0;
    let rows = 0;
    let hits = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const data = allHitCase(seed);
      const expected = bruteForceFiringKeys(data.queries, data.keys, data.radii, data.width);
      for (const pivots of [1, 3, 8]) {
        const index = new PivotKeyIndex(data.width, { pivots, minimumKeys: 8 });
        index.update(data.keys, 'all');
        const answer = firingKeysWithBruteForce(index, data.queries, data.keys, data.radii);
        expect(answer.hits, `seed ${seed}, ${pivots} pivots`).toEqual(Array.from(expected));
        decided += answer.hits.length - answer.undecided;
        rows += answer.hits.length;
        hits += answer.hits.filter((key) => key >= 0).length;
      }
    }
    expect(hits / rows).toBeGreaterThan(0.8);
    // Wide first-pivot ranges for the largest radius, but a probe next to the query finds the key it sits on.
    expect(decided / rows).toBeGreaterThan(0.9);
  }, 60_000);

  it('stays exact while keys are appended, rewritten and dropped, as a codebook changes', () => {
    const random = new SeededRandom(7);
    const width = 16;
    const all = clusteredCase(9);
    const cluster = all.keys.subarray(0, width);
    let keys = new Float32Array(0);
    let radii = new Float32Array(0);
    const index = new PivotKeyIndex(width, { pivots: 4, minimumKeys: 8, ...wideRange });
    for (let step = 0; step < 120; step++) {
      const count = keys.length / width;
      const action = step < 20 ? 0 : random.integer(0, 4);
      const changed: number[] = [];
      if (action <= 1) {
        // Append one key near the cluster with a small radius.
        const key = Float32Array.from(cluster, (value) => value + random.normal() * 3);
        const grown = new Float32Array(keys.length + width);
        grown.set(keys);
        grown.set(key, keys.length);
        keys = grown;
        radii = Float32Array.from([...radii, random.uniform(0, 2)]);
      } else if (action === 2 && count > 0) {
        // Move a key (moving_average) and grow its radius (EXPAND).
        const row = random.integer(0, count);
        for (let column = 0; column < width; column++) keys[row * width + column] += random.normal();
        radii[row] = (radii[row] as number) * 1.5;
        changed.push(row, row);
      } else if (count > 0) {
        // Drop the last key (an aborted edit).
        keys = keys.slice(0, (count - 1) * width);
        radii = radii.slice(0, count - 1);
      }
      index.update(keys, step % 37 === 36 ? 'all' : changed);
      const queries = new Float32Array(8 * width);
      for (let row = 0; row < 8; row++) {
        const source = random.integer(0, Math.max(1, keys.length / width));
        for (let column = 0; column < width; column++) {
          const base = keys.length > 0 ? (keys[source * width + column] as number) : 0;
          queries[row * width + column] = base + (row % 2 === 0 ? 0 : random.normal() * 0.5);
        }
      }
      expect(firingKeysWithBruteForce(index, queries, keys, radii).hits, `step ${step}`).toEqual(
        Array.from(bruteForceFiringKeys(queries, keys, radii, width)),
      );
    }
  });

  it('fires on a query exactly at a ball edge and defers just past it, as the brute force does', () => {
    const width = 4;
    const keys = new Float32Array(70 * width);
    for (let key = 0; key < 70; key++) keys.fill(key * 10, key * width, (key + 1) * width);
    const edge = Math.fround(Math.sqrt(3 * 3 * 4));
    const radii = new Float32Array(70).fill(1);
    radii[1] = edge;
    const queries = new Float32Array([13, 13, 13, 13, 13.0001, 13, 13, 13]);
    const index = new PivotKeyIndex(width, wideRange);
    index.update(keys, 'all');
    const { hits, undecided } = firingKeysWithBruteForce(index, queries, keys, radii);
    expect(undecided).toBe(0);
    expect(hits).toEqual(Array.from(bruteForceFiringKeys(queries, keys, radii, width)));
    expect(hits[0]).toBe(1);
  });

  it('leaves NaN and infinite queries and non-finite keys to brute force, and everything before minimumKeys', () => {
    const width = 2;
    const keys = new SeededRandom(3).floats(100 * width);
    const radii = new Float32Array(100).fill(0.1);
    const index = new PivotKeyIndex(width, { minimumKeys: 64, ...wideRange });
    index.update(keys.subarray(0, 10 * width), 'all');
    expect(index.firingKeys(keys.subarray(0, width), 1, keys, radii, new Int32Array(1))).toEqual([0]);
    index.update(keys, []);
    const queries = new Float32Array([Number.NaN, 0, Number.POSITIVE_INFINITY, 0, 0.5, 0.5]);
    expect(index.firingKeys(queries, 3, keys, radii, new Int32Array(3))).toEqual([0, 1]);
    keys[4] = Number.NaN;
    index.update(keys, [2]);
    expect(index.firingKeys(queries, 3, keys, radii, new Int32Array(3))).toEqual([0, 1, 2]);
    keys[4] = 0;
    index.update(keys, [2]);
    expect(index.firingKeys(queries, 3, keys, radii, new Int32Array(3))).toEqual([0, 1]);
  });

  it('refuses options it cannot work with', () => {
    for (const options of [{ pivots: 0 }, { pivots: 8, minimumKeys: 4 }, { maximumRangeShare: 2 }]) {
      expect(() => new PivotKeyIndex(4, options)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    }
    expect(() => new PivotKeyIndex(0)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('PivotKeyIndex at the ends of float32', () => {
  it('leaves keys whose pivot distances overflow float32 to brute force instead of misplacing them', () => {
    const width = 4;
    const keys = new Float32Array(80 * width);
    for (let key = 0; key < 80; key++) keys.fill(key, key * width, (key + 1) * width);
    // Two keys far out (their distance to every pivot is beyond float32's range), and a query between them.
    keys.fill(3e38, 78 * width, 79 * width);
    keys.fill(-3e38, 79 * width, 80 * width);
    const radii = new Float32Array(80).fill(1);
    const queries = Float32Array.from([3e38, 3e38, 3e38, 3e38, 5, 5, 5, 5]);
    const index = new PivotKeyIndex(width, { pivots: 2, ...wideRange });
    index.update(keys, 'all');
    const { hits, undecided } = firingKeysWithBruteForce(index, queries, keys, radii);
    expect(undecided).toBe(2);
    expect(hits).toEqual([78, 5]);
  });
});
