/**
 * Decides whether GRACE can stay on while a decoder generates: tokens per second of the plain decoder against
 * the GRACE-edited one (with the key/value cache, the normal path) at several codebook sizes, every path
 * interleaved in one run, and how much the cache buys over recomputing the sequence at every step.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCpuBackend } from '@grace/backend-cpu';
import { Codebook, GraceLayer, type ReplacementMode, SeededRandom } from '@grace/core';
import {
  createGenerator,
  type GenerationOptions,
  loadOnnxDecoder,
  type OnnxDecoder,
  promptQuery,
} from '@grace/onnx';
import { summarizeTimings, type TimingSummary } from './statistics.js';

/** What to generate and how often. */
export interface GenerateBenchmarkConfig {
  /** A decoder exported with its key/value cache, and the layer GRACE wraps. */
  readonly modelPath: string;
  readonly editAt: string;
  readonly keyCounts: readonly number[];
  /** Prompts of the batch whose query is a key (they fire); the other keys are random and far from every prompt. */
  readonly firingPrompts: number;
  readonly batchSize: number;
  readonly promptLength: { readonly min: number; readonly max: number };
  readonly maxNewTokens: number;
  readonly replacements: readonly ReplacementMode[];
  /** S of the `span` paths: vectors per value (the codebook's values are S × the layer's width). */
  readonly spanLength: number;
  readonly runs: number;
  readonly warmups: number;
  /** onnxruntime intra-op threads per session. */
  readonly threads: number;
  readonly seed: number;
}

/** The GPT-2 test fixture with its cache (2 blocks, 32 wide), cut at block 0's MLP projection. */
export const fixtureDecoderPath = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'packages/onnx/test-fixtures/transformers/gpt2-lm-past.onnx',
);

export const defaultGenerateConfig: GenerateBenchmarkConfig = {
  modelPath: fixtureDecoderPath,
  editAt: 'node_Gemm_286',
  keyCounts: [0, 1_000, 10_000],
  firingPrompts: 2,
  batchSize: 8,
  promptLength: { min: 4, max: 12 },
  maxNewTokens: 32,
  replacements: ['all', 'last', 'span'],
  spanLength: 4,
  runs: 31,
  warmups: 2,
  threads: 1,
  seed: 7,
};

export const quickGenerateConfig: GenerateBenchmarkConfig = {
  ...defaultGenerateConfig,
  keyCounts: [0, 1_000],
  maxNewTokens: 8,
  runs: 3,
  warmups: 1,
};

/** One timed path: a generation of the whole batch. */
export interface GeneratePathRow {
  readonly path: string;
  readonly keys: number;
  readonly replacement: ReplacementMode | '-';
  readonly cache: boolean;
  readonly timing: TimingSummary;
  /** New tokens of the batch per second, at the median time. */
  readonly tokensPerSecond: number;
  /** Median time over the plain decoder's with the same cache setting, minus 1 (0 for the plain rows). */
  readonly overhead: number;
}

/** The far keys sit this many query norms (root mean square) away from the origin, in random directions. */
const farKeyScale = 10;

/**
 * A codebook with the first `firing` prompts' queries as keys (radius below their distance to the others), values
 * of `spanLength` vectors of the layer's width.
 */
async function benchmarkCodebook(
  decoder: OnnxDecoder,
  prompts: readonly (readonly number[])[],
  config: GenerateBenchmarkConfig,
  keys: number,
  spanLength: number,
): Promise<Codebook> {
  const queries = await Promise.all(prompts.map((prompt) => promptQuery(decoder, prompt)));
  const width = decoder.keyDimension;
  const distance = (left: Float32Array, right: Float32Array) =>
    Math.hypot(...Array.from(left, (value, index) => value - (right[index] as number)));
  const firing = Math.min(config.firingPrompts, keys, prompts.length);
  const nearestOther = queries
    .slice(0, firing)
    .flatMap((query, row) =>
      queries.filter((_, other) => other !== row).map((other) => distance(query, other)),
    );
  const radius = nearestOther.length === 0 ? 1 : Math.min(...nearestOther) / 4;
  const rms = Math.sqrt(
    queries.flatMap((query) => Array.from(query, (value) => value * value)).reduce((a, b) => a + b, 0) /
      (queries.length * width),
  );
  const random = new SeededRandom(config.seed + keys);
  const keyData = new Float32Array(keys * width);
  for (let index = 0; index < keys; index++) {
    const key =
      index < firing
        ? (queries[index] as Float32Array)
        : random.normals(width).map((value) => value * farKeyScale * rms * Math.sqrt(width));
    keyData.set(key, index * width);
  }
  const valueDimension = decoder.valueDimension * spanLength;
  return Codebook.restore(
    { keyDimension: width, valueDimension, layerId: `onnx:${config.editAt}` },
    {
      keys: keyData,
      values: random.normals(keys * valueDimension),
      radii: new Float32Array(keys).fill(radius),
      labels: Array.from({ length: keys }, (_, index) => [index]),
    },
    [],
    0,
  );
}

/** Runs every path interleaved (rotating the order each repetition); checks which prompts fired. */
export async function runGenerateBenchmark(
  config: GenerateBenchmarkConfig,
  log: (message: string) => void = () => {},
): Promise<GeneratePathRow[]> {
  const decoder = await loadOnnxDecoder(config.modelPath, {
    editAt: config.editAt,
    sessionOptions: { intraOpNumThreads: config.threads, interOpNumThreads: 1 },
  });
  const backend = createCpuBackend();
  const random = new SeededRandom(config.seed);
  const prompts = Array.from({ length: config.batchSize }, () =>
    Array.from({ length: random.integer(config.promptLength.min, config.promptLength.max + 1) }, () =>
      random.integer(1, decoder.vocabularySize),
    ),
  );
  const paths: {
    path: string;
    keys: number;
    replacement: ReplacementMode | '-';
    cache: boolean;
    generate: () => Promise<unknown>;
  }[] = [];
  const options = (cache: boolean): GenerationOptions => ({ maxNewTokens: config.maxNewTokens, cache });
  const plain = createGenerator(decoder);
  const layers: GraceLayer[] = [];
  try {
    for (const cache of [true, false]) {
      paths.push({
        path: 'plain',
        keys: 0,
        replacement: '-',
        cache,
        generate: () => plain.generate(prompts, options(cache)),
      });
    }
    for (const keys of config.keyCounts) {
      for (const replacement of config.replacements) {
        const spanLength = replacement === 'span' ? config.spanLength : 1;
        const codebook = await benchmarkCodebook(decoder, prompts, config, keys, spanLength);
        const layer = new GraceLayer(backend, codebook, { replacement, spanLength });
        layers.push(layer);
        const generator = createGenerator(decoder, layer);
        const firing = Math.min(config.firingPrompts, keys, prompts.length);
        const check = await generator.generate(prompts, options(true));
        const fired = check.map((sequence) => sequence.keyIndex);
        const expected = prompts.map((_, row) => (row < firing ? row : -1));
        if (fired.join() !== expected.join()) {
          throw new Error(`at ${keys} keys the keys that fired were [${fired}], not [${expected}]`);
        }
        const cacheSettings =
          keys === 1_000 && replacement === config.replacements[0] ? [true, false] : [true];
        for (const cache of cacheSettings) {
          paths.push({
            path: 'GRACE',
            keys,
            replacement,
            cache,
            generate: () => generator.generate(prompts, options(cache)),
          });
        }
      }
    }
    const samples = paths.map(() => [] as number[]);
    for (let repetition = 0; repetition < config.warmups + config.runs; repetition++) {
      log(`repetition ${repetition + 1} of ${config.warmups + config.runs}`);
      for (let offset = 0; offset < paths.length; offset++) {
        const index = (repetition + offset) % paths.length;
        const started = performance.now();
        await (paths[index] as (typeof paths)[number]).generate();
        if (repetition >= config.warmups) (samples[index] as number[]).push(performance.now() - started);
      }
    }
    const timings = samples.map((entry) => summarizeTimings(entry));
    const newTokens = config.batchSize * config.maxNewTokens;
    const plainTiming = (cache: boolean) =>
      timings[paths.findIndex((path) => path.path === 'plain' && path.cache === cache)] as TimingSummary;
    return paths.map(({ generate: _generate, ...path }, index) => {
      const timing = timings[index] as TimingSummary;
      return {
        ...path,
        timing,
        tokensPerSecond: newTokens / (timing.medianMs / 1000),
        overhead: timing.medianMs / plainTiming(path.cache).medianMs - 1,
      };
    });
  } finally {
    for (const layer of layers) layer.dispose();
    await decoder.release();
  }
}
