import { join } from 'node:path';
import { createCpuBackend } from '@grace/backend-cpu';
import type * as ort from 'onnxruntime-node';
import { describe, expect, test } from 'vitest';
import { loadOnnxModel } from './load-onnx-model.js';
import { batchFeeds } from './onnx-inputs.js';
import {
  predictThroughImport,
  tokenExamples,
  transformerFixtureDirectory,
  transformerReference,
} from './transformer-fixtures.js';

/**
 * Without `dimensions`, the sequence length stays a run-time size: the encoders are cut once and then take
 * batches padded to any length, the import agreeing with PyTorch and with onnxruntime's whole model at each.
 */
const backend = createCpuBackend();

describe.each([
  { key: 'bert-classifier', editAt: '/bert/encoder/layer.1/output/dense/MatMul', loss: undefined },
  {
    key: 'distilbert-classifier',
    editAt: '/distilbert/transformer/layer.1/ffn/lin2/MatMul',
    loss: undefined,
  },
  {
    key: 't5-encoder',
    editAt: '/encoder/encoder/block.1/layer.1/DenseReluDense/wo/MatMul',
    loss: 'mean-squared-error' as const,
  },
])('$key cut at $editAt with a run-time sequence length', ({ key, editAt, loss }) => {
  test('agrees with PyTorch on the reference batch (≤ 1e-4) and with onnxruntime at another length', async () => {
    const reference = transformerReference(key);
    const model = await loadOnnxModel(join(transformerFixtureDirectory, reference.file), {
      editAt,
      backend,
      ...(loss === undefined ? {} : { loss }),
    });
    expect(model.cut.editPoint.inputShape).toEqual(['batch', 'sequence', 64]); // the FFN's hidden width
    const logits = await predictThroughImport(model, backend, tokenExamples(reference.inputs));
    const expected = (reference.expected as number[]).flat(3) as number[];
    expect(
      Math.max(...expected.map((value, index) => Math.abs(value - (logits[index] as number)))),
    ).toBeLessThan(1e-4);
    // Three rows padded to 5 tokens: a length no batch of the load used.
    const short = [
      { input_ids: [5, 9, 2, 0, 0], attention_mask: [1, 1, 1, 0, 0] },
      { input_ids: [7, 3, 3, 8, 1], attention_mask: [1, 1, 1, 1, 1] },
      { input_ids: [4, 0, 0, 0, 0], attention_mask: [1, 0, 0, 0, 0] },
    ];
    const prefix = await model.runPrefix(backend, short);
    expect(prefix.lengths).toEqual([3, 5, 1]);
    expect(prefix.layerOutput.shape.slice(0, 2)).toEqual([3, 5]);
    const imported = await predictThroughImport(model, backend, short);
    const whole = await model.fullSession.run(batchFeeds(model.inputSpecs, short));
    const direct = (whole[model.modelPredictionOutput] as ort.Tensor).data as Float32Array;
    expect(
      Math.max(...direct.map((value, index) => Math.abs(value - (imported[index] as number)))),
    ).toBeLessThan(1e-5);
    await model.release();
  });
});
