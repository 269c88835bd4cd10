import { createCpuBackend } from '@grace/backend-cpu';
import { Codebook, type GraceBackend, type SeededRandom } from '@grace/core';
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
  /** Median edited / median plain − 1. */
  readonly overhead: number;
}

/** One engine and codebook size of an overhead run. */
export interface EngineOverheadRow extends OverheadTiming {
  readonly engine: string;
  readonly keys: number;
  /** Share of the batch's rows whose nearest key fired, where the run reads it. */
  readonly hitRate?: number;
}

/**
 * The search engines an overhead run compares, each a fresh cpu backend: its exact loop over every key (the
 * default), the same with the pivot index (`pivotIndex: true`), and searching with onnxruntime's MLAS product
 * (exact recheck).
 */
export function overheadEngines(): readonly { readonly name: string; readonly backend: GraceBackend }[] {
  return [
    { name: 'cpu', backend: createCpuBackend() },
    { name: 'cpu, pivot index', backend: createCpuBackend({ pivotIndex: true }) },
    { name: 'cpu-ort', backend: createCpuBackend({ dotProducts: createOnnxruntimeDotProducts() }) },
  ];
}

/**
 * Times the plain and the edited prediction alternately, the order flipped every repetition so that machine noise
 * hits both alike; `warmups` repetitions are not timed.
 */
export async function timeOverhead(
  plain: () => Promise<unknown>,
  edited: () => Promise<unknown>,
  config: { readonly warmups: number; readonly runs: number },
): Promise<OverheadTiming> {
  const samples = { plain: [] as number[], edited: [] as number[] };
  for (let repetition = 0; repetition < config.warmups + config.runs; repetition++) {
    const order: ['plain' | 'edited', () => Promise<unknown>][] = [
      ['plain', plain],
      ['edited', edited],
    ];
    if (repetition % 2 === 1) order.reverse();
    for (const [path, predict] of order) {
      const started = performance.now();
      await predict();
      if (repetition >= config.warmups) samples[path].push(performance.now() - started);
    }
  }
  const plainTiming = summarizeTimings(samples.plain);
  const editedTiming = summarizeTimings(samples.edited);
  return {
    plain: plainTiming,
    edited: editedTiming,
    overhead: editedTiming.medianMs / plainTiming.medianMs - 1,
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
