import { join } from 'node:path';
import { createCpuBackend } from '@grace/backend-cpu';
import { GraceEditor, type KeyToken, type ReplacementMode } from '@grace/core';
import * as ort from 'onnxruntime-node';
import { describe, expect, test } from 'vitest';
import { buildSingleGraphModel } from './export-edited-model.js';
import { loadOnnxModel, type OnnxEditableModel } from './load-onnx-model.js';
import { batchFeeds } from './onnx-inputs.js';
import { predictWithSuffixSession } from './predict-with-suffix-session.js';
import {
  predictThroughImport,
  randomTokenExamples,
  tokenExamples,
  transformerFixtureDirectory,
  transformerReference,
} from './transformer-fixtures.js';

/**
 * BERT and DistilBERT classifiers from the TorchScript exporter (opset 17, dynamic batch and sequence), edited at
 * their second block's FFN output: the suffix holds the residual Add, LayerNormalization, the head's Gather of
 * token 0, and the head's Gemms with Tanh (BERT's pooler) or Relu (DistilBERT's pre-classifier).
 */
const backend = createCpuBackend();

/** The exported single graph's logits and the editor's serving path's (lookup + suffix session), side by side. */
async function exportedAndServed(
  model: OnnxEditableModel,
  editor: GraceEditor<Record<string, number[]>>,
  inputs: readonly Record<string, number[]>[],
) {
  const served = await predictWithSuffixSession(model, editor, inputs);
  const graph = buildSingleGraphModel(model, editor.codebook, editor.layer);
  const session = await ort.InferenceSession.create(graph);
  const exported = (await session.run(batchFeeds(model.inputSpecs, inputs)))[
    model.modelPredictionOutput
  ] as ort.Tensor;
  await session.release();
  return { served: served.prediction.data as Float32Array, exported: exported.data as Float32Array };
}

const fixtures = [
  { key: 'bert-classifier', editAt: '/bert/encoder/layer.1/output/dense/MatMul' },
  { key: 'distilbert-classifier', editAt: '/distilbert/transformer/layer.1/ffn/lin2/MatMul' },
];

describe.each(fixtures)('$key (TorchScript exporter) cut at $editAt', ({ key, editAt }) => {
  const reference = transformerReference(key);
  const examples = tokenExamples(reference.inputs);
  const tokens = reference.inputs.input_ids[0]?.length ?? 0;
  const modelPath = join(transformerFixtureDirectory, reference.file);

  test('prefix + imported suffix agree with PyTorch on the padded reference batch (≤ 1e-4)', async () => {
    const model = await loadOnnxModel(modelPath, { editAt, dimensions: { sequence: tokens }, backend });
    expect(model.suffix.nodes.map((node) => node.opType)).toContain('Gather');
    const logits = await predictThroughImport(model, backend, examples);
    const expected = (reference.expected as number[][]).flat();
    const difference = Math.max(
      ...expected.map((value, index) => Math.abs(value - (logits[index] as number))),
    );
    expect(difference).toBeLessThanOrEqual(1e-4);
    const prefix = await model.runPrefix(backend, examples);
    expect(prefix.lengths).toEqual([7, 4, 9]);
    await model.release();
  });

  /**
   * After the last block only token 0 reaches the prediction (the pooler), so each mode is paired with key tokens
   * whose replaced tokens include token 0: `all` with any key token, `last` at index 0, `prompt` (the tokens
   * before the key token) with a key token after it.
   */
  const reachable: readonly [ReplacementMode, KeyToken][] = [
    ['all', 'last'],
    ['all', 'mean'],
    ['all', { index: 0 }],
    ['last', { index: 0 }],
    ['prompt', 'last'],
    ['prompt', 'mean'],
    ['prompt', { index: 1 }],
  ];
  const edited = examples[1] as Record<string, number[]>;
  // In this small random-weight model a token's activation depends mostly on the token itself: another input
  // with the same token 1 lies 0.003 from the edited input's token-1 key, so for GRACE it is the same query.
  // Unrelated inputs are those that share none of the key tokens tested here (tokens 0 and 1).
  const others = randomTokenExamples(60, tokens, 96, 7)
    .filter((other) => [0, 1].every((token) => other.input_ids?.[token] !== edited.input_ids?.[token]))
    .slice(0, 20);
  for (const [replacement, keyToken] of reachable) {
    const tokenName = typeof keyToken === 'object' ? `index ${keyToken.index}` : keyToken;
    test(`an edit (${replacement}, key token ${tokenName}) fixes its input and leaves 20 others bit-identical`, async () => {
      const model = await loadOnnxModel(modelPath, { editAt, dimensions: { sequence: tokens } });
      // Activations of these small random models have norms near 0.5; the 20 others lie ≥ 0.29 away (BERT).
      const editor = new GraceEditor(model, { backend, epsInit: 0.1, replacement, keyToken });
      const before = await editor.predictWithDetails(others);
      const input = edited;
      const [current] = await editor.predict([input]);
      const label = ((current as number) + 1) % 3;
      const result = await editor.edit({ input, label });
      expect(result.fixed).toBe(true);
      expect(await editor.predict([input])).toEqual([label]);
      const after = await editor.predictWithDetails(others);
      expect(Array.from(after.keyIndices)).toEqual(new Array(20).fill(-1));
      expect(after.scores).toEqual(before.scores);
      // The single graph reads each row's key token from the attention mask too, and agrees with the editor.
      const { served, exported } = await exportedAndServed(model, editor, [input, ...others, ...examples]);
      const difference = Math.max(
        ...Array.from(exported, (value, index) => Math.abs(value - (served[index] as number))),
      );
      expect(difference).toBeLessThan(1e-5);
      editor.dispose();
      await model.release();
    }, 60_000);
  }

  test('a replacement that misses token 0 (last, at the last real token) cannot fix it, and says so', async () => {
    const model = await loadOnnxModel(modelPath, { editAt, dimensions: { sequence: tokens } });
    const editor = new GraceEditor(model, { backend, epsInit: 0.1, replacement: 'last', keyToken: 'last' });
    const input = examples[1] as Record<string, number[]>;
    const [current] = await editor.predict([input]);
    const result = await editor.edit({ input, label: ((current as number) + 1) % 3 });
    expect(result.fixed).toBe(false);
    expect(await editor.predict([input])).toEqual([current]);
    editor.dispose();
    await model.release();
  }, 60_000);
});
