import { describe, expect, it } from 'vitest';
import type { HostTensor } from './host-tensor.js';
import {
  geluErf,
  geluErfDerivative,
  geluTanh,
  geluTanhDerivative,
  sigmoid,
  unaryOp,
  unaryOpGradient,
} from './unary-ops.js';

function tensor(values: number[], shape: number[] = [values.length]): HostTensor {
  return { data: Float32Array.from(values), shape };
}

describe('Gelu', () => {
  it('matches the erf form and the tanh form at known points (40-digit references)', () => {
    // The erf form goes through fastErfc: within 1.1e-7 relative of the exact value.
    const closeRelative = (actual: number, expected: number) =>
      expect(Math.abs(actual / expected - 1)).toBeLessThan(1.1e-7);
    closeRelative(geluErf(1), 0.8413447460685429);
    expect(geluTanh(1)).toBeCloseTo(0.8411919906082768, 15);
    closeRelative(geluErf(-3), -0.0040496940948902835);
    expect(geluTanh(-3)).toBeCloseTo(-0.003637392081773019, 16);
    closeRelative(geluErfDerivative(1), 1.0833154705876864);
    expect(geluTanhDerivative(1)).toBeCloseTo(1.0829640838457826, 15);
    closeRelative(geluErfDerivative(-1), -0.0833154705876863);
    expect(geluTanhDerivative(0.5)).toBeCloseTo(0.8673699035346423, 15);
  });

  it('keeps the erf form accurate in the left tail, where 1 + erf would cancel to 0', () => {
    expect(Math.abs(geluErf(-10) / -7.619853024160526e-23 - 1)).toBeLessThan(1.1e-7);
  });

  it('picks its form from the attribute and rounds once to float32', () => {
    const input = tensor([1, -1]);
    const erfForm = unaryOp('Gelu', input, 'none').data;
    expect(Array.from(erfForm)).toEqual([Math.fround(geluErf(1)), Math.fround(geluErf(-1))]);
    // Within the approximation's 1.1e-7 plus one float32 rounding of the 40-digit values.
    expect(Math.abs((erfForm[0] as number) / 0.8413447460685429 - 1)).toBeLessThan(1.1e-7 + 2 ** -24);
    expect(Math.abs((erfForm[1] as number) / -0.15865525393145705 - 1)).toBeLessThan(1.1e-7 + 2 ** -24);
    expect(Array.from(unaryOp('Gelu', input, 'tanh').data)).toEqual([
      Math.fround(0.8411919906082768),
      Math.fround(-0.1588080093917233),
    ]);
  });
});

describe('the other unary ops', () => {
  it('computes Relu, Tanh, Sigmoid, Sqrt and Identity', () => {
    expect(Array.from(unaryOp('Relu', tensor([-2, 0, 3])).data)).toEqual([0, 0, 3]);
    expect(Array.from(unaryOp('Tanh', tensor([0, 1])).data)).toEqual([0, Math.fround(Math.tanh(1))]);
    expect(Array.from(unaryOp('Sigmoid', tensor([0, 2])).data)).toEqual([
      0.5,
      Math.fround(1 / (1 + Math.exp(-2))),
    ]);
    expect(Array.from(unaryOp('Sqrt', tensor([4, 2])).data)).toEqual([2, Math.fround(Math.SQRT2)]);
    expect(Array.from(unaryOp('Identity', tensor([1.5, -7])).data)).toEqual([1.5, -7]);
  });

  it('keeps Sigmoid finite and exact at extreme logits', () => {
    expect(sigmoid(-800)).toBe(0);
    expect(sigmoid(800)).toBe(1);
    expect(sigmoid(-40)).toBeCloseTo(4.248354255291589e-18, 30);
  });

  it('gives Relu the gradient 0 at x <= 0 and passes dy through above', () => {
    const gradient = unaryOpGradient('Relu', tensor([-1, 0, 2]), tensor([5, 5, 5]));
    expect(Array.from(gradient.data)).toEqual([0, 0, 5]);
  });

  it('differentiates Tanh, Sigmoid and Sqrt at known points', () => {
    const dy = tensor([2, 2]);
    expect(Array.from(unaryOpGradient('Tanh', tensor([0, 0]), dy).data)).toEqual([2, 2]);
    expect(Array.from(unaryOpGradient('Sigmoid', tensor([0, 0]), dy).data)).toEqual([0.5, 0.5]);
    expect(Array.from(unaryOpGradient('Sqrt', tensor([4, 1]), dy).data)).toEqual([0.5, 1]);
    expect(Array.from(unaryOpGradient('Identity', tensor([3, -3]), dy).data)).toEqual([2, 2]);
  });
});
