import { readDecoderJson } from './decoder-files.js';

/** The five relations rendered from `countries-list`. */
export type CountryRelation = 'capital' | 'continent' | 'currency' | 'language' | 'calling-code';

/**
 * One real fact as a prompt and its true continuation, e.g. `The capital of Peru is` → `Lima .` (the final
 * `.` makes an exact match also check where the answer stops). The decoder was trained on the `prompt` +
 * `continuation` of the trained countries only; `holdoutPrompt` is a rephrasing it never saw for any country.
 */
export interface CountryFact {
  readonly country: string;
  /** ISO 3166-1 alpha-2 code of the country. */
  readonly code: string;
  readonly relation: CountryRelation;
  readonly prompt: string;
  readonly holdoutPrompt: string;
  readonly continuation: string;
  /** Whether the decoder was trained on this country's facts (false: it never saw them, and guesses). */
  readonly trained: boolean;
}

/** The fact set: which countries were trained on, and every fact of every country (sorted by code, relation). */
export interface CountryFactSet {
  readonly trainedCountryCodes: readonly string[];
  readonly facts: readonly CountryFact[];
}

/** Every fact prompt of the experiment, trained and held-out countries alike (`model/facts.json`). */
export function loadCountryFacts(): Promise<CountryFactSet> {
  return readDecoderJson<CountryFactSet>('facts.json');
}
