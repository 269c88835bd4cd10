import { describe, expect, it } from 'vitest';
import { exactNearestAmong } from './exact-nearest-key.js';
import { buildKeyBallTree } from './key-ball-tree.js';
import { SeededRandom } from './random.js';

/** The brute-force answer a backend's lookup gives: the exact nearest key if its reported distance ≤ radius. */
function bruteForceHits(
  queries: Float32Array,
  keys: Float32Array,
  radii: Float32Array,
  batch: number,
  width: number,
) {
  const all = Array.from({ length: radii.length }, (_, key) => key);
  return Int32Array.from({ length: batch }, (_, row) => {
    const nearest = exactNearestAmong(queries, row * width, keys, width, all);
    return nearest.index >= 0 &&
      Math.fround(Math.sqrt(nearest.squaredDistance)) <= (radii[nearest.index] as number)
      ? nearest.index
      : -1;
  });
}

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
        const expected = bruteForceHits(data.queries, data.keys, data.radii, data.batch, data.width);
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
      Array.from(bruteForceHits(queries, keys, radii, 2, width)),
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
