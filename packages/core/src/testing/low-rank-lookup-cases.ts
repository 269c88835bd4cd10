import { Codebook } from '../codebook.js';
import { DeviceCodebook } from '../device-codebook.js';
import { SeededRandom } from '../random.js';
import type { ConformanceCase, ResolvedConformanceOptions } from './conformance-case.js';
import { assertMirroredLookup } from './mirrored-lookup-cases.js';
import { defineScopedCase } from './tensor-scope.js';

const suite = 'lookup';
const keyWidth = 24;
const valueWidth = 2;
const latentWidth = 3;

/**
 * Keys as a real layer's inputs are: ReLU of a few latent factors through a fixed map, plus a little noise, so
 * that they lie near a low-dimensional subspace (what a backend's principal-direction index is built for), in
 * clusters of near-duplicates. `[count, keyWidth]`.
 */
function lowRankRows(random: SeededRandom, map: Float32Array, count: number): Float32Array {
  const rows = new Float32Array(count * keyWidth);
  const centers = Array.from({ length: 12 }, () => random.floats(latentWidth, -3, 3));
  for (let row = 0; row < count; row++) {
    const center = centers[random.integer(0, centers.length)] as Float32Array;
    const latent = center.map((value) => value + random.normal() * 0.3);
    for (let column = 0; column < keyWidth; column++) {
      let sum = 0;
      for (let factor = 0; factor < latentWidth; factor++) {
        sum += (latent[factor] as number) * (map[factor * keyWidth + column] as number);
      }
      rows[row * keyWidth + column] = Math.max(0, sum + random.normal() * 0.01);
    }
  }
  return rows;
}

/**
 * A loaded codebook of 600 low-rank keys edited 200 times (ADD, SPLIT, EXPAND moving keys, aborts, a rollback):
 * enough keys and enough rewritten rows for an index over the keys' principal directions to be built, followed
 * edit by edit, and rebuilt. Every lookup must give the reference's hits, for queries on keys, near them, on
 * ball edges' scale and far away.
 */
export function lowRankLookupCases(options: ResolvedConformanceOptions): ConformanceCase[] {
  const { tolerance } = options;
  return [
    defineScopedCase(
      suite,
      'follows edits of a codebook of low-rank keys (600 keys, 200 edits)',
      async (scope) => {
        const random = new SeededRandom(131);
        const map = random.floats(latentWidth * keyWidth, -1, 1);
        const keyCount = 600;
        const codebook = Codebook.restore(
          {
            keyDimension: keyWidth,
            valueDimension: valueWidth,
            layerId: 'low-rank',
            epsInit: 0.3,
            expansion: 'moving_average',
          },
          {
            keys: lowRankRows(random, map, keyCount),
            values: random.floats(keyCount * valueWidth, -5, 5),
            radii: random.floats(keyCount, 0.05, 0.6),
            labels: Array.from({ length: keyCount }, (_, key) => key % 4),
          },
          [],
          1,
        );
        const device = new DeviceCodebook(scope.backend, codebook);
        const queries = (batch: number): Float32Array => {
          const rows = lowRankRows(random, map, batch);
          const keys = codebook.keysView();
          for (let row = 0; row < batch; row += 3) {
            // Every third query is a key itself, or a key moved a little (inside or just outside its ball).
            const key = random.integer(0, codebook.size);
            const spread = [0, 0.05, 0.3][row % 3] as number;
            for (let column = 0; column < keyWidth; column++) {
              rows[row * keyWidth + column] =
                (keys[key * keyWidth + column] as number) + random.normal() * spread;
            }
          }
          return rows;
        };
        const check = (what: string): Promise<void> =>
          assertMirroredLookup(scope, device, codebook, queries(24), random, tolerance, what);
        try {
          await check('loaded codebook');
          for (let edit = 0; edit < 200; edit++) {
            const query = lowRankRows(random, map, 1);
            const label = random.integer(0, 4);
            if (edit % 50 === 17) {
              codebook.beginEdit({ query, label }).abort();
            } else {
              codebook.applyEdit({ query, label, id: `low-rank-${edit}` });
            }
            if (edit % 20 === 19) await check(`after edit ${edit}`);
          }
          codebook.rollback('low-rank-150');
          await check('after a rollback');
        } finally {
          device.dispose();
        }
      },
    ),
  ];
}
