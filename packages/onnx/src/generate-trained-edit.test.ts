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
 * then generation from the same weights exported with a cache (`gpt2-lm-past.onnx`), cut at the same layer: the
 * last block's MLP projection (the layer whose suffix value training imports today). After it no attention is
 * left, so `last` can only set the first new token, while `all` also replaces every generated token's output.
 */
const editAt = 'node_Gemm_307';
const backend = createCpuBackend();
const prompt = [12, 40, 7, 65];
const others = [
  [35, 37, 72, 78, 75],
  [29, 85],
  [42, 78, 86, 24, 70, 44, 91],
];

let model: OnnxCausalLm;
let decoder: OnnxDecoder;
beforeAll(async () => {
  model = await loadOnnxCausalLm(join(transformerFixtureDirectory, 'gpt2-lm.onnx'), { editAt });
  decoder = await loadOnnxDecoder(join(transformerFixtureDirectory, 'gpt2-lm-past.onnx'), { editAt });
});
afterAll(async () => Promise.all([model.release(), decoder.release()]));

describe.each<{ replacement: ReplacementMode; targetLength: number }>([
  { replacement: 'all', targetLength: 3 },
  { replacement: 'last', targetLength: 1 },
])('a trained edit, replacement $replacement, target of $targetLength', ({ replacement, targetLength }) => {
  test('generates its target continuation exactly, with and without the cache; other prompts unchanged', async () => {
    const plain = createGenerator(decoder);
    const maxNewTokens = targetLength;
    const [greedy, ...unedited] = await plain.generate([prompt, ...others], { maxNewTokens });
    // A target the unedited model does not produce: every token moved off its greedy choice.
    const target = (greedy?.tokens ?? []).map((token) => (token + 17) % decoder.vocabularySize);
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
});
