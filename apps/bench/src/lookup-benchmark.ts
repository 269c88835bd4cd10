// Decision this benchmark informs: is the reference CPU search (`nearestKey`, and the fused `lookup` that
// runs at every inference) fast enough for codebooks of 1e4–1e5 keys, or do such codebooks need a faster
// backend? Its numbers are also the baseline every other backend (tfjs, webgpu) must beat. The yardstick is a
// naive plain-JavaScript double loop timed in the same run, interleaved, so the ratio survives a noisy machine.

import { type GraceBackend, type LookupArguments, SeededRandom, type Tensor } from '@grace/core';
import type { NamedBackend } from './backends.js';
import {
  type LookupAnchor,
  type LookupAnchorLibrary,
  prepareAnchorsOnCell,
  verifyAnchorAnswers,
} from './lookup-anchor.js';
import { type LookupCellData, verifyLookup, verifyNearestKey } from './lookup-verification.js';
import { naiveNearestKey } from './naive-nearest-key.js';
import { summarizeTimings, type TimingSummary } from './statistics.js';

/** The grid and repetitions of one lookup benchmark run. */
export interface LookupBenchmarkConfig {
  /** Codebook sizes N to measure. */
  readonly keyCounts: readonly number[];
  /** Key widths D (the edited layer's input width; values and layer output have the same width). */
  readonly dims: readonly number[];
  /** Queries per call, B. */
  readonly batch: number;
  /** Timed repetitions per cell, after one untimed warm-up. */
  readonly runs: number;
  /** Seed of the data; each cell derives its own from it, so a cell's data does not depend on the grid. */
  readonly seed: number;
}

/** The full grid: 5 runs keep it under ~5 minutes on 2 cores (the N=1e5, D=768 cell takes seconds a call). */
export const defaultLookupConfig: LookupBenchmarkConfig = Object.freeze({
  keyCounts: [100, 1_000, 10_000, 100_000],
  dims: [64, 512, 768],
  batch: 32,
  runs: 5,
  seed: 20231210,
});

/** A smoke test for CI: small cells, few runs, a few seconds in all. */
export const quickLookupConfig: LookupBenchmarkConfig = Object.freeze({
  ...defaultLookupConfig,
  keyCounts: [100, 1_000],
  dims: [64],
  runs: 3,
});

/** One backend on one cell of the grid. Times are in milliseconds and include reading the results back. */
export interface LookupBenchmarkRow {
  readonly backend: string;
  /** N. */
  readonly keys: number;
  /** D. */
  readonly dims: number;
  /** B. */
  readonly batch: number;
  /** The naive double loop, timed in the same repetitions (shared by all backends of the cell). */
  readonly naive: TimingSummary;
  readonly nearestKey: TimingSummary;
  readonly lookup: TimingSummary;
  /** B·N·D per second at the median time, in query-key-dims/s. */
  readonly throughput: { readonly naive: number; readonly nearestKey: number; readonly lookup: number };
  /** Naive median / backend median: above 1 the backend is faster than the naive loop. */
  readonly speedup: { readonly nearestKey: number; readonly lookup: number };
  /** Fraction of the B queries whose nearest key fired in `lookup` (about half by construction). */
  readonly hitRate: number;
  /** The anchors that ran on this cell (one-thread PyTorch, faiss), in the order they were given. */
  readonly anchors?: readonly AnchorTiming[];
}

/** One anchor's time on a cell (shared by the cell's backends) and one backend's share of its throughput. */
export interface AnchorTiming {
  readonly library: LookupAnchorLibrary;
  /** The anchor's search of the same queries and keys, timed alternately with the backends. */
  readonly timing: TimingSummary;
  /** B·N·D per second at the anchor's median, in query-key-dims/s (multiply-adds/s). */
  readonly throughput: number;
  /** Anchor median / backend median: the share of the anchor's throughput reached (the target is ≥ 0.8). */
  readonly ratio: { readonly nearestKey: number; readonly lookup: number };
}

/** What `runLookupBenchmark` measured. */
export interface LookupBenchmarkResult {
  readonly config: LookupBenchmarkConfig;
  readonly backends: readonly string[];
  readonly rows: readonly LookupBenchmarkRow[];
}

/** Hooks for progress output; the benchmark itself prints nothing. */
export interface LookupBenchmarkHooks {
  /**
   * Exact-search anchors (one-thread PyTorch, faiss), prepared on each cell's own data, their answers checked
   * against the naive loop, then each timed once per repetition between the naive loop and the backends (each
   * counts as one more step of `onStep`).
   */
  readonly anchors?: readonly LookupAnchor[];
  /** Called after each cell with its rows (one per backend) and its wall time in milliseconds. */
  readonly onCell?: (rows: readonly LookupBenchmarkRow[], wallMs: number) => void;
  /**
   * Called inside a cell after the naive loop and after each backend of every repetition (warm-up included):
   * `step` of `steps` = (runs + 1) × (1 + backends), so a long cell (N = 1e5 takes minutes) shows progress.
   */
  readonly onStep?: (
    cell: { readonly keys: number; readonly dims: number },
    step: number,
    steps: number,
  ) => void;
}

/** Fraction of queries made as near-copies of keys (they hit); the others are random (they miss). */
const hitFraction = 0.5;
/** Standard deviation of the noise added to a copied key, per coordinate. */
const copyNoise = 0.01;

/**
 * Times `nearestKey` and `lookup` of each backend against the naive loop on every (N, D) cell.
 *
 * Per cell: data is generated and uploaded once (outside the clock), and handed to the anchors if any; one
 * warm-up repetition; then `runs` repetitions of naive, then each anchor, then each backend's nearestKey and
 * lookup, interleaved so that machine noise falls on all of them alike. Each backend timing includes the
 * `download` of its results, because a GPU backend only finishes when the host has the answer. Every backend
 * answer, and each anchor's answer once per cell, is checked against the naive one, and a disagreement throws
 * a `KernelMismatchError`.
 */
export async function runLookupBenchmark(
  backends: readonly NamedBackend[],
  config: LookupBenchmarkConfig,
  hooks: LookupBenchmarkHooks = {},
): Promise<LookupBenchmarkResult> {
  validateConfig(config);
  const rows: LookupBenchmarkRow[] = [];
  for (const keyCount of config.keyCounts) {
    for (const dims of config.dims) {
      const started = performance.now();
      const cellRows = await measureCell(backends, config, keyCount, dims, hooks);
      rows.push(...cellRows);
      hooks.onCell?.(cellRows, performance.now() - started);
    }
  }
  return { config, backends: backends.map((named) => named.name), rows };
}

/**
 * Keys are standard normal. The first half of the queries are keys plus noise of 0.01 per coordinate (at
 * distance ≈ 0.01·√D from their key); the rest are fresh standard normal vectors, whose nearest key is far
 * (the squared distance between two such vectors is about 2D ± √(8D)). A radius of 0.25·√(2D) separates
 * the two kinds for every N in the grid, so about half the queries hit.
 */
export function generateLookupCell(
  seed: number,
  batch: number,
  keyCount: number,
  dims: number,
): LookupCellData {
  const random = new SeededRandom(seed + keyCount * 7919 + dims * 104729);
  const keys = random.normals(keyCount * dims);
  const queries = random.normals(batch * dims);
  const copies = keyCount === 0 ? 0 : Math.round(batch * hitFraction);
  for (let row = 0; row < copies; row++) {
    const key = random.integer(0, keyCount);
    for (let dimension = 0; dimension < dims; dimension++) {
      queries[row * dims + dimension] = keys[key * dims + dimension] + copyNoise * random.normal();
    }
  }
  const radii = new Float32Array(keyCount).fill(0.25 * Math.sqrt(2 * dims));
  // Values start as uniform [0, 1) like GRACE's cold init; uniform is also cheaper to draw than normal.
  const values = new Float32Array(keyCount * dims);
  for (let index = 0; index < values.length; index++) values[index] = random.next();
  const layerOutput = random.normals(batch * dims);
  return { batch, keyCount, dims, queries, keys, radii, values, layerOutput };
}

/** The handles of one cell's inputs on one backend. */
export interface UploadedCell {
  readonly backend: GraceBackend;
  readonly name: string;
  readonly queries: Tensor<'float32'>;
  readonly keys: Tensor<'float32'>;
  readonly radii: Tensor<'float32'>;
  readonly values: Tensor<'float32'>;
  readonly layerOutput: Tensor<'float32'>;
}

async function measureCell(
  backends: readonly NamedBackend[],
  config: LookupBenchmarkConfig,
  keyCount: number,
  dims: number,
  hooks: LookupBenchmarkHooks,
): Promise<LookupBenchmarkRow[]> {
  const data = generateLookupCell(config.seed, config.batch, keyCount, dims);
  const anchors = hooks.anchors ?? [];
  const steps = (config.runs + 1) * (1 + backends.length + anchors.length);
  let step = 0;
  const stepDone = (): void => hooks.onStep?.({ keys: keyCount, dims }, ++step, steps);
  const uploaded = backends.map(({ name, backend }) => uploadCell(name, backend, data));
  try {
    await prepareAnchorsOnCell(anchors, data, config.seed);
    const naiveMs: number[] = [];
    const anchorMs = anchors.map((): number[] => []);
    const nearestKeyMs = uploaded.map((): number[] => []);
    const lookupMs = uploaded.map((): number[] => []);
    const hits = uploaded.map(() => 0);
    // Repetition 0 is the warm-up: it runs and verifies everything, but its times are dropped.
    for (let repetition = 0; repetition <= config.runs; repetition++) {
      const naiveStarted = performance.now();
      const naive = naiveNearestKey(data.queries, data.keys, data.batch, keyCount, dims);
      const naiveElapsed = performance.now() - naiveStarted;
      if (repetition > 0) naiveMs.push(naiveElapsed);
      if (repetition === 0) await verifyAnchorAnswers(anchors, data, naive);
      stepDone();
      for (const [position, anchor] of anchors.entries()) {
        const anchorElapsed = await anchor.time();
        if (repetition > 0) anchorMs[position].push(anchorElapsed);
        stepDone();
      }
      for (const [position, cell] of uploaded.entries()) {
        const nearest = await timeNearestKey(cell);
        verifyNearestKey(cell.name, data, naive, nearest.index, nearest.distance);
        const lookup = await timeLookup(cell);
        hits[position] = verifyLookup(cell.name, data, naive, lookup.output, lookup.hitIndex);
        if (repetition > 0) {
          nearestKeyMs[position].push(nearest.elapsedMs);
          lookupMs[position].push(lookup.elapsedMs);
        }
        stepDone();
      }
    }
    const naive = summarizeTimings(naiveMs);
    const work = config.batch * keyCount * dims;
    const anchorTimings = anchorMs.map(summarizeTimings);
    return uploaded.map((cell, position): LookupBenchmarkRow => {
      const nearestKey = summarizeTimings(nearestKeyMs[position]);
      const lookup = summarizeTimings(lookupMs[position]);
      const anchorColumns = anchors.map(
        (anchor, index): AnchorTiming => ({
          library: anchor.library,
          timing: anchorTimings[index],
          throughput: perSecond(work, anchorTimings[index]),
          ratio: {
            nearestKey: anchorTimings[index].medianMs / nearestKey.medianMs,
            lookup: anchorTimings[index].medianMs / lookup.medianMs,
          },
        }),
      );
      return {
        ...(anchors.length === 0 ? {} : { anchors: anchorColumns }),
        backend: cell.name,
        keys: keyCount,
        dims,
        batch: config.batch,
        naive,
        nearestKey,
        lookup,
        throughput: {
          naive: perSecond(work, naive),
          nearestKey: perSecond(work, nearestKey),
          lookup: perSecond(work, lookup),
        },
        speedup: {
          nearestKey: naive.medianMs / nearestKey.medianMs,
          lookup: naive.medianMs / lookup.medianMs,
        },
        hitRate: hits[position] / config.batch,
      };
    });
  } finally {
    for (const cell of uploaded) disposeCell(cell);
  }
}

/** Uploads one cell's inputs to `backend`; give them back with {@link disposeCell}. */
export function uploadCell(name: string, backend: GraceBackend, data: LookupCellData): UploadedCell {
  const tensors: Tensor[] = [];
  const upload = (array: Float32Array, shape: readonly number[]): Tensor<'float32'> => {
    const tensor = backend.upload(array, shape);
    tensors.push(tensor);
    return tensor;
  };
  try {
    return {
      backend,
      name,
      queries: upload(data.queries, [data.batch, data.dims]),
      keys: upload(data.keys, [data.keyCount, data.dims]),
      radii: upload(data.radii, [data.keyCount]),
      values: upload(data.values, [data.keyCount, data.dims]),
      layerOutput: upload(data.layerOutput, [data.batch, data.dims]),
    };
  } catch (error) {
    for (const tensor of tensors) backend.dispose(tensor);
    throw error;
  }
}

export function disposeCell(cell: UploadedCell): void {
  for (const tensor of [cell.queries, cell.keys, cell.radii, cell.values, cell.layerOutput]) {
    cell.backend.dispose(tensor);
  }
}

/** One `nearestKey` call on the cell and the read-back of its answer, timed together (ms). */
export async function timeNearestKey(
  cell: UploadedCell,
): Promise<{ index: Int32Array; distance: Float32Array; elapsedMs: number }> {
  const started = performance.now();
  const result = cell.backend.nearestKey(cell.queries, cell.keys);
  try {
    const [index, distance] = await Promise.all([
      cell.backend.download(result.index),
      cell.backend.download(result.distance),
    ]);
    return { index, distance, elapsedMs: performance.now() - started };
  } finally {
    cell.backend.dispose(result.index);
    cell.backend.dispose(result.distance);
  }
}

/** One fused `lookup` (mode `all`) on the cell and the read-back of its output and hits, timed together (ms). */
export async function timeLookup(
  cell: UploadedCell,
): Promise<{ output: Float32Array; hitIndex: Int32Array; elapsedMs: number }> {
  const started = performance.now();
  const result = cell.backend.lookup(cellLookupArguments(cell));
  try {
    const [output, hitIndex] = await Promise.all([
      cell.backend.download(result.output),
      cell.backend.download(result.hitIndex),
    ]);
    return { output, hitIndex, elapsedMs: performance.now() - started };
  } finally {
    cell.backend.dispose(result.output);
    cell.backend.dispose(result.hitIndex);
  }
}

/** The fused lookup's arguments on an uploaded cell: a non-sequence layer output, mode `all`. */
export function cellLookupArguments(cell: UploadedCell): LookupArguments {
  return {
    queries: cell.queries,
    keys: cell.keys,
    radii: cell.radii,
    values: cell.values,
    layerOutput: cell.layerOutput,
    mode: 'all',
  };
}

function perSecond(work: number, timing: TimingSummary): number {
  return work / (timing.medianMs / 1000);
}

function validateConfig(config: LookupBenchmarkConfig): void {
  const positiveIntegers = (values: readonly number[]) =>
    values.length > 0 && values.every((value) => Number.isInteger(value) && value > 0);
  if (!positiveIntegers(config.keyCounts)) throw new RangeError('keyCounts must be positive integers');
  if (!positiveIntegers(config.dims)) throw new RangeError('dims must be positive integers');
  if (!positiveIntegers([config.batch, config.runs])) {
    throw new RangeError('batch and runs must be positive integers');
  }
}
