import { createCpuBackend } from '@grace/backend-cpu';
import { GraceEditor, SeededRandom } from '@grace/core';
import lande from 'lande';
import { describe, expect, it } from 'vitest';
import { loadUdhrSnippets, splitSnippetsByArticle } from '../udhr/udhr-snippets.js';
import { landeEditableModel } from './lande-editable-model.js';
import { loadLandeModel } from './load-lande-model.js';

describe('lande loaded into a SequentialModel', () => {
  it('agrees with lande() itself on 1,000 UDHR snippets', async () => {
    const model = await loadLandeModel();
    expect(model.languages).toHaveLength(50);
    expect(model.model.inputWidth).toBe(620);
    const snippets = await loadUdhrSnippets({ words: 4 });
    const random = new SeededRandom(5);
    const sample = Array.from(
      { length: 1000 },
      () => snippets[random.integer(0, snippets.length)]?.text as string,
    );
    const editor = new GraceEditor(landeEditableModel(model, 'dense1'), { backend: createCpuBackend() });
    const ours = await editor.predict(sample);
    const theirs = sample.map((text) => lande(text)[0]?.[0]);
    const disagreements = sample.filter((_, index) => ours[index] !== theirs[index]);
    expect(disagreements).toEqual([]);
  }, 60_000);

  it('makes real mistakes on short snippets: more on 3 words than on 6', async () => {
    const model = await loadLandeModel();
    const editor = new GraceEditor(landeEditableModel(model), { backend: createCpuBackend() });
    const errorRate = async (words: number): Promise<number> => {
      const snippets = await loadUdhrSnippets({ words });
      const predictions = await editor.predict(snippets.map((snippet) => snippet.text));
      return (
        predictions.filter((label, index) => label !== snippets[index]?.language).length / snippets.length
      );
    };
    const three = await errorRate(3);
    const six = await errorRate(6);
    expect(three).toBeGreaterThan(six);
    expect(three).toBeGreaterThan(0.15);
    expect(six).toBeGreaterThan(0.05);
  }, 60_000);

  it('splits snippets by article without sharing text across sets', async () => {
    const split = splitSnippetsByArticle(await loadUdhrSnippets({ words: 3, languages: ['eng', 'fin'] }), 1);
    const articles = (set: readonly { article: number }[]) => new Set(set.map((snippet) => snippet.article));
    for (const article of articles(split.upstream)) {
      expect(articles(split.holdout).has(article) || articles(split.stream).has(article)).toBe(false);
    }
    expect(split.stream.length).toBeGreaterThan(split.upstream.length);
  }, 60_000);
});
