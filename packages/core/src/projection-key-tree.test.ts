import { describe, expect, it } from 'vitest';
import { principalBasis } from './principal-basis.js';
import { ProjectionKeyTree } from './projection-key-tree.js';
import type { ProjectionKeyTreeOptions } from './projection-key-tree-options.js';
import { SeededRandom } from './random.js';
import { bruteForceFiringKeys, firingKeysWithBruteForce } from './testing/firing-key-checks.js';

/**
 * The projection tree against brute force: never a different answer, on real-like (low-rank ReLU), clustered,
 * random and all-hit data, at ball edges, with duplicates, NaN and ∞, while keys are appended, rewritten and
 * dropped through rebuilds.
 */

interface Case {
  readonly keys: Float32Array;
  readonly radii: Float32Array;
  readonly queries: Float32Array;
  readonly width: number;
}

/**
 * Like a layer's inputs: ReLU(latent · map + bias) with a few latent factors in clusters, a little noise,
 * duplicate keys (ties go to the lowest index), radii around the spacing of neighbours; queries are keys, keys
 * moved inside or just past a ball, fresh rows from the same clusters, or far away.
 */
function realLikeCase(seed: number): Case {
  const random = new SeededRandom(seed, 11);
  const width = [16, 40, 120][seed % 3] as number;
  const latent = random.integer(2, 9);
  const keyCount = random.integer(300, 900);
  const map = random.floats(latent * width, -1, 1);
  const bias = random.floats(width, -0.5, 0.5);
  const centers = Array.from({ length: random.integer(3, 20) }, () => random.floats(latent, -2, 2));
  const row = (target: Float32Array, offset: number): void => {
    const center = centers[random.integer(0, centers.length)] as Float32Array;
    const point = center.map((value) => value + random.normal() * 0.4);
    for (let column = 0; column < width; column++) {
      let sum = bias[column] as number;
      for (let factor = 0; factor < latent; factor++)
        sum += (point[factor] as number) * (map[factor * width + column] as number);
      target[offset + column] = Math.max(0, sum + random.normal() * 0.02);
    }
  };
  const keys = new Float32Array(keyCount * width);
  for (let key = 0; key < keyCount; key++) row(keys, key * width);
  for (let key = 1; key < keyCount; key += 13) keys.copyWithin(key * width, (key - 1) * width, key * width);
  const radii = Float32Array.from({ length: keyCount }, () => random.uniform(0.05, 1));
  radii[0] = 0;
  radii[1] = Number.NaN;
  const batch = 48;
  const queries = new Float32Array(batch * width);
  for (let query = 0; query < batch; query++) {
    const kind = query % 4;
    if (kind === 2) {
      row(queries, query * width);
      continue;
    }
    const key = random.integer(0, keyCount);
    for (let column = 0; column < width; column++) {
      const base = keys[key * width + column] as number;
      queries[query * width + column] =
        kind === 0 ? base : kind === 1 ? base + random.normal() * 0.05 : random.normal() * 50;
    }
  }
  return { keys, radii, queries, width };
}

/** Keys in a few tight clusters (full rank within each), queries on, near, between and far from them. */
function clusteredCase(seed: number): Case {
  const random = new SeededRandom(seed, 12);
  const width = [4, 24, 64][seed % 3] as number;
  const keyCount = random.integer(260, 700);
  const centers = Array.from({ length: random.integer(2, 10) }, () => random.floats(width, -100, 100));
  const keys = new Float32Array(keyCount * width);
  for (let key = 0; key < keyCount; key++) {
    const center = centers[random.integer(0, centers.length)] as Float32Array;
    for (let column = 0; column < width; column++)
      keys[key * width + column] = (center[column] as number) + random.normal();
  }
  const radii = Float32Array.from({ length: keyCount }, () => random.uniform(0, 2) * Math.sqrt(width) * 0.3);
  const queries = new Float32Array(40 * width);
  for (let query = 0; query < 40; query++) {
    const key = random.integer(0, keyCount);
    const spread = [0, 0.2, 1, 30][query % 4] as number;
    for (let column = 0; column < width; column++) {
      queries[query * width + column] = (keys[key * width + column] as number) + random.normal() * spread;
    }
  }
  return { keys, radii, queries, width };
}

/** Uniform random keys and queries: the basis describes nothing, so the tree is forced on to test exactness. */
function randomCase(seed: number): Case {
  const random = new SeededRandom(seed, 13);
  const width = [3, 16, 50][seed % 3] as number;
  const keyCount = random.integer(260, 500);
  return {
    keys: random.floats(keyCount * width, -1, 1),
    radii: Float32Array.from({ length: keyCount }, () => random.uniform(0, Math.sqrt(width) * 0.5)),
    queries: random.floats(30 * width, -1, 1),
    width,
  };
}

/** Tree options that never switch it off or give a row up, so every row tests the walk's exactness. */
const alwaysOn: ProjectionKeyTreeOptions = { minimumKeys: 16, maximumResidualShare: 1, maximumVisitShare: 1 };

describe('ProjectionKeyTree', () => {
  for (const [name, make] of [
    ['real-like', realLikeCase],
    ['clustered', clusteredCase],
    ['random', randomCase],
  ] as const) {
    it(`gives the brute-force hit of every query on ${name} data (24 seeds, 1 to 16 directions, leaves 1 to 16)`, () => {
      let summed = 0;
      let possible = 0;
      for (let seed = 1; seed <= 24; seed++) {
        const data = make(seed);
        const expected = bruteForceFiringKeys(data.queries, data.keys, data.radii, data.width);
        for (const [dimensions, leafSize] of [
          [1, 1],
          [Math.min(4, data.width), 4],
          [Math.min(16, data.width), 16],
        ] as const) {
          const tree = new ProjectionKeyTree(data.width, { ...alwaysOn, dimensions, leafSize });
          tree.update(data.keys, 'all');
          const { hits, undecided } = firingKeysWithBruteForce(tree, data.queries, data.keys, data.radii);
          expect(hits, `seed ${seed}, ${dimensions} directions, leaves of ${leafSize}`).toEqual(expected);
          expect(undecided).toBe(0);
          summed += tree.work.summedKeys;
          possible += (data.queries.length / data.width) * (data.radii.length as number);
        }
      }
      // The point of the tree: on real-like keys it sums a small share of what brute force sums.
      if (name === 'real-like') expect(summed / possible).toBeLessThan(0.05);
    }, 120_000);
  }

  it('switches itself off on random keys by default, and stays on for real-like keys', () => {
    const random = randomCase(2);
    const off = new ProjectionKeyTree(random.width);
    off.update(random.keys, 'all');
    expect(off.active).toBe(false);
    expect(off.residualShare).toBeGreaterThan(0.2);
    const batch = random.queries.length / random.width;
    expect(
      off.firingKeys(random.queries, batch, random.keys, random.radii, new Int32Array(batch)),
    ).toHaveLength(batch);
    const real = realLikeCase(5);
    const on = new ProjectionKeyTree(real.width);
    on.update(real.keys, 'all');
    expect(on.active).toBe(true);
    expect(on.residualShare).toBeLessThan(0.05);
  });

  it('stays exact while keys are appended, rewritten and dropped, through rebuilds', () => {
    const random = new SeededRandom(17);
    const source = realLikeCase(5);
    const width = source.width;
    let rows = 300;
    const keys = source.keys.slice();
    const radii = source.radii.slice();
    const tree = new ProjectionKeyTree(width, { ...alwaysOn, minimumKeys: 200 });
    tree.update(keys.subarray(0, rows * width), 'all');
    const firstBuilds = tree.work.builds;
    for (let step = 0; step < 260; step++) {
      const action = random.integer(0, 5);
      const changed: number[] = [];
      if (action <= 2 && rows < source.radii.length) {
        rows += 1; // ADD or SPLIT: a new row (with SPLIT, the old key's radius changes: radii are not indexed)
      } else if (action === 3) {
        // EXPAND with moving_average: a key moves (listed twice, as a codebook may list it).
        const row = random.integer(0, rows);
        for (let column = 0; column < width; column++) keys[row * width + column] += random.normal() * 0.3;
        radii[row] = (radii[row] as number) * 1.5;
        changed.push(row, row);
      } else if (rows > 1) {
        // An aborted edit drops the last row; the next append writes a different key there.
        rows -= 1;
        for (let column = 0; column < width; column++) keys[rows * width + column] = random.normal() * 3;
      }
      tree.update(keys.subarray(0, rows * width), step === 200 ? 'all' : changed);
      const queries = source.queries.slice(0, 12 * width);
      for (let column = 0; column < width; column++)
        queries[column] = keys[(rows - 1) * width + column] as number;
      const view = keys.subarray(0, rows * width);
      expect(
        firingKeysWithBruteForce(tree, queries, view, radii.subarray(0, rows)).hits,
        `step ${step}`,
      ).toEqual(bruteForceFiringKeys(queries, view, radii.subarray(0, rows), width));
    }
    expect(tree.rows).toBe(rows);
    // Enough rows were written after the first build for the loose list to pass its limit and rebuild.
    expect(tree.work.builds - firstBuilds).toBeGreaterThanOrEqual(2);
  });

  it('fires on a query exactly at a ball edge and defers just past it, as brute force does', () => {
    const width = 4;
    const keys = new Float32Array(300 * width);
    for (let key = 0; key < 300; key++) keys.fill(key * 10, key * width, (key + 1) * width);
    const edge = Math.fround(Math.sqrt(3 * 3 * 4));
    const radii = new Float32Array(300).fill(1);
    radii[1] = edge;
    const queries = new Float32Array([13, 13, 13, 13, 13.0001, 13, 13, 13]);
    const tree = new ProjectionKeyTree(width, alwaysOn);
    tree.update(keys, 'all');
    const { hits, undecided } = firingKeysWithBruteForce(tree, queries, keys, radii);
    expect(undecided).toBe(0);
    expect(hits).toEqual(bruteForceFiringKeys(queries, keys, radii, width));
    expect(hits).toEqual([1, -1]);
  });

  it('leaves NaN and infinite queries and non-finite keys undecided, and everything before minimumKeys', () => {
    const data = realLikeCase(4);
    const width = data.width;
    const tree = new ProjectionKeyTree(width, { minimumKeys: 64 });
    tree.update(data.keys.subarray(0, 10 * width), 'all');
    const one = data.queries.subarray(0, width);
    expect(tree.firingKeys(one, 1, data.keys, data.radii, new Int32Array(1))).toEqual([0]);
    const keys = data.keys.slice();
    tree.update(keys, []);
    const queries = data.queries.slice(0, 3 * width);
    queries[0] = Number.NaN;
    queries[width] = Number.POSITIVE_INFINITY;
    expect(tree.firingKeys(queries, 3, keys, data.radii, new Int32Array(3))).toEqual([0, 1]);
    keys[5 * width] = Number.NaN;
    tree.update(keys, [5]);
    expect(tree.firingKeys(queries, 3, keys, data.radii, new Int32Array(3))).toEqual([0, 1, 2]);
    keys[5 * width] = 0;
    tree.update(keys, [5]);
    expect(tree.firingKeys(queries, 3, keys, data.radii, new Int32Array(3))).toEqual([0, 1]);
  });

  it('gives a row up as undecided when its walk would bound more keys than its budget', () => {
    const data = randomCase(4);
    const tree = new ProjectionKeyTree(data.width, { ...alwaysOn, maximumVisitShare: 0 });
    tree.update(data.keys, 'all');
    const wide = data.radii.map(() => 1e6);
    const batch = data.queries.length / data.width;
    expect(tree.firingKeys(data.queries, batch, data.keys, wide, new Int32Array(batch))).toHaveLength(batch);
  });

  it('refuses options it cannot work with', () => {
    for (const options of [
      { dimensions: 0 },
      { dimensions: 5 },
      { leafSize: 0 },
      { minimumKeys: 0 },
      { maximumResidualShare: 2 },
      { maximumVisitShare: -1 },
    ]) {
      expect(() => new ProjectionKeyTree(4, options)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    }
    expect(() => new ProjectionKeyTree(0)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('principalBasis', () => {
  it('gives orthonormal directions that capture low-rank keys and a share of isotropic ones', () => {
    const random = new SeededRandom(5);
    const width = 30;
    const rows = 2000;
    const lowRank = new Float32Array(rows * width);
    const map = random.floats(3 * width, -1, 1);
    for (let row = 0; row < rows; row++) {
      const latent = [random.normal(), random.normal(), random.normal()];
      for (let column = 0; column < width; column++) {
        lowRank[row * width + column] =
          5 +
          (latent[0] as number) * (map[column] as number) +
          (latent[1] as number) * (map[width + column] as number) +
          (latent[2] as number) * (map[2 * width + column] as number);
      }
    }
    const basis = principalBasis(lowRank, rows, width, 4);
    expect(basis.orthogonalityError).toBeLessThan(1e-13);
    expect(basis.residualShare).toBeLessThan(1e-6);
    const isotropic = principalBasis(random.floats(rows * width, -1, 1), rows, width, 6);
    expect(isotropic.residualShare).toBeGreaterThan(0.6);
    expect(isotropic.residualShare).toBeLessThan(0.85);
  });
});
