/**
 * lande's input features, ported faithfully from its `infer`: the text is normalised (hyphens to spaces,
 * everything but letters, marks and whitespace dropped, runs of whitespace collapsed, lower-cased, padded with
 * one space each side), then for each of lande's 620 n-grams (unigrams to quadgrams) the feature is that
 * n-gram's frequency among the text's n-grams of its length. Any difference here would change which inputs
 * the model gets wrong, so a test checks predictions against `lande()` itself.
 */

/** lande's n-gram vocabulary, in feature order within each length. */
export interface LandeNgramVocabulary {
  readonly unigrams: readonly string[];
  readonly bigrams: readonly string[];
  readonly trigrams: readonly string[];
  readonly quadgrams: readonly string[];
}

/** Normalises text exactly as lande does before counting n-grams. */
export function normalizeLandeText(text: string): string {
  const normalized = text
    .replace(/-+/g, ' ')
    .replace(/[^\p{L}\p{M}\s]/gu, '')
    .replace(/\s{2,}/g, ' ')
    .toLowerCase()
    .trim();
  return ` ${normalized} `;
}

/** Frequencies of the n-grams of one length, by UTF-16 slices as lande counts them. */
function ngramFrequencies(text: string, length: number): Map<string, number> {
  const counts = new Map<string, number>();
  let total = 0;
  for (let start = 0; start <= text.length - length; start++) {
    const ngram = text.slice(start, start + length);
    counts.set(ngram, (counts.get(ngram) ?? 0) + 1);
    total += 1;
  }
  for (const [ngram, count] of counts) counts.set(ngram, count / total);
  return counts;
}

/** The feature width of a vocabulary (620 for lande's t50 model). */
export function landeFeatureWidth(vocabulary: LandeNgramVocabulary): number {
  return (
    vocabulary.unigrams.length +
    vocabulary.bigrams.length +
    vocabulary.trigrams.length +
    vocabulary.quadgrams.length
  );
}

/** The model input of one text: n-gram frequencies in vocabulary order. */
export function featurizeLandeText(text: string, vocabulary: LandeNgramVocabulary): Float32Array {
  const normalized = normalizeLandeText(text);
  const features = new Float32Array(landeFeatureWidth(vocabulary));
  let offset = 0;
  const lists = [vocabulary.unigrams, vocabulary.bigrams, vocabulary.trigrams, vocabulary.quadgrams];
  for (const [position, list] of lists.entries()) {
    const frequencies = ngramFrequencies(normalized, position + 1);
    for (const [index, ngram] of list.entries()) features[offset + index] = frequencies.get(ngram) ?? 0;
    offset += list.length;
  }
  return features;
}
