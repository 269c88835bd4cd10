import { describe, expect, it } from 'vitest';
import type { DType } from '../tensor.js';
import { opDefinitions } from './op-definitions.js';
import { type SuffixOpType, suffixOpTypes } from './op-types.js';
import type { AttributeValue, SymbolicShape } from './suffix-graph.js';

function resolve(
  type: SuffixOpType,
  inputShapes: (SymbolicShape | undefined)[],
  attributes: Record<string, AttributeValue> = {},
  inputDtypes: (DType | undefined)[] = inputShapes.map((shape) =>
    shape === undefined ? undefined : 'float32',
  ),
) {
  return opDefinitions[type].resolve({ nodeName: 'the-node', inputShapes, inputDtypes, attributes });
}

function expectFailure(action: () => unknown, code: string, ...fragments: string[]): void {
  expect(action).toThrow(
    expect.objectContaining({
      code,
      message: expect.stringContaining("node 'the-node'"),
      details: expect.objectContaining({ node: 'the-node' }),
    }),
  );
  for (const fragment of fragments) expect(action).toThrow(fragment);
}

describe('opDefinitions', () => {
  it('defines every op of set v1 under its own name', () => {
    expect(Object.keys(opDefinitions).sort()).toEqual([...suffixOpTypes].sort());
    for (const type of suffixOpTypes) expect(opDefinitions[type].type).toBe(type);
    expect(opDefinitions.SoftmaxCrossEntropyLoss.integerInputs).toEqual([1]);
  });

  it('MatMul broadcasts batch dimensions, names included, and refuses vectors', () => {
    expect(
      resolve('MatMul', [
        [2, 3, 4, 5],
        [5, 6],
      ]).outputShape,
    ).toEqual([2, 3, 4, 6]);
    expect(
      resolve('MatMul', [
        [3, 1, 4, 5],
        [2, 5, 6],
      ]).outputShape,
    ).toEqual([3, 2, 4, 6]);
    expect(
      resolve('MatMul', [
        ['batch', 'tokens', 8],
        [8, 8],
      ]).outputShape,
    ).toEqual(['batch', 'tokens', 8]);
    expect(
      resolve('MatMul', [
        ['b', 2, 't', 4],
        ['b', 2, 4, 't'],
      ]).outputShape,
    ).toEqual(['b', 2, 't', 't']);
    expectFailure(
      () =>
        resolve('MatMul', [
          [3, 4],
          [5, 6],
        ]),
      'SHAPE_MISMATCH',
      'inner dimensions',
    );
    expectFailure(
      () =>
        resolve('MatMul', [
          [2, 3, 4],
          [3, 4, 5],
        ]),
      'SHAPE_MISMATCH',
    );
    expectFailure(() => resolve('MatMul', [[4], [4, 5]]), 'UNSUPPORTED_OP', 'rank >= 2');
    expectFailure(() => resolve('MatMul', [[3, 4], [4]]), 'UNSUPPORTED_OP');
  });

  it('binary ops broadcast symbolically and name the node on a clash', () => {
    expect(resolve('Add', [['batch', 'tokens', 8], [8]]).outputShape).toEqual(['batch', 'tokens', 8]);
    expect(resolve('Pow', [[2, 1], [3]]).outputShape).toEqual([2, 3]);
    expectFailure(() => resolve('Mul', [[2, 3], [4]]), 'SHAPE_MISMATCH', '[2,3], [4]');
  });

  it('unary ops keep the shape; Gelu reads approximate', () => {
    expect(resolve('Relu', [['batch', 3]])).toEqual({ attributes: {}, outputShape: ['batch', 3] });
    expect(resolve('Gelu', [[2]]).attributes).toEqual({ approximate: 'none' });
    expect(resolve('Gelu', [[2]], { approximate: 'tanh' }).attributes).toEqual({ approximate: 'tanh' });
    expectFailure(
      () => resolve('Gelu', [[2]], { approximate: 'fast' }),
      'INVALID_ARGUMENT',
      "'none', 'tanh'",
    );
    expectFailure(() => resolve('Tanh', [[2]], { alpha: 1 }), 'UNSUPPORTED_OP', "attribute 'alpha'");
  });

  it('Softmax and LogSoftmax default to the last axis and normalise it', () => {
    expect(resolve('Softmax', [[2, 3, 4]]).attributes).toEqual({ axis: 2 });
    expect(resolve('LogSoftmax', [[2, 3, 4]], { axis: -2 }).attributes).toEqual({ axis: 1 });
    expect(resolve('Softmax', [[2, 3]], { axis: 0 }).attributes).toEqual({ axis: 0 });
    expectFailure(() => resolve('Softmax', [[2, 3]], { axis: 2 }), 'INVALID_ARGUMENT', 'out of range');
    expectFailure(() => resolve('Softmax', [[2, 3]], { axis: 0.5 }), 'INVALID_ARGUMENT');
  });

  it('LayerNormalization checks Scale and B against the normalised shape', () => {
    expect(resolve('LayerNormalization', [['batch', 'tokens', 8], [8], [8]])).toEqual({
      attributes: { axis: 2, epsilon: 1e-5 },
      outputShape: ['batch', 'tokens', 8],
    });
    expect(
      resolve('LayerNormalization', [[2, 3, 4], [3, 4], undefined], { axis: -2, epsilon: 1e-3 }),
    ).toEqual({
      attributes: { axis: 1, epsilon: 1e-3 },
      outputShape: [2, 3, 4],
    });
    expect(
      resolve('LayerNormalization', [
        [2, 5],
        [1, 5],
      ]).outputShape,
    ).toEqual([2, 5]);
    expectFailure(
      () => resolve('LayerNormalization', [[2, 3, 4], [4]], { axis: 1 }),
      'SHAPE_MISMATCH',
      'Scale',
    );
    expectFailure(() => resolve('LayerNormalization', [[2, 8], [8], [7]]), 'SHAPE_MISMATCH', 'B [7]');
    expectFailure(() => resolve('LayerNormalization', [[2, 8], [8]], { epsilon: -1 }), 'INVALID_ARGUMENT');
    expectFailure(() => resolve('LayerNormalization', [[2, 8], [8]], { axis: 2 }), 'INVALID_ARGUMENT');
  });

  it('Transpose reverses by default and requires a permutation', () => {
    expect(resolve('Transpose', [['batch', 'tokens', 8]])).toEqual({
      attributes: { perm: [2, 1, 0] },
      outputShape: [8, 'tokens', 'batch'],
    });
    expect(resolve('Transpose', [[2, 3, 4, 5]], { perm: [0, 2, 1, 3] }).outputShape).toEqual([2, 4, 3, 5]);
    for (const perm of [
      [0, 0, 1],
      [0, 1],
      [0, 1, 3],
      [-1, 0, 1],
    ]) {
      expectFailure(() => resolve('Transpose', [[2, 3, 4]], { perm }), 'INVALID_ARGUMENT', 'permutation');
    }
  });

  it('Concat joins along its required axis and names a run-time joined size', () => {
    expect(
      resolve(
        'Concat',
        [
          [2, 3],
          [2, 4],
        ],
        { axis: -1 },
      ),
    ).toEqual({ attributes: { axis: 1 }, outputShape: [2, 7] });
    expect(
      resolve(
        'Concat',
        [
          ['batch', 'tokens', 8],
          ['batch', 1, 8],
        ],
        { axis: 1 },
      ).outputShape,
    ).toEqual(['batch', 'the-node:concat', 8]);
    expectFailure(
      () =>
        resolve(
          'Concat',
          [
            [2, 3],
            [3, 3],
          ],
          { axis: 1 },
        ),
      'SHAPE_MISMATCH',
      'outside axis 1',
    );
    expectFailure(
      () =>
        resolve(
          'Concat',
          [
            [2, 3],
            [2, 3, 1],
          ],
          { axis: 0 },
        ),
      'SHAPE_MISMATCH',
    );
    expectFailure(() => resolve('Concat', [[2, 3]]), 'INVALID_ARGUMENT', 'required');
    expectFailure(() => resolve('Concat', [[2, 3]], { axis: 2 }), 'INVALID_ARGUMENT');
  });

  it('SoftmaxCrossEntropyLoss: [N, C] scores and [N] labels to a scalar', () => {
    expect(resolve('SoftmaxCrossEntropyLoss', [['batch', 5], ['batch']], {}, ['float32', 'int32'])).toEqual({
      attributes: { reduction: 'mean', ignoreIndex: null },
      outputShape: [],
    });
    expect(
      resolve('SoftmaxCrossEntropyLoss', [[4, 5], [4]], { reduction: 'sum', ignore_index: -100 }).attributes,
    ).toEqual({ reduction: 'sum', ignoreIndex: -100 });
    expectFailure(() => resolve('SoftmaxCrossEntropyLoss', [[4, 5], [3]]), 'SHAPE_MISMATCH');
    expectFailure(
      () =>
        resolve('SoftmaxCrossEntropyLoss', [
          [4, 5, 2],
          [4, 2],
        ]),
      'UNSUPPORTED_OP',
      'rank 3',
    );
    expectFailure(() => resolve('SoftmaxCrossEntropyLoss', [[4, 5], [4], [5]]), 'UNSUPPORTED_OP', 'weights');
    expectFailure(
      () => resolve('SoftmaxCrossEntropyLoss', [[4, 5], [4]], { reduction: 'none' }),
      'UNSUPPORTED_OP',
    );
    expectFailure(
      () => resolve('SoftmaxCrossEntropyLoss', [[4, 5], [4]], { reduction: 'max' }),
      'INVALID_ARGUMENT',
    );
    expectFailure(() => resolve('SoftmaxCrossEntropyLoss', [[5], [5]]), 'SHAPE_MISMATCH');
  });

  it('the pair losses need one shape', () => {
    expect(
      resolve('MeanSquaredErrorLoss', [
        ['batch', 3],
        [2, 3],
      ]),
    ).toEqual({
      attributes: { reduction: 'mean' },
      outputShape: [],
    });
    expect(resolve('SigmoidCrossEntropyLoss', [[3], [3]], { reduction: 'sum' }).attributes).toEqual({
      reduction: 'sum',
    });
    expectFailure(() => resolve('MeanSquaredErrorLoss', [[2, 3], [3]]), 'SHAPE_MISMATCH', 'same shape');
  });
});
