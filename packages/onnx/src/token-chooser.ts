import { GraceError, SeededRandom } from '@grace/core';

/** Seeded sampling of the next token; without it, generation is greedy (the arg-max, first on ties). */
export interface SamplingOptions {
  /** Seed of the draws: the same seed, prompts and model give the same tokens. */
  readonly seed: number;
  /** Divides the logits before the softmax; default 1. Must be > 0. */
  readonly temperature?: number;
  /** Draw among the `topK` most likely tokens only; default every token. */
  readonly topK?: number;
}

/**
 * Picks each row's next token from its logits: greedy, or a seeded draw from the softmax of the logits over
 * the temperature (optionally restricted to the top k). One stream of draws per generation, taken in row order,
 * so a generation with and without the cache draws the same numbers for the same logits.
 */
export class TokenChooser {
  private readonly random: SeededRandom | undefined;
  private readonly temperature: number;
  private readonly topK: number | undefined;

  constructor(sampling: SamplingOptions | undefined) {
    const temperature = sampling?.temperature ?? 1;
    if (!(temperature > 0) || !Number.isFinite(temperature)) {
      throw new GraceError('INVALID_ARGUMENT', `sampling.temperature must be > 0, got ${temperature}`, {
        temperature,
      });
    }
    const topK = sampling?.topK;
    if (topK !== undefined && !(Number.isInteger(topK) && topK >= 1)) {
      throw new GraceError('INVALID_ARGUMENT', `sampling.topK must be an integer ≥ 1, got ${topK}`, { topK });
    }
    if (sampling !== undefined && !Number.isInteger(sampling.seed)) {
      throw new GraceError('INVALID_ARGUMENT', `sampling.seed must be an integer, got ${sampling.seed}`, {
        seed: sampling.seed,
      });
    }
    this.random = sampling === undefined ? undefined : new SeededRandom(sampling.seed);
    this.temperature = temperature;
    this.topK = topK;
  }

  /** The next token from `logits` `[V]` (one row's). */
  choose(logits: Float32Array): number {
    if (this.random === undefined) return argMax(logits);
    const order = Array.from(logits.keys()).sort(
      (left, right) => (logits[right] as number) - (logits[left] as number),
    );
    const candidates = order.slice(0, this.topK ?? order.length);
    const highest = logits[candidates[0] as number] as number;
    const weights = candidates.map((token) =>
      Math.exp(((logits[token] as number) - highest) / this.temperature),
    );
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    let draw = this.random.next() * total;
    for (const [index, weight] of weights.entries()) {
      draw -= weight;
      if (draw < 0) return candidates[index] as number;
    }
    return candidates[candidates.length - 1] as number;
  }
}

function argMax(values: Float32Array): number {
  let best = 0;
  for (let index = 1; index < values.length; index++) {
    if ((values[index] as number) > (values[best] as number)) best = index;
  }
  return best;
}
