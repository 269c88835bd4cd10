import { describe, expect, it } from 'vitest';
import { binaryOp, binaryOpGradient } from './binary-ops.js';
import type { HostTensor } from './host-tensor.js';
import { sumToShape } from './sum-to-shape.js';

function tensor(values: number[], shape: number[]): HostTensor {
  return { data: Float32Array.from(values), shape };
}

describe('sumToShape', () => {
  it('sums a [2,3] gradient to [3] (column sums), to [2,1] (row sums) and to [] (everything)', () => {
    const gradient = [1, 2, 3, 10, 20, 30];
    expect(Array.from(sumToShape(gradient, [2, 3], [3]))).toEqual([11, 22, 33]);
    expect(Array.from(sumToShape(gradient, [2, 3], [2, 1]))).toEqual([6, 60]);
    expect(Array.from(sumToShape(gradient, [2, 3], []))).toEqual([66]);
    expect(Array.from(sumToShape(gradient, [2, 3], [2, 3]))).toEqual(gradient);
  });
});

describe('binary ops', () => {
  const matrix = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  const row = tensor([10, 20, 30], [3]);
  const column = tensor([2, 4], [2, 1]);

  it('broadcasts [2,3] with [3] and with [2,1]', () => {
    expect(binaryOp('Add', matrix, row)).toEqual({
      data: Float32Array.from([11, 22, 33, 14, 25, 36]),
      shape: [2, 3],
    });
    expect(Array.from(binaryOp('Sub', row, matrix).data)).toEqual([9, 18, 27, 6, 15, 24]);
    expect(Array.from(binaryOp('Mul', matrix, column).data)).toEqual([2, 4, 6, 16, 20, 24]);
    expect(Array.from(binaryOp('Div', matrix, column).data)).toEqual([0.5, 1, 1.5, 1, 1.25, 1.5]);
    expect(Array.from(binaryOp('Pow', matrix, tensor([2], [1])).data)).toEqual([1, 4, 9, 16, 25, 36]);
    expect(binaryOp('Add', column, row).shape).toEqual([2, 3]);
  });

  it('sums the gradient of a broadcast operand back to its own shape', () => {
    const dy = tensor([1, 1, 1, 1, 1, 1], [2, 3]);
    const [dMatrix, dRow] = binaryOpGradient('Add', matrix, row, dy, [true, true]);
    expect(dMatrix).toEqual({ data: Float32Array.from([1, 1, 1, 1, 1, 1]), shape: [2, 3] });
    expect(dRow).toEqual({ data: Float32Array.from([2, 2, 2]), shape: [3] });
    const [, dSubtrahend] = binaryOpGradient('Sub', matrix, row, dy, [false, true]);
    expect(Array.from(dSubtrahend?.data ?? [])).toEqual([-2, -2, -2]);
  });

  it('differentiates Mul and Div by the other operand, summed over the broadcast axis', () => {
    const dy = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const [dMatrix, dColumn] = binaryOpGradient('Mul', matrix, column, dy, [true, true]);
    expect(Array.from(dMatrix?.data ?? [])).toEqual([2, 4, 6, 16, 20, 24]);
    // Row sums of dy ⊙ matrix: 1+4+9 = 14, 16+25+36 = 77.
    expect(dColumn).toEqual({ data: Float32Array.from([14, 77]), shape: [2, 1] });
    const [dNumerator, dDenominator] = binaryOpGradient(
      'Div',
      tensor([6], [1]),
      tensor([3], [1]),
      tensor([1], [1]),
      [true, true],
    );
    expect(Array.from(dNumerator?.data ?? [])).toEqual([Math.fround(1 / 3)]);
    expect(Array.from(dDenominator?.data ?? [])).toEqual([Math.fround(-6 / 9)]);
  });

  it('differentiates Pow, with PyTorch’s zeros where the formula is 0·∞', () => {
    const dy = tensor([1, 1, 1], [3]);
    const base = tensor([2, 0, 0], [3]);
    const exponent = tensor([3, 0, 2], [3]);
    const [dBase, dExponent] = binaryOpGradient('Pow', base, exponent, dy, [true, true]);
    // d/db b^e = e·b^(e-1): 3·4 = 12; 0 where e = 0; 2·0 = 0.
    expect(Array.from(dBase?.data ?? [])).toEqual([12, 0, 0]);
    // d/de b^e = b^e·ln b: 8·ln 2; 0 where b = 0 and e >= 0.
    expect(Array.from(dExponent?.data ?? [])).toEqual([Math.fround(8 * Math.LN2), 0, 0]);
  });

  it('computes only the gradients that are needed', () => {
    const dy = tensor([1, 1, 1, 1, 1, 1], [2, 3]);
    expect(binaryOpGradient('Mul', matrix, row, dy, [true, false])[1]).toBeUndefined();
    expect(binaryOpGradient('Mul', matrix, row, dy, [false, true])[0]).toBeUndefined();
  });
});
