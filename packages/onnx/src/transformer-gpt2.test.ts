import { join } from 'node:path';
import { createCpuBackend } from '@grace/backend-cpu';
import { GraceEditor, type ReplacementMode, SeededRandom } from '@grace/core';
import type * as ort from 'onnxruntime-node';
import { describe, expect, test } from 'vitest';
import { listEditPoints } from './cut-onnx-model.js';
import { type CausalLmInput, continuationEdit, loadOnnxCausalLm } from './load-onnx-causal-lm.js';
import { batchFeeds } from './onnx-inputs.js';
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
const lastProjection = 'node_Gemm_307';

test('the Gemm on folded tokens is listed lifted to [B, T, D], with its own [B·T] tensors beside', async () => {
  const points = await listEditPoints(await readOnnxModel(modelPath));
  const point = points.find((entry) => entry.name === lastProjection);
  expect(point).toMatchObject({
    input: 'mul_280',
    output: 'view_25',
    inputShape: ['batch', 'sequence', 64],
    outputShape: ['batch', 'sequence', 32],
    flattened: { input: 'view_24', output: 'addmm_7' },
  });
});

test('prefix + imported suffix agree with PyTorch on the padded reference batch (≤ 1e-4)', async () => {
  const model = await loadOnnxCausalLm(modelPath, { editAt: lastProjection, backend });
  const logits = await predictThroughImport(model.onnx, backend, tokenExamples(reference.inputs));
  const expected = (reference.expected as number[][][]).flat(2);
  const difference = Math.max(...expected.map((value, index) => Math.abs(value - (logits[index] as number))));
  expect(difference).toBeLessThanOrEqual(1e-4);
  await model.release();
});

test('T is symbolic: each batch pads to its longest row, and the import agrees with onnxruntime at any T', async () => {
  const model = await loadOnnxCausalLm(modelPath, { editAt: lastProjection });
  expect(model.onnx.inputSpecs.map((spec) => spec.exampleShape)).toEqual([['sequence'], ['sequence']]);
  for (const batch of [
    [{ prompt: [5, 6] }],
    [{ prompt: [5, 6], continuation: [7] }, { prompt: [1, 2, 3, 4, 5, 6, 7] }],
  ]) {
    const records = model.tokenRecords(batch);
    const longest = Math.max(
      ...batch.map((input) => input.prompt.length + (input.continuation?.length ?? 0)),
    );
    expect(records.map((record) => record.input_ids?.length)).toEqual(batch.map(() => longest));
    const logits = await predictThroughImport(model.onnx, backend, records);
    const whole = await model.onnx.fullSession.run(batchFeeds(model.onnx.inputSpecs, records));
    const expected = (whole.logits as ort.Tensor).data as Float32Array;
    expect(logits.length).toBe(batch.length * longest * 96);
    expect(
      Math.max(...expected.map((value, index) => Math.abs(value - (logits[index] as number)))),
    ).toBeLessThan(1e-5);
  }
  // The first row's next token is the same alone and padded beside a longer row.
  const alone = await model.decodePredictions(
    await predictThroughImport(model.onnx, backend, model.tokenRecords([{ prompt: [5, 6] }])),
    [1, 2, 96],
    [{ prompt: [5, 6] }],
  );
  const padded = await model.decodePredictions(
    await predictThroughImport(
      model.onnx,
      backend,
      model.tokenRecords([{ prompt: [5, 6] }, { prompt: [1, 2, 3, 4, 5] }]),
    ),
    [2, 5, 96],
    [{ prompt: [5, 6] }, { prompt: [1, 2, 3, 4, 5] }],
  );
  expect(padded[0]).toEqual(alone[0]);
  await model.release();
});

/** `count` prompts of 2 to 5 random ids in [1, 96), from `seed`. */
function randomPrompts(count: number, seed: number): CausalLmInput[] {
  const random = new SeededRandom(seed);
  return Array.from({ length: count }, () => ({
    prompt: Array.from({ length: random.integer(2, 6) }, () => random.integer(1, 96)),
  }));
}

const blockZeroProjection = 'node_Gemm_286';

test('a cut at the first block’s c_proj holds the second block’s attention, and agrees with PyTorch (≤ 1e-4)', async () => {
  const model = await loadOnnxCausalLm(modelPath, { editAt: blockZeroProjection, backend });
  const ops = new Set(model.suffix.nodes.map((node) => node.opType));
  // Split as Gathers, the head transposes, scores under the additive mask, Softmax and its NaN guard.
  for (const op of ['Gather', 'Transpose', 'MatMul', 'Softmax', 'IsNaN', 'Where', 'LayerNormalization'])
    expect(ops).toContain(op);
  expect(model.onnx.cut.crossingTensors).toContain('val_99'); // the [B, 1, T, T] mask, from the prefix
  const logits = await predictThroughImport(model.onnx, backend, tokenExamples(reference.inputs));
  const expected = (reference.expected as number[][][]).flat(2);
  const difference = Math.max(...expected.map((value, index) => Math.abs(value - (logits[index] as number))));
  expect(difference).toBeLessThanOrEqual(1e-4);
  await model.release();
});

/**
 * After the last block only a token's own MLP output reaches its logits; after the first block, the second
 * block's attention carries each token to the later ones. In this small random-weight model that path is weak
 * (each block's layer norm bounds what a replaced token carries through attention weights of size 0.02), so a
 * `prompt` edit, which leaves the key token and the continuation alone, fixes nothing at either cut: the editor
 * says so. Targets repeat their token because the model, with tied embeddings, echoes the token it is fed.
 */
describe.each<{
  editAt: string;
  replacement: ReplacementMode;
  target: number[];
  fixes: boolean;
  spanLength?: number;
}>([
  { editAt: lastProjection, replacement: 'all', target: [82], fixes: true },
  { editAt: lastProjection, replacement: 'last', target: [82], fixes: true },
  { editAt: lastProjection, replacement: 'prompt', target: [82], fixes: false },
  // The key token alone changes only its own logits after the last block: a longer target stays wrong.
  { editAt: lastProjection, replacement: 'last', target: [82, 17, 17], fixes: false },
  // A span of three vectors, one per position from the key token on, writes each target token's own output.
  { editAt: lastProjection, replacement: 'span', spanLength: 3, target: [82, 17, 17], fixes: true },
  { editAt: blockZeroProjection, replacement: 'all', target: [82, 82], fixes: true },
  { editAt: blockZeroProjection, replacement: 'last', target: [82, 82], fixes: true },
  { editAt: blockZeroProjection, replacement: 'prompt', target: [82], fixes: false },
])(
  'an edit at $editAt, replacement $replacement, target $target',
  ({ editAt, replacement, target, fixes, spanLength }) => {
    test(
      fixes ? 'fixes its target continuation, observed; 20 others bit-identical' : 'is reported unfixed',
      async () => {
        const model = await loadOnnxCausalLm(modelPath, { editAt });
        const editor = new GraceEditor(model, {
          backend,
          epsInit: 0.03,
          replacement,
          keyToken: 'last',
          ...(spanLength === undefined ? {} : { spanLength }),
        });
        const prompt = [12, 40, 7, 65];
        const [unedited] = await editor.predict([{ prompt, continuation: target }]);
        expect(unedited).not.toEqual(target);
        const others = randomPrompts(20, 5).map((input) => ({ ...input, continuation: [3, 9] }));
        const before = await editor.predictWithDetails(others);
        const result = await editor.edit(continuationEdit(prompt, target));
        expect(result.operation).toBe('ADD');
        expect(result.firedKey).toBe(0);
        expect(result.fixed).toBe(fixes);
        const [observed] = await editor.predict([{ prompt, continuation: target }]);
        if (fixes) expect(observed).toEqual(target);
        else expect(observed).not.toEqual(target);
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
