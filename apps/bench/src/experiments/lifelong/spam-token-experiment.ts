import { type EditingMethod, editScore, type LifelongRun, type ReplacementMode } from '@grace/core';
import { spamFilterTokenModel } from '@grace/models-use';
import { graceMethod, uneditedMethod } from './grace-method.js';
import { runFreshMethod } from './method-comparison.js';
import { prepareSpamDrift, type SpamDriftSplitOptions } from './spam-drift-setup.js';
import { runTokenLevelSweep } from './token-level-sweep.js';

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
  const sweep = await runTokenLevelSweep({
    ...config,
    backend,
    model: tokenModel,
    data,
    run,
    onProgress: progress,
  });
  runs.push(...sweep.runs);
  const { keyScale, tokenPrefixSeconds } = sweep;
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
