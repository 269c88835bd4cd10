import { Codebook } from '../codebook.js';
import { DeviceCodebook } from '../device-codebook.js';
import { SeededRandom } from '../random.js';
import type { ConformanceCase, ResolvedConformanceOptions } from './conformance-case.js';
import { assertLookupConforms } from './reference-checks.js';
import { defineScopedCase, type TensorScope } from './tensor-scope.js';

const suite = 'lookup';
const keyWidth = 8;
const valueWidth = 3;

/** 240 keys in four tight clusters away from the origin, GRACE-sized radii, as a loaded codebook file holds. */
function clusteredCodebook(random: SeededRandom): Codebook {
  const centers = Array.from({ length: 4 }, () => random.floats(keyWidth, 20, 60));
  const keyCount = 240;
  const keys = new Float32Array(keyCount * keyWidth);
  for (let key = 0; key < keyCount; key++) {
    const center = centers[key % 4] as Float32Array;
    for (let column = 0; column < keyWidth; column++) {
      keys[key * keyWidth + column] = (center[column] as number) + random.normal() * 2;
    }
  }
  return Codebook.restore(
    {
      keyDimension: keyWidth,
      valueDimension: valueWidth,
      layerId: 'mirrored',
      epsInit: 0.8,
      // EXPAND moves the key too, so key rows are rewritten in place, not only appended.
      expansion: 'moving_average',
    },
    {
      keys,
      values: random.floats(keyCount * valueWidth, -5, 5),
      radii: random.floats(keyCount, 0.2, 1.2),
      labels: Array.from({ length: keyCount }, (_, key) => key % 3),
    },
    [],
    1,
  );
}

/** Queries at keys (the newest first), just inside and outside balls, between clusters and far away. */
function queriesNear(codebook: Codebook, random: SeededRandom, batch: number): Float32Array {
  const keys = codebook.keysView();
  const queries = new Float32Array(batch * keyWidth);
  for (let row = 0; row < batch; row++) {
    // Row 0 asks for the newest key, which an edit just appended or moved.
    const key = row === 0 ? codebook.size - 1 : random.integer(0, codebook.size);
    const spread = [0, 0.1, 0.4, 1, 3, 40][row % 6] as number;
    for (let column = 0; column < keyWidth; column++) {
      queries[row * keyWidth + column] = (keys[key * keyWidth + column] as number) + random.normal() * spread;
    }
  }
  return queries;
}

/**
 * Runs the backend's lookup of `queries` (`[B, Dk]`) over `device`'s current copy of `codebook` (random layer
 * outputs, mode `all`) and checks the hits and output against the reference on the codebook's snapshot.
 */
export async function assertMirroredLookup(
  scope: TensorScope,
  device: DeviceCodebook,
  codebook: Codebook,
  queries: Float32Array,
  random: SeededRandom,
  tolerance: number,
  what: string,
): Promise<void> {
  const { keyDimension, valueDimension } = codebook;
  const batch = queries.length / keyDimension;
  const current = device.current();
  const layerOutput = random.floats(batch * valueDimension, -1, 1);
  const result = scope.backend.lookup({
    queries: scope.float32(queries, [batch, keyDimension]),
    ...current,
    layerOutput: scope.float32(layerOutput, [batch, valueDimension]),
    mode: 'all',
  });
  scope.keep(result.output);
  scope.keep(result.hitIndex);
  const actual = {
    output: await scope.backend.download(result.output),
    hitIndex: await scope.backend.download(result.hitIndex),
  };
  const snapshot = codebook.snapshot();
  assertLookupConforms(
    actual,
    {
      queries: { data: queries, shape: [batch, keyDimension] },
      keys: { data: snapshot.keys, shape: [codebook.size, keyDimension] },
      radii: snapshot.radii,
      values: { data: snapshot.values, shape: [codebook.size, valueDimension] },
      layerOutput: { data: layerOutput, shape: [batch, valueDimension] },
      mode: 'all',
    },
    tolerance,
    what,
  );
}

/**
 * A codebook's lookup through its backend copy while edits change it: appended keys (ADD, SPLIT), grown
 * radii (EXPAND), an aborted edit (the last row dropped) and a rollback (a full resync). Whatever a backend
 * keeps beside the copy to answer faster (the cpu backend's pivot index, its cached key norms) must follow
 * every one of those changes: each lookup must give the reference's hits.
 */
export function mirroredLookupCases(options: ResolvedConformanceOptions): ConformanceCase[] {
  const { tolerance } = options;
  return [
    defineScopedCase(
      suite,
      "follows a codebook's edits, aborts and rollbacks through its device copy",
      async (scope) => {
        const random = new SeededRandom(97);
        const codebook = clusteredCodebook(random);
        const device = new DeviceCodebook(scope.backend, codebook);
        try {
          const check = (what: string): Promise<void> =>
            assertMirroredLookup(
              scope,
              device,
              codebook,
              queriesNear(codebook, random, 24),
              random,
              tolerance,
              what,
            );
          await check('loaded codebook');
          for (let edit = 0; edit < 30; edit++) {
            const query = queriesNear(codebook, random, 6).subarray(
              (edit % 6) * keyWidth,
              ((edit % 6) + 1) * keyWidth,
            );
            const label = random.integer(0, 3);
            if (edit % 10 === 7) {
              // A lookup during an edit sees its new key; the abort drops that row and the next edit appends
              // another key in its place.
              const pending = codebook.beginEdit({ query: query.map((value) => value + 5), label });
              await check(`during edit ${edit}`);
              pending.abort();
              codebook.applyEdit({ query: query.map((value) => value - 5), label, id: `far-${edit}` });
            } else {
              codebook.applyEdit({ query, label, id: `mirrored-${edit}` });
            }
            await check(`after edit ${edit}`);
          }
          codebook.rollback('mirrored-3');
          await check('after a rollback');
          codebook.applyEdit({ query: queriesNear(codebook, random, 1), label: 1 });
          await check('after an edit after the rollback');
        } finally {
          device.dispose();
        }
      },
    ),
  ];
}
