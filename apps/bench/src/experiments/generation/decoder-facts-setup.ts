import { type LabelledExample, SeededRandom } from '@grace/core';
import {
  type CountryFact,
  heldOutSpeechWindows,
  loadCountryFacts,
  loadHeldOutSpeeches,
  readDecoderJson,
  WordTokenizer,
} from '@grace/models-decoder';
import type { CausalLmInput } from '@grace/onnx';

/** A fact as the editor sees it: the prompt's ids, the true continuation's ids fed by teacher forcing, and both as the label. */
export type FactExample = LabelledExample<CausalLmInput> & { readonly fact: CountryFact };

/** The fixed sets and the stream of the decoder's hallucination run. */
export interface DecoderFactsSetup {
  readonly tokenizer: WordTokenizer;
  /** Every fact's training prompt (all countries), shuffled with the seed: the deployment stream. */
  readonly stream: readonly FactExample[];
  /** The same facts asked with the holdout template (a rephrasing never trained on). */
  readonly holdoutOf: ReadonlyMap<CountryFact, FactExample>;
  /**
   * Held-out speech text for TRR: 64-token windows split in half, the first 32 tokens the prompt (GRACE decides at
   * its last token) and the next 32 the continuation whose perplexity is measured.
   */
  readonly upstreamText: readonly CausalLmInput[];
}

/** One fact as an edit example: `{ prompt, continuation }` ids, label = continuation ids. */
export function factExample(tokenizer: WordTokenizer, fact: CountryFact, prompt: string): FactExample {
  const continuation = tokenizer.encode(fact.continuation);
  return { input: { prompt: tokenizer.encode(prompt), continuation }, label: continuation, fact };
}

/** Loads the shipped facts, vocabulary and held-out speeches and renders the experiment's sets. */
export async function prepareDecoderFacts(options: {
  readonly seed: number;
  /** Keep only the first this many stream facts (after shuffling), for a shorter run. Default: all. */
  readonly facts?: number;
  /** Tokens of held-out speech for TRR (a multiple of 64). Default 4,096. */
  readonly upstreamTokens?: number;
}): Promise<DecoderFactsSetup> {
  const tokenizer = new WordTokenizer(await readDecoderJson<string[]>('vocabulary.json'));
  const { facts } = await loadCountryFacts();
  const order = [...facts];
  const random = new SeededRandom(options.seed);
  for (let index = order.length - 1; index > 0; index--) {
    const other = Math.floor(random.next() * (index + 1));
    [order[index], order[other]] = [order[other] as CountryFact, order[index] as CountryFact];
  }
  const kept = order.slice(0, options.facts ?? order.length);
  const windows = heldOutSpeechWindows(tokenizer, await loadHeldOutSpeeches(), {
    maxTokens: options.upstreamTokens ?? 4096,
  });
  return {
    tokenizer,
    stream: kept.map((fact) => factExample(tokenizer, fact, fact.prompt)),
    holdoutOf: new Map(kept.map((fact) => [fact, factExample(tokenizer, fact, fact.holdoutPrompt)])),
    upstreamText: windows.map((window) => ({ prompt: window.slice(0, 32), continuation: window.slice(32) })),
  };
}
