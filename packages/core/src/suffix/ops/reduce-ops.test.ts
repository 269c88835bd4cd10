import { describe, expect, it } from 'vitest';
import type { AttributeValue, SymbolicShape } from '../suffix-graph.js';
import { reduceMeanDefinition, reduceSumDefinition } from './reduce-ops.js';

function reduceMean(input: SymbolicShape, attributes: Record<string, AttributeValue>) {
  return reduceMeanDefinition.resolve({
    nodeName: 'pool',
    inputShapes: [input],
    inputDtypes: ['float32'],
    attributes,
  });
}

describe('ReduceMean / ReduceSum definitions', () => {
  it('keeps reduced axes as 1 by default and drops them with keepdims 0', () => {
    expect(reduceMean([2, 3, 4], { axes: [1] })).toEqual({
      attributes: { axes: [1], keepDims: true },
      outputShape: [2, 1, 4],
    });
    expect(reduceMean(['batch', 'tokens', 8], { axes: [1], keepdims: 0 })).toEqual({
      attributes: { axes: [1], keepDims: false },
      outputShape: ['batch', 8],
    });
  });

  it('normalises negative axes and sorts them', () => {
    expect(reduceMean([2, 3, 4], { axes: [-1, 0], keepdims: 0 })).toEqual({
      attributes: { axes: [0, 2], keepDims: false },
      outputShape: [3],
    });
  });

  it('reads absent or empty axes as every axis', () => {
    expect(reduceMean([2, 3], { keepdims: 0 }).outputShape).toEqual([]);
    expect(
      reduceSumDefinition.resolve({
        nodeName: 'total',
        inputShapes: [[2, 3]],
        inputDtypes: ['float32'],
        attributes: { axes: [] },
      }),
    ).toEqual({ attributes: { axes: [0, 1], keepDims: true }, outputShape: [1, 1] });
  });

  it('refuses repeated or out-of-range axes, and the no-op form', () => {
    const fails = (attributes: Record<string, AttributeValue>, code: string) =>
      expect(() => reduceMean([2, 3], attributes)).toThrow(
        expect.objectContaining({ code, message: expect.stringContaining("'pool'") }),
      );
    fails({ axes: [1, -1] }, 'INVALID_ARGUMENT');
    fails({ axes: [2] }, 'INVALID_ARGUMENT');
    fails({ axes: [-3] }, 'INVALID_ARGUMENT');
    fails({ keepdims: 2 }, 'INVALID_ARGUMENT');
    fails({ noop_with_empty_axes: 1 }, 'UNSUPPORTED_OP');
    fails({ axes: [0], select_last_index: 1 }, 'UNSUPPORTED_OP');
    expect(reduceMean([2, 3], { axes: [1], noop_with_empty_axes: 1 }).outputShape).toEqual([2, 1]);
  });
});
