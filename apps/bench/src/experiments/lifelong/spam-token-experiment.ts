import {
  type EditingMethod,
  editScore,
  type KeyToken,
  type LifelongRun,
  type ReplacementMode,
} from '@grace/core';
import { spamFilterTokenModel } from '@grace/models-use';
import { graceMethod, uneditedMethod } from './grace-method.js';
import { runFreshMethod } from './method-comparison.js';
import { prepareSpamDrift, type SpamDriftSplitOptions } from './spam-drift-setup.js';

/**
 * Spam drift edited INSIDE the transformer: the pooled SpamAssassin run's filter and split (on a subset by
 * default: embedding e-mails on tfjs wasm is slow), edited at the feed-forward output of USE-lite's last block
 * at token level (keys: that block's normalised token states), for each replacement mode (`all`, `last`,
 * `prompt`) and key token (`last`, `mean`), side by side with GRACE at the pooled edit point (USE-lite's hidden
 * dense layer) on the same stream. Split defaults: 32 body words, a linear head trained on 300 early e-mails for
 * 30 epochs, TRR on 150, 500 later e-mails deployed (the stream: every mistake among them), 200 held out; the
 * pooled states are shared with the pooled run through `embeddingFile`.
 */
export interface SpamTokenExperimentOptions extends Omit<SpamDriftSplitOptions, 'hiddenUnits'> {
  /** Radii at token level, as multiples of the median nearest-neighbour distance between stream keys. */
  readonly epsScales?: readonly number[];
  /**
   * Value training of every GRACE run (default: the reference's Adam, lr 1, 100 iterations, stopping as soon as
   * the edit is fixed: token-level training steps cost a pass over every token of the e-mail).
   */
  readonly training?: { readonly iterations?: number; readonly earlyStop?: boolean };
  readonly replacements?: readonly ReplacementMode[];
  readonly keyTokens?: readonly ('last' | 'mean')[];
  /** eps_init of the pooled edit point, in pooled-state units (default 5, the pooled run's best). */
  readonly pooledEps?: number;
  readonly checkpoints?: number;
}

export interface SpamTokenExperimentResult {
  readonly config: Omit<Required<SpamTokenExperimentOptions>, 'backend' | 'onProgress' | 'embeddingFile'> & {
    readonly backend: string;
  };
  readonly sizes: { readonly stream: number; readonly upstream: number; readonly holdout: number };
  /** Median nearest-neighbour distance between the stream's token keys, per key token. */
  readonly keyScale: Readonly<Record<string, number>>;
  /** Seconds spent running the transformer for the token-level prefixes. */
  readonly tokenPrefixSeconds: number;
  readonly runs: readonly LifelongRun[];
  readonly best: string;
}

/** The median distance from each row to its nearest other row, `[rows, width]`. */
function medianNearestNeighbour(rows: readonly Float32Array[]): number {
  const nearest = rows.map((row, index) => {
    let best = Number.POSITIVE_INFINITY;
    rows.forEach((other, otherIndex) => {
      if (otherIndex === index) return;
      let sum = 0;
      for (let column = 0; column < row.length; column++)
        sum += ((row[column] as number) - (other[column] as number)) ** 2;
      if (sum > 0) best = Math.min(best, sum);
    });
    return Math.sqrt(best);
  });
  return nearest.sort((left, right) => left - right)[Math.floor(nearest.length / 2)] as number;
}

export async function runSpamTokenExperiment(
  options: SpamTokenExperimentOptions,
): Promise<SpamTokenExperimentResult> {
  const config = {
    words: options.words ?? 32,
    seed: options.seed ?? 1,
    trainSize: options.trainSize ?? 300,
    upstreamSize: options.upstreamSize ?? 150,
    deployedSize: options.deployedSize ?? 500,
    heldOutSize: options.heldOutSize ?? 200,
    edits: options.edits ?? Number.POSITIVE_INFINITY,
    epsScales: options.epsScales ?? [0.25, 0.5],
    replacements: options.replacements ?? (['all', 'last', 'prompt'] as const),
    keyTokens: options.keyTokens ?? (['last', 'mean'] as const),
    pooledEps: options.pooledEps ?? 5,
    checkpoints: options.checkpoints ?? 3,
    headEpochs: options.headEpochs ?? 30,
    training: options.training ?? { earlyStop: true },
  };
  const { backend } = options;
  const progress = options.onProgress ?? (() => undefined);
  // The same split, filter and stream as the pooled SpamAssassin run (same seed, same order of draws).
  const { filter, pooledModel, data } = await prepareSpamDrift({
    ...config,
    hiddenUnits: 0,
    backend,
    embeddingFile: options.embeddingFile,
    onProgress: progress,
  });

  // Token level: the cut is verified against the GraphModel on this backend at load; each text runs once.
  const tokenModel = await spamFilterTokenModel(filter, { backend });
  const prefixStarted = performance.now();
  await tokenModel.prefixCache.prime(
    [...data.stream, ...data.upstream, ...data.holdout].map((item) => item.input),
    (done, total) => progress('token-level prefixes', done, total),
  );
  const tokenPrefixSeconds = (performance.now() - prefixStarted) / 1000;
  const streamPrefix = await tokenModel.prefixCache.values(data.stream.map((item) => item.input));
  const keyInput = streamPrefix.values.get(tokenModel.cut.editPoint.input);
  const keyScale: Record<string, number> = {};
  if (keyInput !== undefined) {
    const [, tokens = 1, width = 1] = keyInput.shape;
    for (const keyToken of config.keyTokens) {
      const queries = (streamPrefix.lengths ?? []).map((length, row) => {
        const query = new Float32Array(width);
        const first = keyToken === 'last' ? length - 1 : 0;
        for (let token = first; token < length; token++)
          for (let column = 0; column < width; column++)
            query[column] =
              (query[column] as number) +
              (keyInput.data[(row * tokens + token) * width + column] as number) / (length - first);
        return query;
      });
      keyScale[keyToken] = medianNearestNeighbour(queries);
    }
  }

  const run = (makeMethod: () => EditingMethod<string>): Promise<LifelongRun> =>
    runFreshMethod(makeMethod, data, { checkpoints: config.checkpoints, onProgress: progress });
  const runs: LifelongRun[] = [
    await run(() => uneditedMethod(tokenModel, { backend })),
    await run(() =>
      graceMethod(`GRACE pooled (hidden) ε ${config.pooledEps}`, pooledModel, {
        backend,
        epsInit: config.pooledEps,
        seed: config.seed,
        training: config.training,
      }),
    ),
  ];
  for (const keyToken of config.keyTokens) {
    for (const replacement of config.replacements) {
      for (const scale of config.epsScales) {
        const epsInit = Number(((keyScale[keyToken] ?? 1) * scale).toPrecision(2));
        const name = `GRACE token ffn ${replacement} key ${keyToken} ε ${epsInit}`;
        runs.push(
          await run(() =>
            graceMethod(name, tokenModel, {
              backend,
              epsInit,
              replacement,
              keyToken: keyToken as KeyToken,
              seed: config.seed,
              training: config.training,
            }),
          ),
        );
      }
    }
  }
  const tokenRuns = runs.filter((run) => run.method.startsWith('GRACE token'));
  const best = tokenRuns.reduce((winner, run) => (editScore(run) > editScore(winner) ? run : winner));
  return {
    config: { ...config, edits: Number.isFinite(config.edits) ? config.edits : -1, backend: backend.name },
    sizes: { stream: data.stream.length, upstream: data.upstream.length, holdout: data.holdout.length },
    keyScale,
    tokenPrefixSeconds,
    runs,
    best: best.method,
  };
}
