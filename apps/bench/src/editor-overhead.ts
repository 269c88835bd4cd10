import { createCpuBackend } from '@grace/backend-cpu';
import {
  Codebook,
  type EditableModel,
  type GraceBackend,
  GraceEditor,
  type GraceEditorOptions,
  type SeededRandom,
} from '@grace/core';
import { createOnnxruntimeDotProducts } from '@grace/search-onnxruntime';
import { summarizeTimings, type TimingSummary } from './statistics.js';

/** What one overhead run measures: codebook sizes, the timed batch, repetitions, the keys' radius, a seed. */
export interface EditorOverheadConfig {
  readonly keyCounts: readonly number[];
  readonly batchSize: number;
  readonly runs: number;
  readonly warmups: number;
  /** eps_init of every key. */
  readonly radius: number;
  readonly seed: number;
}

/** What an overhead run of one engine and codebook size reports. */
export interface OverheadTiming {
  readonly plain: TimingSummary;
  readonly edited: TimingSummary;
  /** Median edited / median plain − 1 (wall time). */
  readonly overhead: number;
  /** This process's CPU time (user + system) per call, medians: less sensitive to other processes on a shared machine. */
  readonly plainCpu: TimingSummary;
  readonly editedCpu: TimingSummary;
  /** Median edited / median plain − 1 (CPU time). */
  readonly cpuOverhead: number;
}

/** One engine and codebook size of an overhead run. */
export interface EngineOverheadRow extends OverheadTiming {
  readonly engine: string;
  readonly keys: number;
  /** Share of the batch's rows whose nearest key fired, where the run reads it. */
  readonly hitRate?: number;
}

/**
 * The search engines an overhead run compares, each a fresh cpu backend: its exact loop with the lookup indexes
 * (projection tree, then pivot index: the default), with the pivot index alone, and without either (every key
 * read), and the default and brute force again searching with onnxruntime's MLAS product (exact recheck), so
 * the indexes' share and the engine's share of the overhead show side by side.
 */
export function overheadEngines(): readonly { readonly name: string; readonly backend: GraceBackend }[] {
  const dotProducts = createOnnxruntimeDotProducts();
  const bruteForce = { pivotIndex: false, projectionTree: false } as const;
  return [
    { name: 'cpu', backend: createCpuBackend() },
    { name: 'cpu, pivot index only', backend: createCpuBackend({ projectionTree: false }) },
    { name: 'cpu, brute force', backend: createCpuBackend(bruteForce) },
    { name: 'cpu-ort', backend: createCpuBackend({ dotProducts }) },
    { name: 'cpu-ort, brute force', backend: createCpuBackend({ dotProducts, ...bruteForce }) },
  ];
}

/**
 * Times the plain and the edited prediction alternately, the order flipped every repetition so that machine noise
 * hits both alike, by the wall clock and by this process's CPU time; `warmups` repetitions are not timed.
 */
export async function timeOverhead(
  plain: () => Promise<unknown>,
  edited: () => Promise<unknown>,
  config: { readonly warmups: number; readonly runs: number },
): Promise<OverheadTiming> {
  const samples = { plain: [] as number[], edited: [] as number[] };
  const cpuSamples = { plain: [] as number[], edited: [] as number[] };
  for (let repetition = 0; repetition < config.warmups + config.runs; repetition++) {
    const order: ['plain' | 'edited', () => Promise<unknown>][] = [
      ['plain', plain],
      ['edited', edited],
    ];
    if (repetition % 2 === 1) order.reverse();
    for (const [path, predict] of order) {
      const cpuStarted = process.cpuUsage();
      const started = performance.now();
      await predict();
      const wall = performance.now() - started;
      const cpu = process.cpuUsage(cpuStarted);
      if (repetition < config.warmups) continue;
      samples[path].push(wall);
      cpuSamples[path].push((cpu.user + cpu.system) / 1000);
    }
  }
  const timing = {
    plain: summarizeTimings(samples.plain),
    edited: summarizeTimings(samples.edited),
    plainCpu: summarizeTimings(cpuSamples.plain),
    editedCpu: summarizeTimings(cpuSamples.edited),
  };
  return {
    ...timing,
    overhead: timing.edited.medianMs / timing.plain.medianMs - 1,
    cpuOverhead: timing.editedCpu.medianMs / timing.plainCpu.medianMs - 1,
  };
}

/**
 * The two editors an overhead run times against each other: `plain` with an empty codebook (every row takes the
 * frozen path through the same editor code) and `edited` holding the first `keyCount` of `keyRows` as keys
 * ({@link codebookOfKeys}). The caller disposes both.
 */
export function plainAndEditedEditors<Input>(
  model: EditableModel<Input>,
  options: Omit<GraceEditorOptions, 'codebook'>,
  keyRows: Float32Array,
  keyCount: number,
  settings: { readonly radius: number; readonly classes: number; readonly random: SeededRandom },
): { readonly plain: GraceEditor<Input>; readonly edited: GraceEditor<Input> } {
  return {
    plain: new GraceEditor(model, { ...options, codebook: codebookOfKeys(model, keyRows, 0, settings) }),
    edited: new GraceEditor(model, {
      ...options,
      codebook: codebookOfKeys(model, keyRows, keyCount, settings),
    }),
  };
}

/**
 * A codebook holding the first `count` of `keyRows` (`[*, Dk]` row-major) as keys, random values, one radius and
 * labels cycling through `classes`, as a loaded codebook file would be.
 */
export function codebookOfKeys(
  model: { readonly keyDimension: number; readonly valueDimension: number; readonly layerId: string },
  keyRows: Float32Array,
  count: number,
  settings: { readonly radius: number; readonly classes: number; readonly random: SeededRandom },
): Codebook {
  return Codebook.restore(
    { keyDimension: model.keyDimension, valueDimension: model.valueDimension, layerId: model.layerId },
    {
      keys: keyRows.slice(0, count * model.keyDimension),
      values: settings.random.floats(count * model.valueDimension, -1, 1),
      radii: new Float32Array(count).fill(settings.radius),
      labels: Array.from({ length: count }, (_, index) => index % settings.classes),
    },
    [],
    0,
  );
}

/**
 * The key-token queries `[inputs, Dk]` of `inputs` (what edits of those inputs would store as keys), through the
 * model's prefix on `backend`, `chunk` inputs at a time.
 */
export async function keyTokenQueries<Input>(
  model: EditableModel<Input>,
  backend: GraceBackend,
  inputs: readonly Input[],
  options: Pick<GraceEditorOptions, 'keyToken'> & { readonly chunk?: number } = {},
): Promise<Float32Array> {
  const chunk = options.chunk ?? 500;
  const editor = new GraceEditor(model, {
    backend,
    ...(options.keyToken === undefined ? {} : { keyToken: options.keyToken }),
  });
  const queries = new Float32Array(inputs.length * model.keyDimension);
  try {
    for (let start = 0; start < inputs.length; start += chunk) {
      const prefix = await model.runPrefix(backend, inputs.slice(start, start + chunk));
      queries.set(
        await editor.layer.readQueries(prefix.layerInput, prefix.lengths),
        start * model.keyDimension,
      );
      backend.dispose(prefix.layerInput);
      backend.dispose(prefix.layerOutput);
      for (const tensor of Object.values(prefix.extras)) backend.dispose(tensor);
    }
  } finally {
    editor.dispose();
  }
  return queries;
}
