import { createCpuBackend } from '@grace/backend-cpu';
import { isGraceError } from '@grace/core';
import { describe, expect, test } from 'vitest';
import { randomExamples } from './generated-test-models.js';
import { loadOnnxModel } from './load-onnx-model.js';
import { floatTensor, integerTensor, onnxModelBytes, onnxNode } from './onnx-model-builder.js';
import { verifyCut, verifySuffixGraph } from './verify-suffix-graph.js';

const backend = createCpuBackend();

function ramp(count: number, scale: number): number[] {
  return Array.from({ length: count }, (_, index) => Math.sin(index * 1.7) * scale);
}

describe('importing the suffix', () => {
  test('opset 13: Unsqueeze/Flatten/Squeeze become Reshape, axes inputs become attributes, Dropout is Identity', async () => {
    const bytes = onnxModelBytes({
      opset: 13,
      inputs: [{ name: 'x', shape: ['N', 6] }],
      outputs: [{ name: 'probabilities', shape: ['N', 3] }],
      initializers: [
        floatTensor('w', ramp(72, 0.5), [6, 12]),
        floatTensor('w2', ramp(36, 0.4), [12, 3]),
        integerTensor('axis1', [1]),
        integerTensor('axis2', [2]),
      ],
      nodes: [
        onnxNode('MatMul', ['x', 'w'], ['h'], {}, 'dense'),
        onnxNode('Unsqueeze', ['h', 'axis1'], ['h3']),
        onnxNode('Relu', ['h3'], ['r3']),
        onnxNode('Flatten', ['r3'], ['flat'], { axis: 1 }),
        onnxNode('Unsqueeze', ['flat', 'axis2'], ['column']),
        onnxNode('Squeeze', ['column', 'axis2'], ['row']),
        onnxNode('Dropout', ['row'], ['kept']),
        onnxNode('ReduceSum', ['kept', 'axis1'], ['total'], { keepdims: 1 }),
        onnxNode('Sub', ['kept', 'total'], ['centred']),
        onnxNode('MatMul', ['centred', 'w2'], ['logits'], {}, 'head'),
        onnxNode('Softmax', ['logits'], ['probabilities'], { axis: 1 }),
      ],
    });
    const model = await loadOnnxModel(bytes, { editAt: 'dense' });
    expect(model.suffix.nodes.map((node) => node.opType)).toEqual([
      'Reshape',
      'Relu',
      'Reshape',
      'Reshape',
      'Reshape',
      'Identity',
      'ReduceSum',
      'Sub',
      'MatMul',
      'Softmax',
      'SoftmaxCrossEntropyLoss',
    ]);
    expect(model.suffix.nodes.find((node) => node.opType === 'ReduceSum')?.attributes).toEqual({
      keepdims: 1,
      axes: [1],
    });
    // The loss reads the logits, not the probabilities.
    expect(model.suffix.nodes.at(-1)?.inputs[0]).toBe('logits');
    const inputs = randomExamples(3, 5, 6);
    expect(await verifyCut(model, inputs)).toBe(0);
    expect((await verifySuffixGraph(model, backend, inputs)).passed).toBe(true);
    await model.release();
  });

  test('opset 11: Softmax over the last axis (default axis 1 of a rank-2 input) imports; over several axes it is refused', async () => {
    const gemmModel = (
      softmaxInput: string,
      extra: ReturnType<typeof onnxNode>[],
      outputShape: (string | number)[],
    ) =>
      onnxModelBytes({
        opset: 11,
        inputs: [{ name: 'x', shape: ['N', 4] }],
        outputs: [{ name: 'y', shape: outputShape }],
        initializers: [
          floatTensor('w', ramp(20, 0.7), [5, 4]),
          floatTensor('b', ramp(5, 0.1), [5]),
          integerTensor('cube', [0, 5, 1]),
        ],
        nodes: [
          onnxNode('Gemm', ['x', 'w', 'b'], ['g'], { transB: 1 }, 'dense'),
          onnxNode('Tanh', ['g'], ['t']),
          ...extra,
          onnxNode('Softmax', [softmaxInput], ['y']),
        ],
      });
    const flat = await loadOnnxModel(gemmModel('t', [], ['N', 5]), { editAt: 'dense' });
    expect(flat.suffix.nodes.find((node) => node.opType === 'Softmax')?.attributes).toEqual({ axis: 1 });
    expect((await verifySuffixGraph(flat, backend, randomExamples(4, 3, 4))).passed).toBe(true);
    await flat.release();

    const reshaped = gemmModel('t3', [onnxNode('Reshape', ['t', 'cube'], ['t3'])], ['N', 5, 1]);
    await expect(loadOnnxModel(reshaped, { editAt: 'dense' })).rejects.toSatisfy(
      (error: unknown) =>
        isGraceError(error, 'UNSUPPORTED_OP') && error.message.includes('normalises several axes'),
    );
  });

  test('a MatMul whose first input is a weight has no per-example key', async () => {
    const bytes = onnxModelBytes({
      inputs: [{ name: 'x', shape: ['N', 4, 3] }],
      outputs: [{ name: 'y', shape: ['N', 2, 3] }],
      initializers: [floatTensor('w', ramp(8, 1), [2, 4])],
      nodes: [onnxNode('MatMul', ['w', 'x'], ['y'], {}, 'left')],
    });
    await expect(loadOnnxModel(bytes, { editAt: 'left' })).rejects.toSatisfy(
      (error: unknown) => isGraceError(error, 'INVALID_ARGUMENT') && error.message.includes('is a constant'),
    );
  });
});
