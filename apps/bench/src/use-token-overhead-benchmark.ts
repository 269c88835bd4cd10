/**
 * Decision this informs: whether GRACE inside a transformer, at token level, is cheap enough to serve. It times
 * USE-lite's GraphModel alone against the same model cut inside its last block with GRACE's lookup and the
 * imported suffix, on the same batch of real e-mails in one run, at several codebook sizes.
 */
import { isTfjsBackend } from '@grace/backend-tfjs';
import type { TfjsEditableModel } from '@grace/backend-tfjs/models';
import {
  Codebook,
  type EditableModel,
  type GraceBackend,
  GraceEditor,
  type PrefixOutput,
  SeededRandom,
  type Tensor,
} from '@grace/core';
import {
  loadSpamAssassinEmails,
  loadUseLiteModel,
  loadUseLiteTokenCut,
  spamEmailText,
  useLiteFeeds,
  useLiteTokenNodes,
} from '@grace/models-use';
import type * as tf from '@tensorflow/tfjs';
import { median, summarizeTimings, type TimingSummary } from './statistics.js';

/** What the `use-token` benchmark runs. */
export interface UseTokenOverheadConfig {
  readonly batchSize: number;
  /** Body words per e-mail (the transformer's cost grows with tokens). */
  readonly words: number;
  readonly keyCounts: readonly number[];
  readonly runs: number;
  readonly warmups: number;
}

export const defaultUseTokenOverheadConfig: UseTokenOverheadConfig = {
  batchSize: 32,
  words: 32,
  keyCounts: [0, 1000],
  runs: 15,
  warmups: 2,
};
export const quickUseTokenOverheadConfig: UseTokenOverheadConfig = {
  batchSize: 8,
  words: 16,
  keyCounts: [0, 1000],
  runs: 3,
  warmups: 1,
};

/** The timed paths: the transformer alone, GRACE as served, and GRACE with the prefix read back and uploaded. */
export const useTokenPaths = ['plain', 'grace', 'graceThroughHost'] as const;
export type UseTokenPath = (typeof useTokenPaths)[number];

/** Wall time and this process's CPU time (user + system) of one path, each a median over the runs. */
export interface UseTokenPathTiming {
  readonly wall: TimingSummary;
  readonly cpu: TimingSummary;
}

/** One codebook size: the plain transformer, GRACE at token level, and the overhead. */
export interface UseTokenOverheadRow {
  readonly keys: number;
  /**
   * `plain`: the GraphModel alone, from the e-mails to the dense layer's output (`executeAsync`). `grace`:
   * `GraceEditor.predict` on the token-level cut (tfjs prefix handed over on tfjs, lookup over `keys`, imported
   * suffix). `graceThroughHost`: the same with the prefix's `[B, T, 512]` tensors read back and uploaded again,
   * as any non-tfjs backend gets them (and as every backend did before the hand-over).
   */
  readonly timings: Readonly<Record<UseTokenPath, UseTokenPathTiming>>;
  /** GRACE's wall-time median over the plain median, minus 1: the target's measure. */
  readonly overhead: number;
  /** The same from CPU-time medians (less sensitive to other processes on a shared machine). */
  readonly cpuOverhead: number;
  /** Median over runs of (GRACE / plain) of the same repetition, minus 1 (paired: slow spells cancel). */
  readonly pairedOverhead: number;
  /** The host path's wall-time overhead, for comparison. */
  readonly hostOverhead: number;
  /** Real tokens in the batch and the padded length. */
  readonly tokens: number;
  readonly paddedLength: number;
}

/** A codebook of `count` keys at the scale of the block's normalised token states; small radii. */
function syntheticCodebook(layerId: string, width: number, count: number, seed: number): Codebook {
  const random = new SeededRandom(seed);
  return Codebook.restore(
    { keyDimension: width, valueDimension: width, layerId },
    {
      keys: random.normals(count * width),
      values: random.floats(count * width, -1, 1),
      radii: new Float32Array(count).fill(1),
      labels: Array.from({ length: count }, (_, index) => index % 2),
    },
    [],
    0,
  );
}

/** Wall and CPU milliseconds of one call. */
async function time(action: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const cpuStarted = process.cpuUsage();
  const started = performance.now();
  await action();
  const wall = performance.now() - started;
  const cpu = process.cpuUsage(cpuStarted);
  return { wall, cpu: (cpu.user + cpu.system) / 1000 };
}

/**
 * The cut with its prefix read back to the host and uploaded to the backend (what a backend that is not tfjs
 * gets): the path the hand-over replaced, kept to show what it cost.
 */
function throughHost(model: TfjsEditableModel<string>): EditableModel<string> {
  return {
    ...model,
    async runPrefix(backend, texts): Promise<PrefixOutput> {
      const { values, lengths } = await model.runPrefixOnTfjs(texts);
      const upload = (name: string): Tensor<'float32'> => {
        const host = values.get(name);
        if (host === undefined) throw new Error(`the prefix gave no '${name}'`);
        return backend.upload(host.data, [...host.shape]) as Tensor<'float32'>;
      };
      return {
        layerInput: upload(model.editPoint.input),
        layerOutput: upload(model.editPoint.output),
        ...(lengths === undefined ? {} : { lengths }),
        extras: Object.fromEntries(model.crossingTensors.map((name) => [name, upload(name)])),
      };
    },
  };
}

/** Runs the benchmark on `backend` (GRACE's side); the transformer runs on tfjs wasm in both paths. */
export async function runUseTokenOverheadBenchmark(
  backend: GraceBackend,
  config: UseTokenOverheadConfig,
  log: (message: string) => void = () => {},
): Promise<UseTokenOverheadRow[]> {
  const encoder = await loadUseLiteModel();
  log('loading and verifying the token-level cut');
  const model = await loadUseLiteTokenCut(encoder, backend);
  const texts = loadSpamAssassinEmails()
    .slice(0, config.batchSize)
    .map((email) => spamEmailText(email, config.words));
  const lengths = texts.map((text) => encoder.tokenize(text).length);
  const plain = async (): Promise<void> => {
    const feeds = useLiteFeeds(encoder, texts);
    const output = (await encoder.graphModel.executeAsync(
      feeds,
      useLiteTokenNodes.hiddenPreActivation,
    )) as tf.Tensor;
    await output.data();
    output.dispose();
    for (const tensor of Object.values(feeds)) tensor.dispose();
  };
  const rows: UseTokenOverheadRow[] = [];
  log(isTfjsBackend(backend) ? 'the prefix is handed over on tfjs' : 'the prefix goes through the host');
  for (const keys of config.keyCounts) {
    log(`${keys} keys`);
    const codebook = syntheticCodebook(model.layerId, model.keyDimension, keys, keys + 1);
    const editorOptions = { backend, replacement: 'last', keyToken: 'last' } as const;
    const editor = new GraceEditor(model, { ...editorOptions, codebook });
    const hostEditor = new GraceEditor(throughHost(model), { ...editorOptions, codebook });
    const paths: Record<UseTokenPath, () => Promise<unknown>> = {
      plain,
      grace: () => editor.predict(texts),
      graceThroughHost: () => hostEditor.predict(texts),
    };
    const samples: Record<UseTokenPath, { wall: number[]; cpu: number[] }> = {
      plain: { wall: [], cpu: [] },
      grace: { wall: [], cpu: [] },
      graceThroughHost: { wall: [], cpu: [] },
    };
    for (let repetition = 0; repetition < config.warmups + config.runs; repetition++) {
      for (let offset = 0; offset < useTokenPaths.length; offset++) {
        const name = useTokenPaths[(repetition + offset) % useTokenPaths.length] as UseTokenPath;
        const measured = await time(paths[name]);
        if (repetition < config.warmups) continue;
        samples[name].wall.push(measured.wall);
        samples[name].cpu.push(measured.cpu);
      }
    }
    const timings = Object.fromEntries(
      useTokenPaths.map((name) => [
        name,
        { wall: summarizeTimings(samples[name].wall), cpu: summarizeTimings(samples[name].cpu) },
      ]),
    ) as Record<UseTokenPath, UseTokenPathTiming>;
    const ratio = (path: UseTokenPath, clock: 'wall' | 'cpu'): number =>
      timings[path][clock].medianMs / timings.plain[clock].medianMs - 1;
    rows.push({
      keys,
      timings,
      overhead: ratio('grace', 'wall'),
      cpuOverhead: ratio('grace', 'cpu'),
      pairedOverhead:
        median(samples.grace.wall.map((wall, index) => wall / (samples.plain.wall[index] as number))) - 1,
      hostOverhead: ratio('graceThroughHost', 'wall'),
      tokens: lengths.reduce((total, length) => total + length, 0),
      paddedLength: Math.max(...lengths),
    });
    editor.dispose();
    hostEditor.dispose();
  }
  return rows;
}
