import { createCpuBackend } from '@grace/backend-cpu';
import { GraceEditor, SeededRandom } from '@grace/core';
import { describe, expect, test } from 'vitest';
import { loadOnnxModel } from './load-onnx-model.js';
import { floatTensor, onnxModelBytes, onnxNode } from './onnx-model-builder.js';

/**
 * A one-output sigmoid classifier (`[B, 1]`, `sigmoid-cross-entropy`): decoding follows the loss, so the model
 * predicts both classes and an edit that flips one input is reported fixed. With arg-max over one column, it
 * predicted 0 for everything and no edit was ever fixed.
 */

const backend = createCpuBackend();

/** x [N, 4] → MatMul `hidden` → ReLU → MatMul `head` → `logit` [N, 1], and optionally Sigmoid → `probability`. */
function sigmoidHeadBytes(withSigmoid: boolean): Uint8Array {
  const random = new SeededRandom(5);
  return onnxModelBytes({
    name: 'sigmoid-head',
    inputs: [{ name: 'x', shape: ['N', 4] }],
    outputs: [withSigmoid ? { name: 'probability', shape: ['N', 1] } : { name: 'logit', shape: ['N', 1] }],
    initializers: [
      floatTensor('w1', random.floats(4 * 8, -1, 1), [4, 8]),
      floatTensor('w2', random.floats(8, -1, 1), [8, 1]),
    ],
    nodes: [
      onnxNode('MatMul', ['x', 'w1'], ['hidden'], {}, 'hidden'),
      onnxNode('Relu', ['hidden'], ['relu']),
      onnxNode('MatMul', ['relu', 'w2'], ['logit'], {}, 'head'),
      ...(withSigmoid ? [onnxNode('Sigmoid', ['logit'], ['probability'])] : []),
    ],
  });
}

describe('a one-output sigmoid head', () => {
  test('thresholds logits at 0 and probabilities at 0.5 by default', async () => {
    const onLogits = await loadOnnxModel(sigmoidHeadBytes(false), {
      editAt: 'hidden',
      loss: 'sigmoid-cross-entropy',
    });
    expect(onLogits.decodePredictions(Float32Array.from([0.3, -0.2, 0]), [3, 1])).toEqual([1, 0, 0]);
    const onProbabilities = await loadOnnxModel(sigmoidHeadBytes(true), {
      editAt: 'hidden',
      loss: 'sigmoid-cross-entropy',
    });
    expect(onProbabilities.decodePredictions(Float32Array.from([0.7, 0.4, 0.5]), [3, 1])).toEqual([1, 0, 0]);
    await Promise.all([onLogits.release(), onProbabilities.release()]);
  });

  test('refuses a prediction that is neither the loss input nor its Sigmoid, unless told how to decode', async () => {
    const options = {
      editAt: 'hidden',
      loss: 'sigmoid-cross-entropy',
      predictionOutput: 'probability',
      lossOn: 'relu',
    } as const;
    await expect(loadOnnxModel(sigmoidHeadBytes(true), options)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  test('an edit that flips an input is fixed, through the edited model', async () => {
    const model = await loadOnnxModel(sigmoidHeadBytes(false), {
      editAt: 'hidden',
      loss: 'sigmoid-cross-entropy',
    });
    const random = new SeededRandom(9);
    const inputs = Array.from({ length: 16 }, () => random.floats(4, -2, 2));
    const editor = new GraceEditor(model, { backend, epsInit: 0.01 });
    const before = await editor.predict(inputs);
    expect(new Set(before).size).toBe(2);
    const wanted = 1 - (before[0] as number);
    const result = await editor.edit({ input: inputs[0] as Float32Array, label: wanted });
    expect(result.fixed).toBe(true);
    expect(result.firedKey).toBe(0);
    expect((await editor.predict(inputs))[0]).toBe(wanted);
    editor.dispose();
    await model.release();
  });
});
