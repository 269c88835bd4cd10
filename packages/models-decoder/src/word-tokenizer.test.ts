import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { GraceError } from '@grace/core';
import { describe, expect, it } from 'vitest';
import { loadCountryFacts } from './country-facts.js';
import { readDecoderJson } from './decoder-files.js';
import { loadHeldOutSpeeches } from './held-out-speeches.js';
import { splitWords, WordTokenizer } from './word-tokenizer.js';

/** Ids recorded from the Python tokenizer the decoder was trained with (tools/decoder/record_tokenizer_ids.py). */
interface RecordedIds {
  readonly texts: readonly { readonly text: string; readonly ids: readonly number[] }[];
  readonly speeches: readonly { readonly year: number; readonly tokens: number; readonly digest: string }[];
  readonly facts: { readonly tokens: number; readonly digest: string };
}

const digest = (ids: readonly number[]) =>
  createHash('sha256').update(ids.join(',')).digest('hex').slice(0, 16);

async function loadTokenizer(): Promise<WordTokenizer> {
  return new WordTokenizer(await readDecoderJson<string[]>('vocabulary.json'));
}

describe('WordTokenizer', () => {
  it('gives the Python tokenizer’s ids on fixed strings, every held-out speech and every fact', async () => {
    const recorded = JSON.parse(
      await readFile(new URL('./fixtures/tokenizer-ids.json', import.meta.url), 'utf8'),
    ) as RecordedIds;
    const tokenizer = await loadTokenizer();
    for (const { text, ids } of recorded.texts) expect(tokenizer.encode(text), text).toEqual(ids);
    const speeches = await loadHeldOutSpeeches();
    expect(speeches.map((speech) => speech.year)).toEqual(recorded.speeches.map((speech) => speech.year));
    speeches.forEach((speech, index) => {
      const ids = tokenizer.encode(speech.text);
      expect({ year: speech.year, tokens: ids.length, digest: digest(ids) }).toEqual(
        recorded.speeches[index],
      );
    });
    const { facts } = await loadCountryFacts();
    const factText = facts
      .map((fact) => `${fact.prompt}\n${fact.holdoutPrompt}\n${fact.continuation}`)
      .join('\n');
    const factIds = tokenizer.encode(factText);
    expect({ tokens: factIds.length, digest: digest(factIds) }).toEqual(recorded.facts);
  });

  it('splits words, digits and punctuation, keeps case and Latin letters, and maps the rest to <unk>', async () => {
    expect(splitWords("The capital of Côte d'Ivoire is 1,2.")).toEqual([
      'The',
      'capital',
      'of',
      'Côte',
      'd',
      "'",
      'Ivoire',
      'is',
      '1',
      ',',
      '2',
      '.',
    ]);
    expect(splitWords('a×b  ÷\u00a0c')).toEqual(['a', '×', 'b', '÷', 'c']);
    const tokenizer = await loadTokenizer();
    expect(tokenizer.encode('xyzzyplugh')).toEqual([tokenizer.unknown]);
    expect(tokenizer.decode(tokenizer.encode('The capital of Peru is Lima .'))).toBe(
      'The capital of Peru is Lima.',
    );
  });

  it('refuses a vocabulary without <eos> and an id outside the vocabulary', async () => {
    expect(() => new WordTokenizer(['a', '<unk>'])).toThrow(GraceError);
    expect(() => new WordTokenizer(['<eos>', '<unk>', 'a', 'a'])).toThrow(/repeats/);
    const tokenizer = await loadTokenizer();
    expect(() => tokenizer.decode([tokenizer.vocabulary.length])).toThrow(/outside the vocabulary/);
  });
});
