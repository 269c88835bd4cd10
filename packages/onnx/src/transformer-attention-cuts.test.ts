import { join } from 'node:path';
import { createCpuBackend } from '@grace/backend-cpu';
import { GraceEditor, isGraceError } from '@grace/core';
import { describe, expect, test } from 'vitest';
import { listEditPoints } from './cut-onnx-model.js';
import type { OnnxLoss } from './import-suffix-graph.js';
import { loadOnnxModel } from './load-onnx-model.js';
import { readOnnxModel } from './read-onnx-model.js';
import {
  randomTokenExamples,
  tokenExamples,
  transformerFixtureDirectory,
  transformerReference,
} from './transformer-fixtures.js';

/**
 * Every linear layer of each fixture can be the edit point, so the suffix holds attention (masks, Softmax and its
 * NaN guard, Erf-GELU, split heads), with a run-time sequence length; each load checks the imported IR against
 * onnxruntime's suffix (≤ 1e-4). What is still refused is refused at load with `UNSUPPORTED_OP`, naming it.
 */
const backend = createCpuBackend();

const fixtures: readonly { key: string; loss?: OnnxLoss; loaded: number; refused: readonly string[] }[] = [
  {
    key: 'bert-classifier',
    loaded: 14,
    // The attention scores and their product with the values: [B, H, T, ·] products, not token-level layers.
    refused: ['self/MatMul', 'self/MatMul_1'].flatMap((name) =>
      [0, 1].map((layer) => `/bert/encoder/layer.${layer}/attention/${name}`),
    ),
  },
  {
    key: 'distilbert-classifier',
    loaded: 14,
    refused: ['MatMul', 'MatMul_1'].flatMap((name) =>
      [0, 1].map((layer) => `/distilbert/transformer/layer.${layer}/attention/${name}`),
    ),
  },
  {
    key: 'gpt2-lm',
    loss: 'token-softmax-cross-entropy',
    loaded: 7,
    refused: [
      'node_MatMul_98',
      'node_scaled_dot_product_attention',
      'node_MatMul_186',
      'node_scaled_dot_product_attention_1',
      // The attention output projection reads heads folded with tokens, [B·T, H·Dh] from [B, T, H, Dh].
      'node_Gemm_280',
      'node_Gemm_301',
    ],
  },
];

describe.each(fixtures)('$key: every linear layer is an edit point', ({ key, loss, loaded, refused }) => {
  test('loads with its IR verified, and the rest are refused naming them', async () => {
    const path = join(transformerFixtureDirectory, transformerReference(key).file);
    const points = await listEditPoints(await readOnnxModel(path));
    const outcomes = new Map<string, string>();
    for (const point of points) {
      try {
        const model = await loadOnnxModel(path, {
          editAt: point.name,
          backend,
          ...(loss === undefined ? {} : { loss }),
        });
        outcomes.set(point.name, 'loaded');
        await model.release();
      } catch (error) {
        if (!isGraceError(error) || error.code !== 'UNSUPPORTED_OP') throw error;
        expect(error.message).toContain(point.name);
        outcomes.set(point.name, 'refused');
      }
    }
    const refusedNames = [...outcomes].filter(([, outcome]) => outcome === 'refused').map(([name]) => name);
    expect(refusedNames.sort()).toEqual(
      points
        .map((point) => point.name)
        .filter((name) => refused.some((tail) => name.startsWith(tail)))
        .sort(),
    );
    expect(outcomes.size - refusedNames.length).toBe(loaded);
  }, 120_000);
});

/**
 * The value projection: with `all`, every token's value vector is replaced, so token 0's attention output (what
 * the pooler reads) is the trained value whatever the attention weights. (A key projection replaced at every token
 * makes all keys equal, and so the attention uniform, whatever the value: such an edit cannot steer token 0.)
 */
test('BERT edited at its second block’s attention value projection fixes its input; 20 others bit-identical', async () => {
  const reference = transformerReference('bert-classifier');
  const model = await loadOnnxModel(join(transformerFixtureDirectory, reference.file), {
    editAt: '/bert/encoder/layer.1/attention/self/value/MatMul',
  });
  const editor = new GraceEditor(model, { backend, epsInit: 0.1, replacement: 'all', keyToken: 'last' });
  const input = tokenExamples(reference.inputs)[1] as Record<string, number[]>;
  const others = randomTokenExamples(60, 9, 96, 7)
    .filter((other) => other.input_ids?.[0] !== input.input_ids?.[0])
    .slice(0, 20);
  const before = await editor.predictWithDetails(others);
  const [current] = await editor.predict([input]);
  const label = ((current as number) + 1) % 3;
  const result = await editor.edit({ input, label });
  expect(result.fixed).toBe(true);
  expect(await editor.predict([input])).toEqual([label]);
  const after = await editor.predictWithDetails(others);
  expect(Array.from(after.keyIndices)).toEqual(new Array(20).fill(-1));
  expect(after.scores).toEqual(before.scores);
  editor.dispose();
  await model.release();
}, 60_000);
