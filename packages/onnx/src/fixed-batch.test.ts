import { SeededRandom } from '@grace/core';
import { describe, expect, test } from 'vitest';
import { loadOnnxModel } from './load-onnx-model.js';
import { floatTensor, integerTensor, onnxModelBytes, onnxNode } from './onnx-model-builder.js';

const random = new SeededRandom(1);
const weights = [
  floatTensor('w1', random.floats(4 * 6, -1, 1), [4, 6]),
  floatTensor('w2', random.floats(6 * 3, -1, 1), [6, 3]),
];

/** x [1, 4] → MatMul 'fc1' → Relu → MatMul → y [1, 3], the batch fixed at 1 in the file. */
function batchOfOne(): Uint8Array {
  return onnxModelBytes({
    inputs: [{ name: 'x', shape: [1, 4] }],
    outputs: [{ name: 'y', shape: [1, 3] }],
    initializers: weights,
    nodes: [
      onnxNode('MatMul', ['x', 'w1'], ['h'], {}, 'fc1'),
      onnxNode('Relu', ['h'], ['r']),
      onnxNode('MatMul', ['r', 'w2'], ['y'], {}, 'fc2'),
    ],
  });
}

describe('a model with its batch fixed at 1', () => {
  test('is loaded with the batch rewritten to a dynamic one, and says so', async () => {
    const model = await loadOnnxModel(batchOfOne(), { editAt: 'fc1' });
    expect(model.notices).toEqual([
      'the batch dimension fixed at 1 in the file (x, y) was rewritten to a dynamic batch',
    ]);
    const prefix = await model.runPrefixSession([
      [1, 2, 3, 4],
      [4, 3, 2, 1],
    ]);
    expect(prefix.h?.dims).toEqual([2, 6]);
    await model.release();
  });

  test('whose graph depends on the 1 is refused with a GraceError, not a raw runtime error', async () => {
    const bytes = onnxModelBytes({
      inputs: [{ name: 'x', shape: [1, 4] }],
      outputs: [{ name: 'y', shape: [1, 3] }],
      initializers: [...weights, integerTensor('flat', [1, 6])],
      nodes: [
        onnxNode('MatMul', ['x', 'w1'], ['h'], {}, 'fc1'),
        onnxNode('Reshape', ['h', 'flat'], ['r']),
        onnxNode('MatMul', ['r', 'w2'], ['y'], {}, 'fc2'),
      ],
    });
    await expect(loadOnnxModel(bytes, { editAt: 'fc1' })).rejects.toMatchObject({
      code: 'UNSUPPORTED_OP',
      message: expect.stringContaining('onnxruntime cannot run the model at batch 2'),
    });
  });
});
