import { GraceError } from '@grace/core';

/** The end-of-text token: separates speeches and facts in training; a generation stop token. */
export const END_OF_TEXT = '<eos>';
/** The token every word outside the vocabulary becomes. */
export const UNKNOWN_WORD = '<unk>';

const whitespace = new Set([' ', '\t', '\n', '\r', '\f', '\v', '\u00a0']);

/**
 * Whether a character belongs to a word: ASCII letters and the Latin letters U+00C0–U+024F except × and ÷. The
 * ranges are spelled out (no Unicode property tables) so that this port and the Python training script cannot
 * disagree between Unicode versions.
 */
function isWordCharacter(character: string): boolean {
  const code = character.codePointAt(0) as number;
  if ((code >= 65 && code <= 90) || (code >= 97 && code <= 122)) return true;
  return code >= 0xc0 && code <= 0x24f && code !== 0xd7 && code !== 0xf7;
}

/**
 * Splits text into token strings the way the decoder was trained: runs of word characters are words; whitespace
 * separates; every other character (digits, punctuation, other scripts) is a token of its own. Iterates code
 * points, as Python iterates a `str`.
 */
export function splitWords(text: string): string[] {
  const pieces: string[] = [];
  let word = '';
  for (const character of text) {
    if (isWordCharacter(character)) {
      word += character;
      continue;
    }
    if (word !== '') {
      pieces.push(word);
      word = '';
    }
    if (!whitespace.has(character)) pieces.push(character);
  }
  if (word !== '') pieces.push(word);
  return pieces;
}

const attachedToPrevious = new Set(['.', ',', ';', ':', '!', '?', ')', "'", ']']);

/**
 * The decoder's word-level tokenizer: a TypeScript port of `tools/decoder/word_tokenizer.py`, the tokenizer the
 * model was trained with (a test checks both give the same ids). Case is kept; no normalisation.
 */
export class WordTokenizer {
  /** Token strings by id. */
  readonly vocabulary: readonly string[];
  /** Id of {@link END_OF_TEXT}. */
  readonly endOfText: number;
  /** Id of {@link UNKNOWN_WORD}. */
  readonly unknown: number;
  readonly #ids: Map<string, number>;

  /** @throws GraceError `INVALID_ARGUMENT` when the vocabulary lacks `<eos>` or `<unk>` or repeats a token. */
  constructor(vocabulary: readonly string[]) {
    this.vocabulary = vocabulary;
    this.#ids = new Map(vocabulary.map((token, id) => [token, id]));
    if (this.#ids.size !== vocabulary.length) {
      throw new GraceError('INVALID_ARGUMENT', 'the vocabulary repeats a token', { size: vocabulary.length });
    }
    const endOfText = this.#ids.get(END_OF_TEXT);
    const unknown = this.#ids.get(UNKNOWN_WORD);
    if (endOfText === undefined || unknown === undefined) {
      throw new GraceError('INVALID_ARGUMENT', `the vocabulary needs ${END_OF_TEXT} and ${UNKNOWN_WORD}`, {});
    }
    this.endOfText = endOfText;
    this.unknown = unknown;
  }

  /** Token ids of `text`; words outside the vocabulary become {@link WordTokenizer.unknown}. */
  encode(text: string): number[] {
    return splitWords(text).map((piece) => this.#ids.get(piece) ?? this.unknown);
  }

  /**
   * Readable text for ids: tokens joined by spaces, none before closing punctuation. Not the inverse of
   * {@link WordTokenizer.encode} (spacing is lost in training); for display.
   * @throws GraceError `INVALID_ARGUMENT` for an id outside the vocabulary.
   */
  decode(ids: readonly number[]): string {
    let text = '';
    for (const id of ids) {
      const token = this.vocabulary[id];
      if (token === undefined) {
        throw new GraceError('INVALID_ARGUMENT', `token id ${id} is outside the vocabulary`, {
          id,
          size: this.vocabulary.length,
        });
      }
      text += text === '' || attachedToPrevious.has(token) ? token : ` ${token}`;
    }
    return text;
  }
}
