import { describe, expect, it } from 'vitest';
import type { AttributeValue, SymbolicShape } from '../suffix-graph.js';
import { gemmDefinition } from './gemm.js';

function gemm(inputs: (SymbolicShape | undefined)[], attributes: Record<string, AttributeValue> = {}) {
  return gemmDefinition.resolve({
    nodeName: 'head',
    inputShapes: inputs,
    inputDtypes: inputs.map((shape) => (shape === undefined ? undefined : 'float32')),
    attributes,
  });
}

describe('Gemm definition', () => {
  it('fills in ONNX defaults', () => {
    expect(
      gemm([
        [3, 4],
        [4, 5],
      ]),
    ).toEqual({
      attributes: { alpha: 1, beta: 1, transA: false, transB: false },
      outputShape: [3, 5],
    });
  });

  it('reads M, K and N through each transpose flag', () => {
    expect(
      gemm(
        [
          [4, 3],
          [4, 5],
        ],
        { transA: 1 },
      ).outputShape,
    ).toEqual([3, 5]);
    expect(
      gemm(
        [
          [3, 4],
          [5, 4],
        ],
        { transB: 1 },
      ).outputShape,
    ).toEqual([3, 5]);
    expect(gemm([[4, 3], [5, 4], [5]], { transA: 1, transB: 1, alpha: 0.5 })).toEqual({
      attributes: { alpha: 0.5, beta: 1, transA: true, transB: true },
      outputShape: [3, 5],
    });
    expect(
      gemm(
        [
          ['batch', 8],
          [3, 8],
        ],
        { transB: 1 },
      ).outputShape,
    ).toEqual(['batch', 3]);
  });

  it('accepts C of [N], [M,N], [M,1], [1,1] and a scalar, and refuses others', () => {
    for (const bias of [[5], [3, 5], [3, 1], [1, 1], [], ['n']]) {
      expect(gemm([[3, 4], [4, 5], bias]).outputShape).toEqual([3, 5]);
    }
    for (const bias of [[3], [2, 5], [1, 3, 5]]) {
      expect(() => gemm([[3, 4], [4, 5], bias])).toThrow(
        expect.objectContaining({ code: 'SHAPE_MISMATCH', message: expect.stringContaining("'head'") }),
      );
    }
  });

  it('refuses mismatched inner dimensions, other ranks and bad flags', () => {
    const fails = (inputs: SymbolicShape[], attributes: Record<string, AttributeValue>, code: string) =>
      expect(() => gemm(inputs, attributes)).toThrow(
        expect.objectContaining({ code, message: expect.stringContaining("'head'") }),
      );
    fails(
      [
        [3, 4],
        [5, 4],
      ],
      {},
      'SHAPE_MISMATCH',
    );
    fails(
      [
        [3, 4],
        [4, 5],
      ],
      { transA: 1 },
      'SHAPE_MISMATCH',
    );
    fails(
      [
        [2, 3, 4],
        [4, 5],
      ],
      {},
      'SHAPE_MISMATCH',
    );
    fails(
      [
        [3, 4],
        [4, 5],
      ],
      { transA: 2 },
      'INVALID_ARGUMENT',
    );
    fails(
      [
        [3, 4],
        [4, 5],
      ],
      { alpha: 'big' },
      'INVALID_ARGUMENT',
    );
  });
});
