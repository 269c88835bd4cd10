import { createCpuBackend } from '@grace/backend-cpu';
import { GraceEditor, SuffixExecutor, type Tensor } from '@grace/core';
import { describe, expect, it } from 'vitest';
import { loadUseLiteModel } from '../use/load-use-lite-model.js';
import { createPooledEmbeddingCache } from '../use/pooled-embedding-cache.js';
import { loadSpamAssassinEmails, spamEmailText } from './spam-assassin-emails.js';
import { spamClasses, spamFilterEditableModel, trainSpamFilter } from './spam-filter.js';

describe('the spam filter cut at USE-lite hidden layer', () => {
  it('predicts what its head gives on the full GraphModel embedding, and an edit changes only its ball', async () => {
    const backend = createCpuBackend();
    const encoder = await loadUseLiteModel();
    const pooling = createPooledEmbeddingCache(encoder);
    const emails = loadSpamAssassinEmails();
    const sample = [
      ...emails.filter((email) => email.group === 'spam-1').slice(0, 30),
      ...emails.slice(0, 50),
    ];
    const texts = sample.map((email) => spamEmailText(email, 24));
    const filter = await trainSpamFilter({
      backend,
      encoder,
      pooling,
      texts,
      labels: sample.map((email) => email.label),
      epochs: 20,
    });
    const editor = new GraceEditor(spamFilterEditableModel(filter), { backend, epsInit: 1 });
    const before = await editor.predict(texts);

    // The reference: the whole GraphModel on tfjs, then the head on its embedding.
    const embeddings = await encoder.embed(texts);
    const executor = new SuffixExecutor(backend, filter.head.graph({ withLoss: false }));
    const input = backend.upload(embeddings, [texts.length, encoder.width]);
    const prediction = executor.run({ feeds: { input }, outputs: ['prediction'] }).outputs.get('prediction');
    const logits = await backend.download(prediction as Tensor<'float32'>);
    const reference = filter.head
      .decodePredictions(logits, [texts.length, 2])
      .map((id) => spamClasses[id as number]);
    expect(before).toEqual(reference);

    // Teach it one e-mail the other way round: fixed, and nothing else changes at a small radius.
    const target = before[0] === 'spam' ? 'ham' : 'spam';
    const result = await editor.edit({ input: texts[0] as string, label: target });
    expect(result.fixed).toBe(true);
    const after = await editor.predict(texts);
    expect(after[0]).toBe(target);
    expect(after.slice(1)).toEqual(before.slice(1));
    editor.dispose();
  }, 300_000);
});
