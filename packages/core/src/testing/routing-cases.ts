import type { GraceBackend } from '../backend.js';
import { Codebook } from '../codebook.js';
import type { CodebookOptions, SplitPolicy } from '../codebook-options.js';
import { GraceLayer } from '../grace-layer.js';
import { SeededRandom } from '../random.js';
import { assertBitsEqual, assertEqualInts, assertTrue, fail } from './assertions.js';
import type { ConformanceCase, ResolvedConformanceOptions } from './conformance-case.js';
import { defineScopedCase, TensorScope } from './tensor-scope.js';

/**
 * Routing truth: the key an edit made fires for that edit's query, on the backend, at every magnitude and
 * width. Near-duplicate keys far from the origin (where the norm identity `‖q‖² − 2q·k + ‖k‖²` cancels),
 * balls expanded to exactly a query's distance, conflicting edits of the same query, and ties. Every query
 * here is a key or the query of an edit, so the expected answers are exact on every backend: no tolerance.
 */

const suite = 'routing';

/** Norms from 1e-3 to 1e5, including the one of the failing D = 768 case. */
export const routingMagnitudes: readonly number[] = [1e-3, 1, 27_700, 1e5];

/** Widths from 2 to 4096; a few, so that software GPU adapters stay quick. */
export const routingWidths: readonly number[] = [2, 64, 768, 4096];

/** A random direction of length `norm`, float32. */
function vectorOfNorm(random: SeededRandom, width: number, norm: number): Float32Array {
  const direction = random.normals(width);
  let length = 0;
  for (const value of direction) length += value * value;
  const scale = norm / Math.sqrt(length);
  return direction.map((value) => value * scale);
}

/** Runs `nearestKey` and downloads both results. */
async function nearestOnBackend(
  scope: TensorScope,
  queries: Float32Array,
  keys: Float32Array,
  width: number,
): Promise<{ index: Int32Array; distance: Float32Array }> {
  const result = scope.backend.nearestKey(
    scope.float32(queries, [queries.length / width, width]),
    scope.float32(keys, [keys.length / width, width]),
  );
  scope.keep(result.index);
  scope.keep(result.distance);
  return {
    index: await scope.backend.download(result.index),
    distance: await scope.backend.download(result.distance),
  };
}

/** The layer's hits and output for host queries through a {@link GraceLayer} over `codebook`. */
async function layerHits(
  backend: GraceBackend,
  codebook: Codebook,
  queries: Float32Array,
): Promise<{ hits: Int32Array; output: Float32Array }> {
  const scope = new TensorScope(backend);
  const layer = new GraceLayer(backend, codebook);
  try {
    const batch = queries.length / codebook.keyDimension;
    const result = layer.forward({
      layerInput: scope.float32(queries, [batch, codebook.keyDimension]),
      layerOutput: scope.float32(new Float32Array(batch * codebook.valueDimension), [
        batch,
        codebook.valueDimension,
      ]),
    });
    scope.keep(result.output);
    scope.keep(result.hitIndex);
    return { hits: await backend.download(result.hitIndex), output: await backend.download(result.output) };
  } finally {
    layer.dispose();
    scope.disposeAll();
  }
}

/** Edits `query` into `codebook` and checks on the backend that the query fires the key the edit trained. */
async function editAndCheck(
  backend: GraceBackend,
  codebook: Codebook,
  query: Float32Array,
  label: number,
  what: string,
): Promise<void> {
  const value = Float32Array.from({ length: codebook.valueDimension }, (_, column) => label + column / 8);
  const record = codebook.applyEdit({ query, label }, { value });
  const { hits, output } = await layerHits(backend, codebook, query);
  if (hits[0] !== record.keyIndex) {
    const { distance } = codebook.nearest(query);
    fail(
      `${what}: the query of a ${record.operation} did not fire key ${record.keyIndex} (hit ${hits[0]}); ` +
        `host distance ${distance}, radius ${codebook.entry(record.keyIndex).radius}`,
    );
  }
  assertBitsEqual(output, value, `${what}: output of the fired key`);
}

/** Keys near one centre of norm `norm`, `spacing` apart relative to it, and the keys themselves as queries. */
function nearDuplicateKeys(
  random: SeededRandom,
  width: number,
  norm: number,
  keyCount: number,
  spacing: number,
) {
  const centre = vectorOfNorm(random, width, norm);
  const keys = new Float32Array(keyCount * width);
  for (let key = 0; key < keyCount; key++) {
    const offset = vectorOfNorm(random, width, norm * spacing);
    for (let column = 0; column < width; column++)
      keys[key * width + column] = (centre[column] as number) + (offset[column] as number);
  }
  return keys;
}

function nearDuplicateCase(width: number): ConformanceCase {
  return defineScopedCase(
    suite,
    `a query equal to one of near-duplicate keys finds it at distance 0, norms 1e-3…1e5, width ${width}`,
    async (scope) => {
      const random = new SeededRandom(4100 + width);
      for (const norm of routingMagnitudes) {
        for (const spacing of [1e-3, 1e-4]) {
          const keyCount = 6;
          const keys = nearDuplicateKeys(random, width, norm, keyCount, spacing);
          const { index, distance } = await nearestOnBackend(scope, keys, keys, width);
          const expected = Array.from({ length: keyCount }, (_, key) => key);
          assertEqualInts(index, expected, `norm ${norm}, spacing ${spacing}: index`);
          assertTrue(
            distance.every((value) => value === 0),
            `norm ${norm}, spacing ${spacing}: distances [${distance}] are not all 0`,
          );
        }
      }
    },
  );
}

function expandedBallCase(width: number): ConformanceCase {
  return defineScopedCase(
    suite,
    `the query that added, expanded or retrained a key fires it, norms 1e-3…1e5, width ${width}`,
    async (scope) => {
      const random = new SeededRandom(4200 + width);
      let expands = 0;
      for (const norm of routingMagnitudes) {
        const epsInit = norm * 0.01;
        const codebook = new Codebook({ keyDimension: width, valueDimension: 2, epsInit });
        for (let pair = 0; pair < 3; pair++) {
          const what = `norm ${norm}, pair ${pair}`;
          const added = vectorOfNorm(random, width, norm);
          await editAndCheck(scope.backend, codebook, added, pair, `${what} ADD`);
          // Outside the ball but within reach: an EXPAND to exactly this query's distance.
          const step = vectorOfNorm(random, width, epsInit * random.uniform(1.05, 1.95));
          const expanded = added.map((value, column) => value + (step[column] as number));
          await editAndCheck(scope.backend, codebook, expanded, pair, `${what} EXPAND`);
          expands += codebook.records.at(-1)?.operation === 'EXPAND' ? 1 : 0;
          // Queries near the expanded ball's edge, inside it.
          for (const fraction of [0.99999, 0.9999999]) {
            const edge = added.map((value, column) => value + (step[column] as number) * fraction);
            await editAndCheck(scope.backend, codebook, edge, pair, `${what} at ${fraction} of the edge`);
          }
        }
      }
      assertTrue(expands > 0, 'no edit was an EXPAND: the case does not test expanded balls');
    },
  );
}

function conflictCase(splitPolicy: SplitPolicy): ConformanceCase {
  return defineScopedCase(
    suite,
    `a conflicting edit of the same query wins there, on repeats too (${splitPolicy})`,
    async (scope) => {
      const random = new SeededRandom(4300);
      for (const norm of [1e-3, 1, 1e5]) {
        const options: CodebookOptions = { keyDimension: 64, valueDimension: 2, epsInit: norm, splitPolicy };
        const codebook = new Codebook(options);
        const query = vectorOfNorm(random, 64, norm);
        for (const label of [0, 2, 0, 2, 1]) {
          await editAndCheck(scope.backend, codebook, query, label, `norm ${norm}, label ${label}`);
        }
        assertTrue(codebook.size === 1, `norm ${norm}: ${codebook.size} keys for one query, expected 1`);
        // A nearby query with another label splits: both fire at their own queries.
        const near = query.map((value) => value * (1 + 1e-4));
        await editAndCheck(scope.backend, codebook, near, 3, `norm ${norm}, split neighbour`);
        const { hits } = await layerHits(scope.backend, codebook, query);
        assertEqualInts(hits, [0], `norm ${norm}: the older key after the split`);
      }
    },
  );
}

/**
 * The failing inputs that showed the norm identity picking the wrong key, kept as they were found: 1-D keys
 * 4000 and 4000.25; keys 0.1 apart near 100 in D = 64; three keys ~22 apart at norm ~27,700 in D = 768.
 */
function regressionCases(): ConformanceCase[] {
  return [
    defineScopedCase(suite, 'regression: 1-D keys 4000 and 4000.25', async (scope) => {
      const keys = Float32Array.from([4000, 4000.25]);
      const { index, distance } = await nearestOnBackend(scope, Float32Array.from([4000.25, 4000]), keys, 1);
      assertEqualInts(index, [1, 0], 'index');
      assertBitsEqual(distance, new Float32Array(2), 'distance');
    }),
    defineScopedCase(suite, 'regression: keys 0.1 apart near 100 in D = 64', async (scope) => {
      const random = new SeededRandom(64);
      const width = 64;
      for (let trial = 0; trial < 20; trial++) {
        const first = Float32Array.from({ length: width }, () => 100 + random.uniform(-1, 1));
        const step = vectorOfNorm(random, width, 0.1);
        const keys = new Float32Array(2 * width);
        keys.set(first);
        keys.set(
          first.map((value, column) => value + (step[column] as number)),
          width,
        );
        const { index, distance } = await nearestOnBackend(scope, keys, keys, width);
        assertEqualInts(index, [0, 1], `trial ${trial}: index`);
        assertBitsEqual(distance, new Float32Array(2), `trial ${trial}: distance`);
      }
    }),
    defineScopedCase(suite, 'regression: three keys ~22 apart at norm ~27,700 in D = 768', async (scope) => {
      const random = new SeededRandom(768);
      const width = 768;
      const keys = new Float32Array(3 * width);
      keys.set(vectorOfNorm(random, width, 27_700));
      for (const key of [1, 2]) {
        const step = vectorOfNorm(random, width, 22);
        for (let column = 0; column < width; column++)
          keys[key * width + column] =
            (keys[(key - 1) * width + column] as number) + (step[column] as number);
      }
      const { index, distance } = await nearestOnBackend(scope, keys, keys, width);
      assertEqualInts(index, [0, 1, 2], 'index');
      assertBitsEqual(distance, new Float32Array(3), 'distance');
    }),
    defineScopedCase(suite, 'ties far from the origin go to the lowest index', async (scope) => {
      // From (1000, 1000), (1003, 1004) and (1004, 1003) are both exactly 5 away; (1000, 1005) too.
      const keys = Float32Array.from([1004, 1003, 1000, 1005, 1003, 1004]);
      const { index, distance } = await nearestOnBackend(scope, Float32Array.from([1000, 1000]), keys, 2);
      assertEqualInts(index, [0], 'index');
      assertBitsEqual(distance, Float32Array.of(5), 'distance');
    }),
  ];
}

/** The routing cases (exact on every backend, so the tolerance is not used). */
export function routingCases(_options: ResolvedConformanceOptions): ConformanceCase[] {
  return [
    ...regressionCases(),
    ...routingWidths.map(nearDuplicateCase),
    ...routingWidths.map(expandedBallCase),
    conflictCase('halve'),
    conflictCase('keep'),
  ];
}
