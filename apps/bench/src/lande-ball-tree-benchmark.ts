// Decision this benchmark informs: does pruning by GRACE's balls make the exact lookup cheaper on a real
// stream — lande's dense1 inputs (120 ReLU units) of UDHR snippets — at 1k, 10k and 100k keys, or is brute
// force as good? Four exact lookups are timed alternately in the same run and must give the same hits: the
// cpu backend's brute force (`pivotIndex` and `projectionTree` false), its lookup over a codebook's row mirror
// with the pivot index alone (`PivotKeyIndex`), its default lookup there (`ProjectionKeyTree`, then the pivot
// index), and the ball tree (`buildKeyBallTree`).

import { type CpuTensor, createCpuBackend } from '@grace/backend-cpu';
import { buildKeyBallTree, type GraceBackend, SeededRandom } from '@grace/core';
import { landeEditableModel, loadLandeModel, loadUdhrSnippets, splitSnippetsByArticle } from '@grace/models';
import { summarizeTimings, type TimingSummary } from './statistics.js';

/** What one run measures. */
export interface BallTreeBenchmarkConfig {
  readonly keyCounts: readonly number[];
  /** eps_init of every key (dense1 distances between snippets of one language have a median of about 3). */
  readonly radius: number;
  readonly batch: number;
  /** Query batches per repetition (the stream's next `batches · batch` snippets). */
  readonly batches: number;
  readonly runs: number;
  readonly leafSize: number;
  readonly seed: number;
}

export const defaultBallTreeConfig: BallTreeBenchmarkConfig = Object.freeze({
  keyCounts: [1_000, 10_000, 100_000],
  radius: 1,
  batch: 32,
  batches: 10,
  runs: 3,
  leafSize: 32,
  seed: 20231210,
});

/** One codebook size. Times are per batch of B queries, medians over the repetitions. */
export interface BallTreeBenchmarkRow {
  readonly keys: number;
  readonly buildMs: number;
  /** The cpu backend's exact `lookup` (every key's distance), per batch. */
  readonly bruteForce: TimingSummary;
  /** `firingKeys` of the tree, per batch. */
  readonly tree: TimingSummary;
  /** The cpu backend's lookup over a row mirror of the keys with the pivot index alone, per batch. */
  readonly pivots: TimingSummary;
  /** The first such lookup, which builds the pivot index (8 pivots). */
  readonly pivotBuildMs: number;
  /** The cpu backend's default lookup over a row mirror (projection tree, then pivot index), per batch. */
  readonly projection: TimingSummary;
  /** The first such lookup, which builds the projection tree (principal basis, k-d tree). */
  readonly projectionBuildMs: number;
  /** Distances the tree computed (to keys and centers) / the brute force's B·N. */
  readonly distanceShare: number;
  /** Share of queries whose nearest key fired. */
  readonly hitRate: number;
}

/** The dense1 inputs of `texts`, row-major `[texts, 120]`, computed on `backend` through lande's prefix. */
export async function dense1Inputs(backend: GraceBackend, texts: readonly string[]): Promise<Float32Array> {
  const lande = await loadLandeModel();
  const model = landeEditableModel(lande, 'dense1');
  const rows = new Float32Array(texts.length * model.keyDimension);
  for (let start = 0; start < texts.length; start += 2_000) {
    const prefix = await model.runPrefix(backend, texts.slice(start, start + 2_000));
    rows.set(await backend.download(prefix.layerInput), start * model.keyDimension);
    backend.dispose(prefix.layerInput);
    backend.dispose(prefix.layerOutput);
  }
  return rows;
}

/** Runs `body` and how long it took. */
function timed<T>(body: () => T): { result: T; milliseconds: number } {
  const started = performance.now();
  const result = body();
  return { result, milliseconds: performance.now() - started };
}

/**
 * The cpu backend's lookup as a GRACE layer runs it: keys in a row mirror (so the backend's pivot index follows
 * them), radii and values uploaded; returns the hits of one query batch, read synchronously from a cpu tensor.
 */
function createPivotLookup(
  backend: GraceBackend,
  keys: Float32Array,
  radii: Float32Array,
  width: number,
): (queries: Float32Array) => Int32Array {
  const mirror = backend.createRowMirror([width]);
  mirror.sync(keys, 'all');
  const keyCount = radii.length;
  const radiusTensor = backend.upload(radii, [keyCount]);
  const values = backend.upload(new Float32Array(keyCount), [keyCount, 1]);
  return (queries) => {
    const batch = queries.length / width;
    const queryTensor = backend.upload(queries, [batch, width]);
    const layerOutput = backend.upload(new Float32Array(batch), [batch, 1]);
    const result = backend.lookup({
      queries: queryTensor,
      keys: mirror.tensor(),
      radii: radiusTensor,
      values,
      layerOutput,
      mode: 'all',
    });
    const hits = (result.hitIndex as CpuTensor<'int32'>).data.slice();
    for (const tensor of [queryTensor, layerOutput, result.output, result.hitIndex]) backend.dispose(tensor);
    return hits;
  };
}

/** A seeded Fisher–Yates shuffle of a copy. */
export function shuffled<T>(items: readonly T[], random: SeededRandom): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index--) {
    const other = random.integer(0, index + 1);
    [copy[index], copy[other]] = [copy[other] as T, copy[index] as T];
  }
  return copy;
}

/**
 * Keys are what a lifelong run edits: dense1 inputs of UDHR snippets of the stream and upstream articles (3
 * words, then 2 and 4 to 8 words until there are enough; 100,000 needs both sets), sampled without replacement.
 * Queries are traffic the edits never saw: 3-word snippets of the holdout articles, in a seeded order.
 */
export async function runBallTreeBenchmark(
  config: BallTreeBenchmarkConfig,
  onProgress: (line: string) => void = () => {},
): Promise<BallTreeBenchmarkRow[]> {
  const backend = createCpuBackend({ pivotIndex: false, projectionTree: false });
  const indexed = createCpuBackend({ projectionTree: false });
  const projected = createCpuBackend();
  const random = new SeededRandom(config.seed);
  const largest = Math.max(...config.keyCounts);
  const keyTexts = new Set<string>();
  const queryTexts = new Set<string>();
  for (const words of [3, 2, 4, 5, 6, 7, 8]) {
    if (keyTexts.size >= largest) break;
    const split = splitSnippetsByArticle(await loadUdhrSnippets({ words }), config.seed);
    for (const snippet of [...split.stream, ...split.upstream]) keyTexts.add(snippet.text);
    if (words === 3) for (const snippet of split.holdout) queryTexts.add(snippet.text);
  }
  const keyPool = shuffled([...keyTexts], random).slice(0, largest);
  const queries = shuffled(
    [...queryTexts].filter((text) => !keyTexts.has(text)),
    random,
  ).slice(0, config.batch * config.batches);
  onProgress(
    `ball-tree: ${keyPool.length} key snippets, ${queries.length} stream snippets; dense1 inputs...`,
  );
  if (keyPool.length < largest) {
    throw new RangeError(`only ${keyPool.length} distinct stream snippets, fewer than ${largest} keys`);
  }
  const keyRows = await dense1Inputs(backend, keyPool);
  const queryRows = await dense1Inputs(backend, queries);
  const width = keyRows.length / keyPool.length;
  const rows: BallTreeBenchmarkRow[] = [];
  for (const keyCount of config.keyCounts) {
    const keys = keyRows.subarray(0, keyCount * width);
    const radii = new Float32Array(keyCount).fill(config.radius);
    const buildStarted = performance.now();
    const tree = buildKeyBallTree(keys, radii, keyCount, width, { leafSize: config.leafSize });
    const buildMs = performance.now() - buildStarted;
    const keyTensor = backend.upload(keys, [keyCount, width]);
    const radiusTensor = backend.upload(radii, [keyCount]);
    const values = backend.upload(new Float32Array(keyCount), [keyCount, 1]);
    const pivotLookup = createPivotLookup(indexed, keys, radii, width);
    const pivotBuildMs = timed(() => pivotLookup(queryRows.subarray(0, config.batch * width))).milliseconds;
    const projectionLookup = createPivotLookup(projected, keys, radii, width);
    const projectionBuildMs = timed(() =>
      projectionLookup(queryRows.subarray(0, config.batch * width)),
    ).milliseconds;
    const bruteMs: number[] = [];
    const treeMs: number[] = [];
    const pivotMs: number[] = [];
    const projectionMs: number[] = [];
    let evaluations = 0;
    let hits = 0;
    for (let repetition = 0; repetition <= config.runs; repetition++) {
      for (let batch = 0; batch < config.batches; batch++) {
        const batchRows = queryRows.subarray(
          batch * config.batch * width,
          (batch + 1) * config.batch * width,
        );
        const rowsInBatch = batchRows.length / width;
        const queryTensor = backend.upload(batchRows, [rowsInBatch, width]);
        const layerOutput = backend.upload(new Float32Array(rowsInBatch), [rowsInBatch, 1]);
        let started = performance.now();
        const result = backend.lookup({
          queries: queryTensor,
          keys: keyTensor,
          radii: radiusTensor,
          values,
          layerOutput,
          mode: 'all',
        });
        const bruteHits = await backend.download(result.hitIndex);
        const bruteElapsed = performance.now() - started;
        started = performance.now();
        const treeResult = tree.firingKeys(batchRows, rowsInBatch);
        const treeElapsed = performance.now() - started;
        const pivot = timed(() => pivotLookup(batchRows));
        const projection = timed(() => projectionLookup(batchRows));
        for (let row = 0; row < rowsInBatch; row++) {
          const answers = [treeResult.hitIndex[row], pivot.result[row], projection.result[row]];
          if (answers.some((answer) => answer !== bruteHits[row])) {
            throw new Error(
              `ball tree, pivot index or projection tree and brute force disagree at N ${keyCount}, batch ` +
                `${batch}, row ${row}: ${answers.join(', ')} vs ${bruteHits[row]}`,
            );
          }
        }
        for (const tensor of [queryTensor, layerOutput, result.output, result.hitIndex])
          backend.dispose(tensor);
        if (repetition === 0) continue;
        bruteMs.push(bruteElapsed);
        treeMs.push(treeElapsed);
        pivotMs.push(pivot.milliseconds);
        projectionMs.push(projection.milliseconds);
        evaluations += treeResult.distanceEvaluations / (rowsInBatch * keyCount);
        hits += bruteHits.filter((hit) => hit >= 0).length / rowsInBatch;
      }
    }
    for (const tensor of [keyTensor, radiusTensor, values]) backend.dispose(tensor);
    const samples = config.runs * config.batches;
    const row: BallTreeBenchmarkRow = {
      keys: keyCount,
      buildMs,
      bruteForce: summarizeTimings(bruteMs),
      tree: summarizeTimings(treeMs),
      pivots: summarizeTimings(pivotMs),
      pivotBuildMs,
      projection: summarizeTimings(projectionMs),
      projectionBuildMs,
      distanceShare: evaluations / samples,
      hitRate: hits / samples,
    };
    onProgress(
      `  N ${keyCount}: brute ${row.bruteForce.medianMs.toFixed(2)} ms, tree ${row.tree.medianMs.toFixed(2)} ms, ` +
        `pivots ${row.pivots.medianMs.toFixed(2)} ms, projection ${row.projection.medianMs.toFixed(2)} ms per batch`,
    );
    rows.push(row);
  }
  return rows;
}
