import { GraceError, SeededRandom } from '@grace/core';
import { type DeclarationArticle, readDeclaration } from './udhr-declarations.js';

/**
 * Short snippets of the UDHR by language: the inputs on which lande makes its real mistakes (about 27% of
 * 3-word snippets), split by article so the stream, holdout and upstream sets never share text.
 */
export interface Snippet {
  readonly text: string;
  /** lande's ISO 639-3 code. */
  readonly language: string;
  /** 0 for the preamble. */
  readonly article: number;
}

/**
 * The udhr translation used for each of lande's 50 languages (one per language: the standard or most common
 * script and orthography).
 */
export const landeUdhrCodes: Readonly<Record<string, string>> = {
  afr: 'afr',
  ara: 'arb',
  aze: 'azj_latn',
  bel: 'bel',
  ben: 'ben',
  bul: 'bul',
  cat: 'cat',
  ces: 'ces',
  ckb: 'ckb',
  cmn: 'cmn_hans',
  dan: 'dan',
  deu: 'deu_1996',
  ell: 'ell_monotonic',
  eng: 'eng',
  est: 'est',
  eus: 'eus',
  fin: 'fin',
  fra: 'fra',
  hau: 'hau_NG',
  heb: 'heb',
  hin: 'hin',
  hrv: 'hrv',
  hun: 'hun',
  hye: 'hye',
  ind: 'ind',
  isl: 'isl',
  ita: 'ita',
  jpn: 'jpn',
  kat: 'kat',
  kaz: 'kaz',
  kor: 'kor',
  lit: 'lit',
  mar: 'mar',
  mkd: 'mkd',
  nld: 'nld',
  nob: 'nob',
  pes: 'pes_1',
  pol: 'pol',
  por: 'por_PT',
  ron: 'ron_2006',
  run: 'run',
  rus: 'rus',
  slk: 'slk',
  spa: 'spa',
  srp: 'srp_cyrl',
  swe: 'swe',
  tgl: 'tgl',
  tur: 'tur',
  ukr: 'ukr',
  vie: 'vie',
};

/** Languages written without spaces between words: windows count characters (two per "word") instead. */
const unspacedLanguages = new Set(['cmn', 'jpn']);

/** Cuts a paragraph into non-overlapping windows of `words` words; a shorter remainder is dropped. */
export function windowsOf(paragraph: string, words: number, unspaced = false): string[] {
  if (unspaced) {
    const characters = [...paragraph.replace(/[\s\p{P}]/gu, '')];
    const size = 2 * words;
    const windows: string[] = [];
    for (let start = 0; start + size <= characters.length; start += size)
      windows.push(characters.slice(start, start + size).join(''));
    return windows;
  }
  const tokens = paragraph.split(/\s+/).filter((token) => token.length > 0);
  const windows: string[] = [];
  for (let start = 0; start + words <= tokens.length; start += words)
    windows.push(tokens.slice(start, start + words).join(' '));
  return windows;
}

/** Snippets of one translation. */
export function snippetsOfDeclaration(
  articles: readonly DeclarationArticle[],
  language: string,
  words: number,
): Snippet[] {
  const unspaced = unspacedLanguages.has(language);
  return articles.flatMap((article) =>
    article.paragraphs.flatMap((paragraph) =>
      windowsOf(paragraph, words, unspaced).map((text) => ({ text, language, article: article.number })),
    ),
  );
}

/** Snippets of `words` words of every given lande language (default all 50). */
export async function loadUdhrSnippets(
  options: { readonly words?: number; readonly languages?: readonly string[] } = {},
): Promise<Snippet[]> {
  const words = options.words ?? 3;
  if (!Number.isInteger(words) || words < 1)
    throw new GraceError('INVALID_ARGUMENT', `words must be a positive integer, got ${words}`);
  const languages = options.languages ?? Object.keys(landeUdhrCodes);
  const perLanguage = await Promise.all(
    languages.map(async (language) => {
      const code = landeUdhrCodes[language];
      if (code === undefined)
        throw new GraceError('INVALID_ARGUMENT', `no UDHR translation mapped for ${language}`);
      return snippetsOfDeclaration(await readDeclaration(code), language, words);
    }),
  );
  return perLanguage.flat();
}

/** The three sets of the lifelong protocol. */
export interface SnippetSplit {
  /** Articles 1–9: the upstream task the edits must not damage (TRR). */
  readonly upstream: Snippet[];
  /** Articles 10–15: related inputs never edited (Holdout). */
  readonly holdout: Snippet[];
  /** The preamble and articles 16–30: the deployment stream, edited where the model is wrong. */
  readonly stream: Snippet[];
}

/**
 * Splits snippets by article, then shuffles the stream (seeded) so languages interleave the way a deployed
 * model would meet them.
 */
export function splitSnippetsByArticle(snippets: readonly Snippet[], seed = 0): SnippetSplit {
  const upstream = snippets.filter((snippet) => snippet.article >= 1 && snippet.article <= 9);
  const holdout = snippets.filter((snippet) => snippet.article >= 10 && snippet.article <= 15);
  const stream = snippets.filter((snippet) => snippet.article === 0 || snippet.article >= 16);
  const random = new SeededRandom(seed);
  for (let index = stream.length - 1; index > 0; index--) {
    const other = random.integer(0, index + 1);
    [stream[index], stream[other]] = [stream[other] as Snippet, stream[index] as Snippet];
  }
  return { upstream, holdout, stream };
}
