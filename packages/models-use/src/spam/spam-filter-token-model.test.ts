import { createCpuBackend } from '@grace/backend-cpu';
import { GraceEditor } from '@grace/core';
import { describe, expect, it } from 'vitest';
import { loadUseLiteModel } from '../use/load-use-lite-model.js';
import { createPooledEmbeddingCache } from '../use/pooled-embedding-cache.js';
import { loadSpamAssassinEmails, spamEmailText } from './spam-assassin-emails.js';
import { spamFilterEditableModel, spamFilterTokenModel, trainSpamFilter } from './spam-filter.js';

describe('the spam filter cut inside USE-lite at token level', () => {
  it('predicts as the pooled cut does, and a token-level edit fixes its e-mail and changes no other', async () => {
    const backend = createCpuBackend();
    const encoder = await loadUseLiteModel();
    const pooling = createPooledEmbeddingCache(encoder);
    const emails = loadSpamAssassinEmails();
    const sample = [
      ...emails.filter((email) => email.group === 'spam-1').slice(0, 20),
      ...emails.slice(0, 30),
    ];
    const texts = sample.map((email) => spamEmailText(email, 16));
    const filter = await trainSpamFilter({
      backend,
      encoder,
      pooling,
      texts,
      labels: sample.map((email) => email.label),
      epochs: 20,
    });
    // Verified at load: the imported block tail, pooling and dense layer on the cpu backend against tfjs.
    const model = await spamFilterTokenModel(filter, { backend });
    expect(model.keyDimension).toBe(512);
    expect(model.cut.crossingTensors).toHaveLength(3);
    const pooledEditor = new GraceEditor(spamFilterEditableModel(filter), { backend });
    const before = await new GraceEditor(model, { backend }).predict(texts);
    expect(before).toEqual(await pooledEditor.predict(texts));
    expect(model.prefixCache.size).toBe(texts.length);

    for (const [replacement, keyToken] of [
      ['last', 'last'],
      ['all', 'mean'],
      ['prompt', 'last'],
    ] as const) {
      const editor = new GraceEditor(model, { backend, epsInit: 1, replacement, keyToken });
      const target = before[0] === 'spam' ? 'ham' : 'spam';
      const result = await editor.edit({ input: texts[0] as string, label: target });
      expect(result.fixed).toBe(true);
      const details = await editor.predictWithDetails(texts);
      expect(details.labels[0]).toBe(target);
      expect(details.labels.slice(1)).toEqual(before.slice(1));
      expect(Array.from(details.keyIndices.slice(1)).every((index) => index === -1)).toBe(true);
      editor.dispose();
    }
  }, 240_000);
});
