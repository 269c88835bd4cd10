import { describe, expect, it } from 'vitest';
import { gemm, gemmGradient } from './gemm.js';
import type { HostTensor } from './host-tensor.js';

function tensor(values: number[], shape: number[]): HostTensor {
  return { data: Float32Array.from(values), shape };
}

const plain = { alpha: 1, beta: 1, transA: false, transB: false };

describe('Gemm', () => {
  const left = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  const right = tensor([7, 8, 9, 10, 11, 12], [3, 2]);

  it('computes alpha·A·B + beta·C with C broadcast from [2], [2,1] and []', () => {
    const options = { ...plain, alpha: 2, beta: 0.5 };
    expect(Array.from(gemm(left, right, tensor([10, 20], [2]), options).data)).toEqual([121, 138, 283, 318]);
    expect(Array.from(gemm(left, right, tensor([10, 20], [2, 1]), options).data)).toEqual([
      121, 133, 288, 318,
    ]);
    expect(Array.from(gemm(left, right, tensor([4], []), options).data)).toEqual([118, 130, 280, 310]);
    expect(Array.from(gemm(left, right, undefined, plain).data)).toEqual([58, 64, 139, 154]);
  });

  it('transposes A and B when asked', () => {
    const leftTransposed = tensor([1, 4, 2, 5, 3, 6], [3, 2]);
    const rightTransposed = tensor([7, 9, 11, 8, 10, 12], [2, 3]);
    const result = gemm(leftTransposed, rightTransposed, undefined, { ...plain, transA: true, transB: true });
    expect(result).toEqual({ data: Float32Array.from([58, 64, 139, 154]), shape: [2, 2] });
  });

  it('gives alpha·dY·Bᵀ, alpha·Aᵀ·dY and beta·dY summed to C', () => {
    const dY = tensor([1, 0, 0, 1], [2, 2]);
    const bias = tensor([0, 0], [2]);
    const [dA, dB, dC] = gemmGradient([left, right, bias], dY, { ...plain, alpha: 2, beta: 3 }, [
      true,
      true,
      true,
    ]);
    expect(Array.from(dA?.data ?? [])).toEqual([14, 18, 22, 16, 20, 24]);
    expect(Array.from(dB?.data ?? [])).toEqual([2, 8, 4, 10, 6, 12]);
    expect(dC).toEqual({ data: Float32Array.from([3, 3]), shape: [2] });
  });

  it('returns the gradients of transposed operands in their stored layout', () => {
    const leftTransposed = tensor([1, 4, 2, 5, 3, 6], [3, 2]);
    const rightTransposed = tensor([7, 9, 11, 8, 10, 12], [2, 3]);
    const dY = tensor([1, 0, 0, 1], [2, 2]);
    const [dA, dB] = gemmGradient(
      [leftTransposed, rightTransposed],
      dY,
      { ...plain, transA: true, transB: true },
      [true, true],
    );
    expect(dA).toEqual({ data: Float32Array.from([7, 8, 9, 10, 11, 12]), shape: [3, 2] });
    expect(dB).toEqual({ data: Float32Array.from([1, 2, 3, 4, 5, 6]), shape: [2, 3] });
  });
});
