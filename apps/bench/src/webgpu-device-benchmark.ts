// Decision this benchmark informs: on a real GPU (not the software Vulkan driver CI has), how close do the WebGPU
// backend's exact search and fused lookup come to what PyTorch gets from the same GPU, and to one CPU thread?
// Every WebGPU figure measured on lavapipe is a CPU figure; this one is run where a GPU is lent.

import type { GraceBackend } from '@grace/core';
import type { LookupAnchor } from './lookup-anchor.js';
import {
  cellLookupArguments,
  disposeCell,
  generateLookupCell,
  timeLookup,
  timeNearestKey,
  type UploadedCell,
  uploadCell,
} from './lookup-benchmark.js';
import { type LookupCellData, verifyLookup, verifyNearestKey } from './lookup-verification.js';
import { type NaiveNearestKeyResult, naiveNearestKey } from './naive-nearest-key.js';
import { summarizeTimings, type TimingSummary } from './statistics.js';

/** What `webgpu-device` measures. */
export interface WebGpuDeviceConfig {
  /** Codebook sizes N of the search cells. */
  readonly keyCounts: readonly number[];
  /** Key width D (values and layer output have the same width). */
  readonly dims: number;
  /** Queries per call, B. */
  readonly batch: number;
  /** Timed repetitions per cell, after one untimed warm-up. */
  readonly runs: number;
  /** Calls queued back to back (one read-back at the end) per throughput sample. */
  readonly queued: number;
  /** Keys of the large codebook of the growth case. */
  readonly growthKeys: number;
  /** Timed appends per codebook in the growth case, after one warm-up; 0 skips the case. */
  readonly growthEdits: number;
  readonly seed: number;
}

/** The sizes the GPU question is about: N = 10k and 100k, D = 768, B = 32. */
export const defaultWebGpuDeviceConfig: WebGpuDeviceConfig = Object.freeze({
  keyCounts: [10_000, 100_000],
  dims: 768,
  batch: 32,
  runs: 9,
  queued: 10,
  growthKeys: 100_000,
  growthEdits: 5,
  seed: 20231210,
});

/** A rehearsal on a software driver (lavapipe): the same steps on small sizes, seconds in all. */
export const quickWebGpuDeviceConfig: WebGpuDeviceConfig = Object.freeze({
  ...defaultWebGpuDeviceConfig,
  keyCounts: [1_000, 4_000],
  dims: 64,
  runs: 3,
  queued: 3,
  growthKeys: 2_000,
  growthEdits: 2,
});

/** A search timed one call at a time (latency, read-back included) and queued (mean per call). */
export interface SingleAndQueued {
  readonly single: TimingSummary;
  readonly queued: TimingSummary;
}

/** How the backend's answers compared with the float64 brute force over every call, warm-up included. */
export interface SearchConformance {
  /** `nearestKey` answers checked: calls × B rows. */
  readonly rows: number;
  /** Of those, rows whose key is the brute force's (lowest index among exact ties). */
  readonly sameKey: number;
  /** Rows with another key at the same distance up to float32 rounding (accepted); any other key stops the run. */
  readonly ties: number;
  /** `lookup` answers checked: the key that fired (or the deferral) and the output bit for bit, per call. */
  readonly lookupCalls: number;
  /** Rows of the last lookup whose nearest key fired (about half by construction). */
  readonly hits: number;
}

/** One search cell: the WebGPU backend beside PyTorch on the GPU and on one CPU thread. */
export interface DeviceSearchRow {
  readonly keys: number;
  readonly dims: number;
  readonly batch: number;
  readonly nearestKey: SingleAndQueued;
  readonly lookup: SingleAndQueued;
  /** PyTorch `addmm` + `argmin` (cached norms, fp32) on the CUDA GPU, when that anchor ran. */
  readonly torchCuda?: SingleAndQueued;
  /** The same on one CPU thread, when that anchor ran. */
  readonly torchCpu?: TimingSummary;
  readonly conformance: SearchConformance;
}

/** The anchors timed beside the backend, each optional (no Python, no torch, no CUDA). */
export interface DeviceSearchAnchors {
  readonly cuda?: LookupAnchor;
  readonly cpu?: LookupAnchor;
}

/**
 * Times `nearestKey` and `lookup` of `backend` on each N of the config, with the anchors of the same shape,
 * interleaved per repetition. Every answer (warm-up included) is checked against the float64 brute force,
 * computed once per cell; a wrong key stops the run with a `KernelMismatchError`.
 */
export async function runDeviceSearch(
  backend: GraceBackend,
  config: WebGpuDeviceConfig,
  anchors: DeviceSearchAnchors,
  onCell: (row: DeviceSearchRow, wallMs: number) => void = () => undefined,
): Promise<DeviceSearchRow[]> {
  const rows: DeviceSearchRow[] = [];
  for (const keyCount of config.keyCounts) {
    const started = performance.now();
    const row = await measureSearchCell(backend, config, keyCount, anchors);
    rows.push(row);
    onCell(row, performance.now() - started);
  }
  return rows;
}

async function measureSearchCell(
  backend: GraceBackend,
  config: WebGpuDeviceConfig,
  keyCount: number,
  anchors: DeviceSearchAnchors,
): Promise<DeviceSearchRow> {
  const data = generateLookupCell(config.seed, config.batch, keyCount, config.dims);
  const oracle = naiveNearestKey(data.queries, data.keys, data.batch, keyCount, data.dims);
  const cell = uploadCell('webgpu', backend, data);
  const counter = new ConformanceCounter(data, oracle);
  const samples = {
    nearestKey: { single: [] as number[], queued: [] as number[] },
    lookup: { single: [] as number[], queued: [] as number[] },
    cuda: { single: [] as number[], queued: [] as number[] },
    cpu: [] as number[],
  };
  try {
    for (const anchor of [anchors.cuda, anchors.cpu]) {
      await anchor?.prepare(config.batch, keyCount, config.dims, config.seed);
    }
    // Repetition 0 is the warm-up (shader compilation, first allocations): checked, not timed.
    for (let repetition = 0; repetition <= config.runs; repetition++) {
      const keep = (list: number[], value: number) => {
        if (repetition > 0) list.push(value);
      };
      const nearest = await timeNearestKey(cell);
      counter.nearestKey(nearest.index, nearest.distance);
      keep(samples.nearestKey.single, nearest.elapsedMs);
      const lookup = await timeLookup(cell);
      counter.lookup(lookup.output, lookup.hitIndex);
      keep(samples.lookup.single, lookup.elapsedMs);
      keep(samples.nearestKey.queued, await timeQueued(cell, config.queued, 'nearestKey', counter));
      keep(samples.lookup.queued, await timeQueued(cell, config.queued, 'lookup', counter));
      if (anchors.cuda !== undefined) {
        keep(samples.cuda.single, await anchors.cuda.time());
        keep(samples.cuda.queued, await anchors.cuda.time(config.queued));
      }
      if (anchors.cpu !== undefined) keep(samples.cpu, await anchors.cpu.time());
    }
  } finally {
    disposeCell(cell);
  }
  const both = (pair: { single: number[]; queued: number[] }): SingleAndQueued => ({
    single: summarizeTimings(pair.single),
    queued: summarizeTimings(pair.queued),
  });
  return {
    keys: keyCount,
    dims: config.dims,
    batch: config.batch,
    nearestKey: both(samples.nearestKey),
    lookup: both(samples.lookup),
    ...(anchors.cuda === undefined ? {} : { torchCuda: both(samples.cuda) }),
    ...(anchors.cpu === undefined ? {} : { torchCpu: summarizeTimings(samples.cpu) }),
    conformance: counter.summary(),
  };
}

/**
 * `calls` searches queued back to back and only the last one read back: the mean time per call, which is the
 * device's throughput once the per-call read-back no longer dominates. The last answer is checked.
 */
async function timeQueued(
  cell: UploadedCell,
  calls: number,
  kernel: 'nearestKey' | 'lookup',
  counter: ConformanceCounter,
): Promise<number> {
  const { backend } = cell;
  const started = performance.now();
  for (let call = 1; call < calls; call++) {
    if (kernel === 'nearestKey') {
      const result = backend.nearestKey(cell.queries, cell.keys);
      backend.dispose(result.index);
      backend.dispose(result.distance);
    } else {
      const result = backend.lookup(cellLookupArguments(cell));
      backend.dispose(result.output);
      backend.dispose(result.hitIndex);
    }
  }
  if (kernel === 'nearestKey') {
    const last = await timeNearestKey(cell);
    const elapsedMs = performance.now() - started;
    counter.nearestKey(last.index, last.distance);
    return elapsedMs / calls;
  }
  const last = await timeLookup(cell);
  const elapsedMs = performance.now() - started;
  counter.lookup(last.output, last.hitIndex);
  return elapsedMs / calls;
}

/** Checks each answer against the brute force (throws on a wrong one) and counts same keys and ties. */
class ConformanceCounter {
  private rows = 0;
  private sameKey = 0;
  private lookupCalls = 0;
  private hits = 0;

  constructor(
    private readonly data: LookupCellData,
    private readonly oracle: NaiveNearestKeyResult,
  ) {}

  nearestKey(index: Int32Array, distance: Float32Array): void {
    verifyNearestKey('webgpu', this.data, this.oracle, index, distance);
    for (const [row, key] of index.entries()) {
      this.rows++;
      if (key === this.oracle.index[row]) this.sameKey++;
    }
  }

  lookup(output: Float32Array, hitIndex: Int32Array): void {
    this.hits = verifyLookup('webgpu', this.data, this.oracle, output, hitIndex);
    this.lookupCalls++;
  }

  summary(): SearchConformance {
    const { rows, sameKey, lookupCalls, hits } = this;
    return { rows, sameKey, ties: rows - sameKey, lookupCalls, hits };
  }
}
