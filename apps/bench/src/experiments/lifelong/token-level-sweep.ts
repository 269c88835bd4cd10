import type {
  EditingMethod,
  GraceBackend,
  KeyToken,
  LifelongData,
  LifelongRun,
  ReplacementMode,
} from '@grace/core';
import type { SentenceClassifierTokenModel } from '@grace/models-use';
import { graceMethod } from './grace-method.js';
import { medianNearestNeighbour } from './median-nearest-neighbour.js';

/** One sweep of GRACE inside USE-lite's last block: every replacement mode × key token × radius scale. */
export interface TokenLevelSweepOptions {
  readonly backend: GraceBackend;
  readonly model: SentenceClassifierTokenModel;
  readonly data: LifelongData<string>;
  readonly replacements: readonly ReplacementMode[];
  readonly keyTokens: readonly ('last' | 'mean')[];
  /** Radii as multiples of the median nearest-neighbour distance between the stream's keys. */
  readonly epsScales: readonly number[];
  readonly seed: number;
  /** Value training of every run (e.g. `{ earlyStop: true }`). */
  readonly training: { readonly iterations?: number; readonly earlyStop?: boolean };
  /** Runs one method through the lifelong protocol (fresh state). */
  readonly run: (makeMethod: () => EditingMethod<string>) => Promise<LifelongRun>;
  readonly onProgress?: (stage: string, done: number, total: number) => void;
}

export interface TokenLevelSweepResult {
  /** Median nearest-neighbour distance between the stream's token keys, per key token. */
  readonly keyScale: Readonly<Record<string, number>>;
  /** Seconds spent running the transformer for the token-level prefixes. */
  readonly tokenPrefixSeconds: number;
  readonly runs: readonly LifelongRun[];
}

/**
 * The stream's token keys as GRACE would take them (`last`: the last real token's state; `mean`: the mean over
 * the real tokens) and the median nearest-neighbour distance between them, which sets the scale of ε.
 */
async function tokenKeyScale(
  model: SentenceClassifierTokenModel,
  texts: readonly string[],
  keyTokens: readonly ('last' | 'mean')[],
): Promise<Record<string, number>> {
  const prefix = await model.prefixCache.values(texts);
  const keyInput = prefix.values.get(model.cut.editPoint.input);
  const scale: Record<string, number> = {};
  if (keyInput === undefined) return scale;
  const [, tokens = 1, width = 1] = keyInput.shape;
  for (const keyToken of keyTokens) {
    const queries = (prefix.lengths ?? []).map((length, row) => {
      const query = new Float32Array(width);
      const first = keyToken === 'last' ? length - 1 : 0;
      for (let token = first; token < length; token++)
        for (let column = 0; column < width; column++)
          query[column] =
            (query[column] as number) +
            (keyInput.data[(row * tokens + token) * width + column] as number) / (length - first);
      return query;
    });
    scale[keyToken] = medianNearestNeighbour(queries);
  }
  return scale;
}

/**
 * Runs the transformer once per text for the token-level prefixes, sets ε from the stream's key distances and
 * runs GRACE at token level for each key token, replacement mode and radius scale, one after another.
 */
export async function runTokenLevelSweep(options: TokenLevelSweepOptions): Promise<TokenLevelSweepResult> {
  const { backend, model, data } = options;
  const prefixStarted = performance.now();
  await model.prefixCache.prime(
    [...data.stream, ...data.upstream, ...data.holdout].map((item) => item.input),
    (done, total) => options.onProgress?.('token-level prefixes', done, total),
  );
  const tokenPrefixSeconds = (performance.now() - prefixStarted) / 1000;
  const keyScale = await tokenKeyScale(
    model,
    data.stream.map((item) => item.input),
    options.keyTokens,
  );
  const runs: LifelongRun[] = [];
  for (const keyToken of options.keyTokens) {
    for (const replacement of options.replacements) {
      for (const scale of options.epsScales) {
        const epsInit = Number(((keyScale[keyToken] ?? 1) * scale).toPrecision(2));
        const name = `GRACE token ffn ${replacement} key ${keyToken} ε ${epsInit}`;
        runs.push(
          await options.run(() =>
            graceMethod(name, model, {
              backend,
              epsInit,
              replacement,
              keyToken: keyToken as KeyToken,
              seed: options.seed,
              training: options.training,
            }),
          ),
        );
      }
    }
  }
  return { keyScale, tokenPrefixSeconds, runs };
}
