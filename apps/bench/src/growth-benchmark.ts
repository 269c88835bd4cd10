// Decision this benchmark informs: does an edit cost the same on a codebook of 100,000 keys as on an empty one
// (only the edit's own rows travel to the backend), and how much memory does a key take, host and backend
// together, against its raw float32 key, value and radius? Targets: ≤ 1.2× and ≤ 1.25×. The edit is timed
// through the editor: prefix, codebook decision, value training and the backend copy's update; the searches
// over every key that come after it (the editor's check that the edit is fixed, the next prediction) are
// reported beside it, since a lookup costs O(N·D) on every backend that searches exhaustively.

import {
  Codebook,
  type CodebookOptions,
  DeviceCodebook,
  editableSequentialModel,
  type GraceBackend,
  GraceEditor,
  SeededRandom,
  SequentialModel,
} from '@grace/core';
import type { NamedBackend } from './backends.js';
import { editWorkloads } from './edit-benchmark.js';
import { randomCodebook } from './random-codebook.js';
import { median, summarizeTimings, type TimingSummary } from './statistics.js';

export interface GrowthBenchmarkConfig {
  /** Keys of the large codebook (the small one starts empty). */
  readonly keys: number;
  /** Timed edits per codebook and backend, after one warm-up edit each. */
  readonly edits: number;
  /** Adam iterations per edit. */
  readonly iterations: number;
  /** One of the edit benchmark's workloads. */
  readonly workload: string;
  readonly seed: number;
}

export const defaultGrowthConfig: GrowthBenchmarkConfig = {
  keys: 100_000,
  edits: 5,
  iterations: 100,
  workload: 'wide',
  seed: 5,
};

export const quickGrowthConfig: GrowthBenchmarkConfig = {
  ...defaultGrowthConfig,
  keys: 2_000,
  edits: 2,
  iterations: 5,
  workload: 'synthetic',
};

/** The targets, printed as met or missed. */
export const growthTargets = { editRatio: 1.2, memoryRatio: 1.25 } as const;

export interface GrowthBenchmarkRow {
  readonly backend: string;
  readonly workload: string;
  readonly keys: number;
  /** Backend update of the codebook after one edit (`DeviceCodebook.current()` + a 1-float read-back). */
  readonly syncMs: { readonly empty: TimingSummary; readonly large: TimingSummary };
  /**
   * One edit through the editor without its check (`EditResult.milliseconds − checkMilliseconds`): prefix,
   * codebook decision, 100 Adam steps, the backend copy's update.
   */
  readonly editMs: { readonly empty: TimingSummary; readonly large: TimingSummary };
  /** The editor's check after the edit (`checkMilliseconds`): one prediction, a lookup over every key. */
  readonly checkMs: { readonly empty: TimingSummary; readonly large: TimingSummary };
  /** The next prediction of the same input, after the edit returned: the same lookup over every key. */
  readonly predictMs: { readonly empty: TimingSummary; readonly large: TimingSummary };
  /** Median large / median empty of `editMs`; the target is ≤ 1.2. */
  readonly editRatio: number;
  /** Median large / median empty of the edit, its check and the next prediction together. */
  readonly editAndSearchesRatio: number;
  /**
   * Host bytes (keys + values + radii and the decisions' key index, spare rows included) + the editor layer's
   * backend bytes (its copy, or what the backend keeps beside the host's rows), after the timed edits, over the
   * raw float32 bytes.
   */
  readonly memoryRatio: number;
  readonly hostBytes: number;
  readonly backendBytes: number;
  readonly rawBytes: number;
}

/** Waits for the backend's queue: a fresh 1-float tensor read back after everything queued before it. */
async function drain(backend: GraceBackend): Promise<void> {
  const probe = backend.upload(new Float32Array(1), [1]);
  try {
    await backend.download(probe);
  } finally {
    backend.dispose(probe);
  }
}

/** Times `DeviceCodebook.current()` after each of `edits + 1` ADD edits (the first is a warm-up). */
async function timeSyncs(
  backend: GraceBackend,
  codebook: Codebook,
  edits: number,
  random: SeededRandom,
): Promise<number[]> {
  const device = new DeviceCodebook(backend, codebook);
  try {
    device.current();
    await drain(backend);
    const samples: number[] = [];
    for (let edit = 0; edit <= edits; edit++) {
      codebook.applyEdit({ query: random.floats(codebook.keyDimension, -10, 10), label: edit % 2 });
      const started = performance.now();
      device.current();
      await drain(backend);
      if (edit > 0) samples.push(performance.now() - started);
    }
    return samples;
  } finally {
    device.dispose();
  }
}

/**
 * Per backend: the codebook update alone and a whole edit plus the next prediction, on an empty codebook and on
 * one of `config.keys` keys, edits interleaved so that machine noise hits both alike; and the memory of the
 * large codebook, host and backend together.
 */
export async function runGrowthBenchmark(
  backends: readonly NamedBackend[],
  config: GrowthBenchmarkConfig,
  onProgress: (message: string) => void = () => undefined,
): Promise<GrowthBenchmarkRow[]> {
  const workload = editWorkloads.find((candidate) => candidate.name === config.workload);
  if (workload === undefined) throw new RangeError(`unknown workload ${config.workload}`);
  const model = SequentialModel.create({
    inputWidth: workload.inputWidth,
    layers: workload.layers,
    loss: workload.classes === 2 ? 'sigmoid-cross-entropy' : 'softmax-cross-entropy',
    seed: config.seed,
  });
  const editable = editableSequentialModel(model, 0);
  const options: CodebookOptions = {
    keyDimension: editable.keyDimension,
    valueDimension: editable.valueDimension,
    layerId: editable.layerId,
    epsInit: 1e-3,
  };
  const rows: GrowthBenchmarkRow[] = [];
  for (const { name, backend } of backends) {
    const large = randomCodebook(options, config.keys, config.seed);
    const sync = {
      empty: await timeSyncs(backend, new Codebook(options), config.edits, new SeededRandom(config.seed + 1)),
      large: await timeSyncs(backend, large, config.edits, new SeededRandom(config.seed + 1)),
    };
    onProgress(`${name}: codebook updates timed`);
    const editors = [new Codebook(options), large].map(
      (codebook) =>
        new GraceEditor(editable, { backend, codebook, training: { iterations: config.iterations } }),
    );
    const random = new SeededRandom(config.seed + 2);
    const edits = [[], []] as [number[], number[]];
    const checks = [[], []] as [number[], number[]];
    const predictions = [[], []] as [number[], number[]];
    const totals = [[], []] as [number[], number[]];
    let rawBytes = 0;
    let hostBytes = 0;
    let backendBytes = 0;
    try {
      for (let edit = 0; edit <= config.edits; edit++) {
        const input = random.floats(workload.inputWidth, -10, 10);
        const label = random.integer(0, workload.classes);
        for (const [position, editor] of editors.entries()) {
          const result = await editor.edit({ input, label });
          const predicted = performance.now();
          await editor.predict([input]);
          const predictMs = performance.now() - predicted;
          if (edit > 0) {
            const side = position as 0 | 1;
            edits[side].push(result.milliseconds - result.checkMilliseconds);
            checks[side].push(result.checkMilliseconds);
            predictions[side].push(predictMs);
            totals[side].push(result.milliseconds + predictMs);
          }
        }
        onProgress(`${name}: edit ${edit}/${config.edits}${edit === 0 ? ' (warm-up)' : ''}`);
      }
      // Memory of the large codebook as the editor left it: host rows + what its layer holds on the backend.
      rawBytes = large.size * (options.keyDimension + options.valueDimension + 1) * 4;
      hostBytes = large.hostBytes;
      backendBytes = editors[1]?.layer.backendBytes ?? 0;
    } finally {
      for (const editor of editors) editor.dispose();
    }
    rows.push({
      backend: name,
      workload: workload.name,
      keys: config.keys,
      syncMs: { empty: summarizeTimings(sync.empty), large: summarizeTimings(sync.large) },
      editMs: { empty: summarizeTimings(edits[0]), large: summarizeTimings(edits[1]) },
      checkMs: { empty: summarizeTimings(checks[0]), large: summarizeTimings(checks[1]) },
      predictMs: { empty: summarizeTimings(predictions[0]), large: summarizeTimings(predictions[1]) },
      editRatio: median(edits[1]) / median(edits[0]),
      editAndSearchesRatio: median(totals[1]) / median(totals[0]),
      memoryRatio: (hostBytes + backendBytes) / rawBytes,
      hostBytes,
      backendBytes,
      rawBytes,
    });
  }
  return rows;
}
