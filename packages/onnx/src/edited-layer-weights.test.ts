import { join } from 'node:path';
import { createCpuBackend } from '@grace/backend-cpu';
import { isGraceError, layerFineTuningMethod } from '@grace/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { editedLayerWeights } from './edited-layer-weights.js';
import {
  type CausalLmInput,
  continuationEdit,
  loadOnnxCausalLm,
  type OnnxCausalLm,
} from './load-onnx-causal-lm.js';
import { batchFeeds } from './onnx-inputs.js';
import { transformerFixtureDirectory } from './transformer-fixtures.js';

/**
 * Continual fine-tuning of the layer GRACE edits in GPT-2 (the fixture's first and last MLP projections, Gemms
 * on tokens folded into rows): the weights read from the ONNX graph, put in front of the imported suffix, give
 * onnxruntime's own logits; a few Adam steps on one teacher-forced edit fix it and move every other prompt.
 */
const backend = createCpuBackend();
const inputs: CausalLmInput[] = [
  { prompt: [12, 40, 7, 65], continuation: [3, 9] },
  { prompt: [35, 37, 72, 78, 75] },
  { prompt: [29, 85], continuation: [42] },
];
const models = new Map<string, OnnxCausalLm>();
beforeAll(async () => {
  for (const editAt of ['node_Gemm_286', 'node_Gemm_307']) {
    models.set(editAt, await loadOnnxCausalLm(join(transformerFixtureDirectory, 'gpt2-lm.onnx'), { editAt }));
  }
});
afterAll(async () => {
  for (const model of models.values()) await model.release();
});

describe.each(['node_Gemm_286', 'node_Gemm_307'])('fine-tuning GPT-2 at %s', (editAt) => {
  test("starts from onnxruntime's logits, fixes its edit and drifts the other prompts", async () => {
    const model = models.get(editAt) as OnnxCausalLm;
    const weights = editedLayerWeights(model.onnx);
    // The fixture's projections were exported without a bias (a Gemm of two inputs).
    expect([weights.weight.length, weights.bias]).toEqual([
      model.keyDimension * model.valueDimension,
      undefined,
    ]);
    const method = layerFineTuningMethod(backend, model, weights, { steps: 60, learningRate: 0.01 });
    try {
      const before = await method.predictionOutput(inputs);
      const full = await model.onnx.fullSession.run(
        batchFeeds(model.onnx.inputSpecs, model.tokenRecords(inputs)),
      );
      const logits = full[model.onnx.modelPredictionOutput]?.data as Float32Array;
      expect(before.data.length).toBe(logits.length);
      const largestGap = before.data.reduce(
        (gap, value, index) => Math.max(gap, Math.abs(value - (logits[index] as number))),
        0,
      );
      expect(largestGap).toBeLessThan(1e-4);

      const [greedy] = await method.predict([{ prompt: inputs[0]?.prompt ?? [], continuation: [0, 0] }]);
      const target = (greedy as number[]).map((token) => (token + 17) % model.vocabularySize);
      await method.edit(continuationEdit(inputs[0]?.prompt ?? [], target));
      const [edited] = await method.predict([{ prompt: inputs[0]?.prompt ?? [], continuation: target }]);
      expect(edited).toEqual(target);
      const after = await method.predictionOutput(inputs);
      const rowSize = after.data.length / inputs.length;
      const drift = after.data
        .subarray(rowSize, 2 * rowSize)
        .reduce(
          (gap, value, index) => Math.max(gap, Math.abs(value - (before.data[rowSize + index] as number))),
          0,
        );
      expect(drift).toBeGreaterThan(1e-3);
      expect(method.weights().weight).not.toEqual(weights.weight);
    } finally {
      method.dispose?.();
    }
  });
});

test('a layer whose weight is computed at run time is refused with UNSUPPORTED_OP', () => {
  const model = models.get('node_Gemm_307') as OnnxCausalLm;
  const node = model.onnx.cut.model.proto.graph?.node?.find(
    (candidate) => candidate.name === 'node_Gemm_307',
  );
  const weightName = node?.input?.[1];
  const proto = model.onnx.cut.model.proto;
  const initializers = proto.graph?.initializer ?? [];
  const stripped = {
    ...model.onnx,
    cut: {
      ...model.onnx.cut,
      model: {
        ...model.onnx.cut.model,
        proto: {
          ...proto,
          graph: { ...proto.graph, initializer: initializers.filter((tensor) => tensor.name !== weightName) },
        },
      },
    },
  } as typeof model.onnx;
  let caught: unknown;
  try {
    editedLayerWeights(stripped);
  } catch (error) {
    caught = error;
  }
  expect(isGraceError(caught) && caught.code).toBe('UNSUPPORTED_OP');
});
