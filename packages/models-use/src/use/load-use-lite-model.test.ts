import { createCpuBackend } from '@grace/backend-cpu';
import { SuffixExecutor, type Tensor } from '@grace/core';
import { describe, expect, it } from 'vitest';
import { loadUseLiteModel } from './load-use-lite-model.js';
import { useLiteEmbeddingGraph } from './use-lite-graph.js';

const sentences = [
  'Congratulations! You have won a free cruise, click here to claim your prize.',
  'The meeting is moved to Thursday at 3pm, see the agenda attached.',
  'Hi',
  '',
  'Re: [SAtalk] patch for the razor2 check in spamassassin 2.50',
];

describe('USE-lite loaded offline on tfjs wasm', () => {
  it('gives 512-d unit-norm embeddings, and the pooled prefix + our graph IR suffix reproduce them', async () => {
    const model = await loadUseLiteModel();
    expect(model.width).toBe(512);
    const embeddings = await model.embed(sentences);
    expect(embeddings).toHaveLength(sentences.length * 512);
    for (let row = 0; row < sentences.length; row++) {
      const vector = embeddings.subarray(row * 512, (row + 1) * 512);
      expect(Math.hypot(...vector)).toBeCloseTo(1, 4);
    }
    const pooled = await model.pool(sentences);
    const backend = createCpuBackend();
    const executor = new SuffixExecutor(backend, useLiteEmbeddingGraph(model));
    const input = backend.upload(pooled, [sentences.length, 512]);
    const { outputs } = executor.run({ feeds: { pooled: input }, outputs: ['embedding'] });
    const ours = await backend.download(outputs.get('embedding') as Tensor<'float32'>);
    let largest = 0;
    for (const [index, value] of ours.entries()) {
      largest = Math.max(largest, Math.abs(value - (embeddings[index] as number)));
    }
    expect(largest).toBeLessThan(1e-4);
    // Different sentences get different embeddings; a batch gives what each sentence gives alone.
    const alone = await model.embed([sentences[1] as string]);
    for (const [index, value] of alone.entries())
      expect(value).toBeCloseTo(embeddings[512 + index] as number, 4);
    expect(Math.abs((embeddings[0] as number) - (embeddings[512] as number))).toBeGreaterThan(0);
  }, 120_000);
});
