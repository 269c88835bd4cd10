import { join } from 'node:path';
import { createCpuBackend } from '@grace/backend-cpu';
import { GraceEditor, type ReplacementMode } from '@grace/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createGenerator } from './create-generator.js';
import { continuationEdit, loadOnnxCausalLm, type OnnxCausalLm } from './load-onnx-causal-lm.js';
import { loadOnnxDecoder, type OnnxDecoder } from './load-onnx-decoder.js';
import { transformerFixtureDirectory } from './transformer-fixtures.js';

/**
 * The whole path: an edit trained on GPT-2 without a cache (teacher-forced target continuation, `gpt2-lm.onnx`),
 * then generation from the same weights exported with a cache (`gpt2-lm-past.onnx`), cut at the same layer. After
 * the last block's MLP projection no attention is left, so `last` can only set the first new token, while `all`
 * also replaces every generated token's output. After the first block's, the second block's attention carries
 * the replaced key token to the later ones: a `last` edit there sets a two-token continuation through the cache.
 */
const lastProjection = 'node_Gemm_307';
const blockZeroProjection = 'node_Gemm_286';
const backend = createCpuBackend();
const prompt = [12, 40, 7, 65];
const others = [
  [35, 37, 72, 78, 75],
  [29, 85],
  [42, 78, 86, 24, 70, 44, 91],
];

const models = new Map<string, { model: OnnxCausalLm; decoder: OnnxDecoder }>();
beforeAll(async () => {
  for (const editAt of [lastProjection, blockZeroProjection]) {
    models.set(editAt, {
      model: await loadOnnxCausalLm(join(transformerFixtureDirectory, 'gpt2-lm.onnx'), { editAt }),
      decoder: await loadOnnxDecoder(join(transformerFixtureDirectory, 'gpt2-lm-past.onnx'), { editAt }),
    });
  }
});
afterAll(async () => {
  for (const { model, decoder } of models.values()) await Promise.all([model.release(), decoder.release()]);
});

/** A target the unedited model does not produce: every token of its greedy continuation moved by 17. */
const movedOffGreedy = (greedy: readonly number[]) => greedy.map((token) => (token + 17) % 96);

describe.each<{ editAt: string; replacement: ReplacementMode; target: number | number[] }>([
  { editAt: lastProjection, replacement: 'all', target: 3 },
  { editAt: lastProjection, replacement: 'last', target: 1 },
  // The model echoes the token it is fed, so a repeated token is a target one value can teach (see the editing test).
  { editAt: blockZeroProjection, replacement: 'last', target: [82, 82] },
  { editAt: blockZeroProjection, replacement: 'all', target: [82, 82] },
])(
  'a trained edit at $editAt, replacement $replacement, target $target',
  ({ editAt, replacement, target: wanted }) => {
    test('generates its target continuation exactly, with and without the cache; other prompts unchanged', async () => {
      const { model, decoder } = models.get(editAt) as { model: OnnxCausalLm; decoder: OnnxDecoder };
      const plain = createGenerator(decoder);
      const maxNewTokens = typeof wanted === 'number' ? wanted : wanted.length;
      const [greedy, ...unedited] = await plain.generate([prompt, ...others], { maxNewTokens });
      const target = typeof wanted === 'number' ? movedOffGreedy(greedy?.tokens ?? []) : wanted;
      expect(greedy?.tokens).not.toEqual(target);
      const editor = new GraceEditor(model, { backend, epsInit: 0.03, replacement, keyToken: 'last' });
      const result = await editor.edit(continuationEdit(prompt, target));
      expect(result.fixed).toBe(true);
      const generator = createGenerator(decoder, editor);
      for (const cache of [true, false]) {
        const [edited, ...rest] = await generator.generate([prompt, ...others], { maxNewTokens, cache });
        expect(edited?.tokens).toEqual(target);
        expect(edited?.keyIndex).toBe(result.keyIndex);
        expect(rest.map((sequence) => sequence.tokens)).toEqual(unedited.map((sequence) => sequence.tokens));
      }
      editor.dispose();
    });
  },
);
