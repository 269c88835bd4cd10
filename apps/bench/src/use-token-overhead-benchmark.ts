/**
 * Decision this informs: whether GRACE inside a transformer, at token level, is cheap enough to serve. It times
 * USE-lite's GraphModel alone against the same model cut inside its last block with GRACE's lookup and the
 * imported suffix, on the same batch of real e-mails in one run, at several codebook sizes.
 */
import { Codebook, type GraceBackend, GraceEditor, SeededRandom } from '@grace/core';
import {
  loadSpamAssassinEmails,
  loadUseLiteModel,
  loadUseLiteTokenCut,
  spamEmailText,
  useLiteFeeds,
  useLiteTokenNodes,
} from '@grace/models-use';
import type * as tf from '@tensorflow/tfjs';
import { summarizeTimings, type TimingSummary } from './statistics.js';

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

/** One codebook size: the plain transformer, GRACE at token level, and the overhead. */
export interface UseTokenOverheadRow {
  readonly keys: number;
  /** The GraphModel alone, from the e-mails to the dense layer's output (`executeAsync`). */
  readonly plain: TimingSummary;
  /** `GraceEditor.predict` on the token-level cut: tfjs prefix, lookup over `keys`, imported suffix. */
  readonly grace: TimingSummary;
  readonly overhead: number;
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

async function time(action: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await action();
  return performance.now() - started;
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
  for (const keys of config.keyCounts) {
    log(`${keys} keys`);
    const codebook = syntheticCodebook(model.layerId, model.keyDimension, keys, keys + 1);
    const editor = new GraceEditor(model, { backend, codebook, replacement: 'last', keyToken: 'last' });
    const paths = { plain, grace: () => editor.predict(texts) };
    const samples: Record<keyof typeof paths, number[]> = { plain: [], grace: [] };
    const names = Object.keys(paths) as (keyof typeof paths)[];
    for (let repetition = 0; repetition < config.warmups + config.runs; repetition++) {
      for (let offset = 0; offset < names.length; offset++) {
        const name = names[(repetition + offset) % names.length] as keyof typeof paths;
        const milliseconds = await time(paths[name]);
        if (repetition >= config.warmups) samples[name].push(milliseconds);
      }
    }
    const plainTiming = summarizeTimings(samples.plain);
    const graceTiming = summarizeTimings(samples.grace);
    rows.push({
      keys,
      plain: plainTiming,
      grace: graceTiming,
      overhead: graceTiming.medianMs / plainTiming.medianMs - 1,
      tokens: lengths.reduce((total, length) => total + length, 0),
      paddedLength: Math.max(...lengths),
    });
    editor.dispose();
  }
  return rows;
}
