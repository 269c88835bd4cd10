import { GraceError } from '@grace/core';
import * as ort from 'onnxruntime-node';

/** Per-window log-likelihood sums, so that perplexities of subsets and of edited models combine exactly. */
export interface TokenLogLikelihood {
  /** Sum over the scored tokens of −log p(token | the tokens before it), in nats. */
  readonly negativeLogLikelihood: number;
  /** Tokens scored: every token of every window but its first. */
  readonly tokens: number;
}

/** exp(total negative log-likelihood / tokens): the perplexity of a {@link TokenLogLikelihood}. */
export function perplexityOf(likelihood: TokenLogLikelihood): number {
  return Math.exp(likelihood.negativeLogLikelihood / likelihood.tokens);
}

/**
 * Scores equal-length token windows with the unedited decoder (`decoder.onnx`, or any causal LM taking
 * `input_ids` and `attention_mask` and returning `logits` `[B, T, V]`) on onnxruntime-node: every token but the
 * first of each window is predicted from the ones before it. The reference TRR of the generation experiment.
 * @throws GraceError `INVALID_ARGUMENT` when the windows are empty or of different lengths.
 */
export async function scoreTokenWindows(
  session: ort.InferenceSession,
  windows: readonly (readonly number[])[],
  batchSize = 32,
): Promise<TokenLogLikelihood> {
  const length = windows[0]?.length ?? 0;
  if (length < 2 || windows.some((window) => window.length !== length)) {
    throw new GraceError('INVALID_ARGUMENT', 'windows must be non-empty, of one length ≥ 2', {
      lengths: [...new Set(windows.map((window) => window.length))],
    });
  }
  let negativeLogLikelihood = 0;
  for (let start = 0; start < windows.length; start += batchSize) {
    const batch = windows.slice(start, start + batchSize);
    const ids = BigInt64Array.from(batch.flat(), (id) => BigInt(id));
    const shape = [batch.length, length];
    const result = await session.run({
      input_ids: new ort.Tensor('int64', ids, shape),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(ids.length).fill(1n), shape),
    });
    const logits = result.logits as ort.Tensor;
    const vocabulary = logits.dims[2] as number;
    const data = logits.data as Float32Array;
    batch.forEach((window, row) => {
      for (let position = 0; position < length - 1; position++) {
        const offset = (row * length + position) * vocabulary;
        const scores = data.subarray(offset, offset + vocabulary);
        const largest = scores.reduce((maximum, score) => Math.max(maximum, score), -Infinity);
        const total = scores.reduce((sum, score) => sum + Math.exp(score - largest), 0);
        negativeLogLikelihood +=
          largest + Math.log(total) - (scores[window[position + 1] as number] as number);
      }
    });
    logits.dispose();
  }
  return { negativeLogLikelihood, tokens: windows.length * (length - 1) };
}
