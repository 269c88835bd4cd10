import { join } from 'node:path';
import { createCpuBackend } from '@grace/backend-cpu';
import { GraceEditor, type KeyToken, type ReplacementMode } from '@grace/core';
import { describe, expect, test } from 'vitest';
import { loadOnnxModel } from './load-onnx-model.js';
import {
  predictThroughImport,
  randomTokenExamples,
  tokenExamples,
  transformerFixtureDirectory,
  transformerReference,
} from './transformer-fixtures.js';

/**
 * A T5 encoder from the TorchScript exporter, cut at its last block's FFN output `DenseReluDense/wo` (the paper's
 * T5 edit point): the suffix is the residual Add and T5's RMS layer norm (Cast to float32, Pow, ReduceMean, Add,
 * Sqrt, Div, Mul). Its output is the hidden states `[B, T, 32]`, so edits train against a target of that shape
 * with the mean squared error.
 */
const backend = createCpuBackend();
const reference = transformerReference('t5-encoder');
const examples = tokenExamples(reference.inputs);
const tokens = reference.inputs.input_ids[0]?.length ?? 0;
const editAt = '/encoder/encoder/block.1/layer.1/DenseReluDense/wo/MatMul';
const modelPath = join(transformerFixtureDirectory, reference.file);
const options = { editAt, dimensions: { sequence: tokens }, loss: 'mean-squared-error' } as const;

describe('T5 encoder (TorchScript exporter) cut at block.1/layer.1/DenseReluDense/wo', () => {
  test('prefix + imported suffix agree with PyTorch on the padded reference batch (≤ 1e-4)', async () => {
    const model = await loadOnnxModel(modelPath, { ...options, backend });
    const hidden = await predictThroughImport(model, backend, examples);
    const expected = (reference.expected as number[][][]).flat(2);
    expect(hidden.length).toBe(expected.length);
    const difference = Math.max(
      ...expected.map((value, index) => Math.abs(value - (hidden[index] as number))),
    );
    expect(difference).toBeLessThanOrEqual(1e-4);
    await model.release();
  });

  /** Each setting with the tokens it replaces in the edited input (4 real tokens). */
  const settings: readonly [ReplacementMode, KeyToken, readonly number[]][] = [
    ['all', 'last', Array.from({ length: tokens }, (_, token) => token)],
    ['last', 'mean', [3]],
    ['prompt', { index: 1 }, [0]],
  ];
  const edited = examples[1] as Record<string, number[]>;
  const others = randomTokenExamples(60, tokens, 96, 11)
    .filter((other) => other.input_ids?.every((id) => id === 0 || !edited.input_ids?.includes(id)))
    .slice(0, 20);
  for (const [replacement, keyToken, replaced] of settings) {
    const tokenName = typeof keyToken === 'object' ? `index ${keyToken.index}` : keyToken;
    test(`an edit (${replacement}, key token ${tokenName}) moves its output to the target and leaves 20 others bit-identical`, async () => {
      expect(others.length).toBe(20);
      const model = await loadOnnxModel(modelPath, options);
      const editor = new GraceEditor(model, { backend, epsInit: 0.1, replacement, keyToken });
      const before = await editor.predictWithDetails(others);
      // The target: the edited input's own hidden states, moved by 0.5 at the tokens the mode replaces.
      const current = await predictThroughImport(model, backend, [edited]);
      const width = current.length / tokens;
      const target = Array.from(current, (value, index) =>
        replaced.includes(Math.floor(index / width)) ? value + 0.5 : value,
      );
      const result = await editor.edit({ input: edited, label: target });
      const first = result.loss[0] as number;
      const last = result.loss.at(-1) as number;
      expect(last).toBeLessThan(first * 0.5);
      const after = await editor.predictWithDetails(others);
      expect(Array.from(after.keyIndices)).toEqual(new Array(20).fill(-1));
      expect(after.scores).toEqual(before.scores);
      editor.dispose();
      await model.release();
    }, 60_000);
  }
});
