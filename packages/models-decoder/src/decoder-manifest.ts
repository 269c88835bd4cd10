import { readDecoderJson } from './decoder-files.js';

/** Greedy exact-match counts of one fact set, as the training script measured them in PyTorch. */
export interface FactCount {
  readonly correct: number;
  readonly total: number;
}

/** How the decoder was trained and what the training script measured (PyTorch, after training). */
export interface DecoderManifest {
  readonly seed: number;
  /** Tokens per training window, also the window of the perplexity figures. */
  readonly window: number;
  readonly steps: number;
  readonly tokensSeen: number;
  readonly trainingSeconds: number;
  /** The GPT2Config fields (vocab_size, n_positions, n_embd, n_layer, n_head, n_inner, ...). */
  readonly config: Readonly<Record<string, number>>;
  readonly speeches: {
    readonly trained: number;
    readonly heldOut: readonly number[];
    readonly trainTokens: number;
    readonly heldOutTokens: number;
  };
  /** exp(mean next-token cross-entropy) over every held-out speech, in 64-token windows. */
  readonly heldOutPerplexity: number;
  /** The same over the first 8,192 held-out tokens (what {@link heldOutSpeechWindows} gives by default). */
  readonly heldOutPerplexityFirst8192: number;
  /** Keys `trained-prompt`, `trained-holdoutPrompt`, `heldOut-prompt`, `heldOut-holdoutPrompt`. */
  readonly facts: Readonly<Record<string, FactCount>>;
}

/** The training record of the shipped decoder (`model/manifest.json`). */
export function loadDecoderManifest(): Promise<DecoderManifest> {
  return readDecoderJson<DecoderManifest>('manifest.json');
}
