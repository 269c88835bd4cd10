import { join } from 'node:path';
import { createCpuBackend } from '@grace/backend-cpu';
import { GraceEditor, type ReplacementMode, SeededRandom } from '@grace/core';
import { describe, expect, test } from 'vitest';
import { listEditPoints } from './cut-onnx-model.js';
import { type CausalLmInput, continuationEdit, loadOnnxCausalLm } from './load-onnx-causal-lm.js';
import { readOnnxModel } from './read-onnx-model.js';
import {
  predictThroughImport,
  tokenExamples,
  transformerFixtureDirectory,
  transformerReference,
} from './transformer-fixtures.js';

/**
 * GPT-2 from the dynamo exporter (opset 18, weights in `gpt2-lm.onnx.data`), which writes each Linear as a Gemm
 * on tokens folded into rows (`[B·T, D]` between two Reshapes). Cut at its last block's MLP projection (c_proj),
 * lifted back to `[B, T, D]`, and edited as a causal language model: prompt + target continuation, teacher-forced.
 */
const backend = createCpuBackend();
const reference = transformerReference('gpt2-lm');
const modelPath = join(transformerFixtureDirectory, reference.file);
const tokens = reference.inputs.input_ids[0]?.length ?? 0;
const lastProjection = 'node_Gemm_307';

test('the Gemm on folded tokens is listed lifted to [B, T, D], with its own [B·T] tensors beside', async () => {
  const points = await listEditPoints(await readOnnxModel(modelPath), { dimensions: { sequence: tokens } });
  const point = points.find((entry) => entry.name === lastProjection);
  expect(point).toMatchObject({
    input: 'mul_280',
    output: 'view_25',
    inputShape: ['batch', tokens, 64],
    outputShape: ['batch', tokens, 32],
    flattened: { input: 'view_24', output: 'addmm_7' },
  });
});

test('prefix + imported suffix agree with PyTorch on the padded reference batch (≤ 1e-4)', async () => {
  const model = await loadOnnxCausalLm(modelPath, {
    editAt: lastProjection,
    dimensions: { sequence: tokens },
    backend,
  });
  const logits = await predictThroughImport(model.onnx, backend, tokenExamples(reference.inputs));
  const expected = (reference.expected as number[][][]).flat(2);
  const difference = Math.max(...expected.map((value, index) => Math.abs(value - (logits[index] as number))));
  expect(difference).toBeLessThanOrEqual(1e-4);
  await model.release();
});

/** `count` prompts of 2 to 5 random ids in [1, 96), from `seed`. */
function randomPrompts(count: number, seed: number): CausalLmInput[] {
  const random = new SeededRandom(seed);
  return Array.from({ length: count }, () => ({
    prompt: Array.from({ length: random.integer(2, 6) }, () => random.integer(1, 96)),
  }));
}

describe.each<{ replacement: ReplacementMode; targetLength: number; fixes: boolean }>([
  { replacement: 'all', targetLength: 1, fixes: true },
  { replacement: 'last', targetLength: 1, fixes: true },
  // The tokens before the key token reach no later position after the last block (no attention is left), so a
  // `prompt` edit there cannot change the continuation: the editor says so.
  { replacement: 'prompt', targetLength: 1, fixes: false },
  // The key token alone changes only its own logits after the last block: a longer target stays wrong.
  { replacement: 'last', targetLength: 3, fixes: false },
])(
  'an edit at the last block’s c_proj, replacement $replacement, target of $targetLength',
  ({ replacement, targetLength, fixes }) => {
    test(
      fixes ? 'fixes its target continuation, observed; 20 others bit-identical' : 'is reported unfixed',
      async () => {
        const model = await loadOnnxCausalLm(modelPath, {
          editAt: lastProjection,
          dimensions: { sequence: tokens },
        });
        const editor = new GraceEditor(model, { backend, epsInit: 0.03, replacement, keyToken: 'last' });
        const prompt = [12, 40, 7, 65];
        const [greedy] = (await editor.predict([
          { prompt, continuation: new Array(targetLength).fill(0) },
        ])) as [number[]];
        // A target the unedited model does not produce: each token moved off the arg-max.
        const target = greedy.map((id) => (id + 17) % 96);
        const others = randomPrompts(20, 5).map((input) => ({ ...input, continuation: [3, 9] }));
        const before = await editor.predictWithDetails(others);
        const result = await editor.edit(continuationEdit(prompt, target));
        expect(result.operation).toBe('ADD');
        expect(result.firedKey).toBe(0);
        expect(result.fixed).toBe(fixes);
        const observed = await editor.predict([{ prompt, continuation: target }]);
        if (fixes) expect(observed[0]).toEqual(target);
        else expect(observed[0]).not.toEqual(target);
        const after = await editor.predictWithDetails(others);
        expect([...after.keyIndices]).toEqual(new Array(20).fill(-1));
        expect(after.scores.classScores).toEqual(before.scores.classScores);
        expect(after.labels).toEqual(before.labels);
        editor.dispose();
        await model.release();
      },
    );
  },
);
