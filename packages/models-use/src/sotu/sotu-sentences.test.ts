import { describe, expect, it } from 'vitest';
import { loadSotuSentences, partyClasses } from './sotu-sentences.js';

describe('State of the Union sentences', () => {
  it('reads the Democratic and Republican addresses from the installed package, sentence by sentence', () => {
    const sentences = loadSotuSentences();
    expect(sentences.length).toBeGreaterThan(40_000);
    expect(new Set(sentences.map((sentence) => sentence.party))).toEqual(new Set(partyClasses));
    const years = sentences.map((sentence) => sentence.year);
    expect(Math.min(...years)).toBe(1829);
    expect(years).toEqual([...years].sort((left, right) => left - right));
    for (const sentence of sentences.slice(0, 2000)) {
      const words = sentence.text.split(' ').length;
      expect(words).toBeGreaterThanOrEqual(8);
      expect(words).toBeLessThanOrEqual(40);
      expect(sentence.text).toMatch(/[.!?]["')\]]*$|[^.!?]$/);
    }
    const lincoln = sentences.find((sentence) => sentence.year === 1862);
    expect(lincoln).toMatchObject({ president: 'Abraham Lincoln', party: 'Republican' });
  }, 60_000);

  it('keeps only sentences within the word bounds asked for', () => {
    const short = loadSotuSentences({ minimumWords: 3, maximumWords: 6 });
    expect(short.length).toBeGreaterThan(0);
    expect(short.every((sentence) => sentence.text.split(' ').length <= 6)).toBe(true);
  }, 60_000);
});
