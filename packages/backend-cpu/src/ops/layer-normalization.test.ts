import { SeededRandom } from '@grace/core';
import { describe, expect, it } from 'vitest';
import type { HostTensor } from './host-tensor.js';
import { layerNormalization, layerNormalizationGradient } from './layer-normalization.js';

function tensor(values: ArrayLike<number>, shape: number[]): HostTensor {
  return { data: Float32Array.from(values), shape };
}

describe('LayerNormalization', () => {
  it('gives every row mean 0 and variance 1 with unit scale and no bias', () => {
    const random = new SeededRandom(5);
    const input = tensor(random.floats(4 * 16, -3, 7), [4, 16]);
    const output = layerNormalization(input, tensor(new Array(16).fill(1), [16]), undefined, {
      axis: 1,
      epsilon: 0,
    });
    for (let row = 0; row < 4; row++) {
      const values = Array.from(output.data.subarray(row * 16, row * 16 + 16));
      const mean = values.reduce((total, value) => total + value, 0) / 16;
      const variance = values.reduce((total, value) => total + (value - mean) ** 2, 0) / 16;
      expect(mean).toBeCloseTo(0, 6);
      expect(variance).toBeCloseTo(1, 5);
    }
  });

  it('normalises over axes axis..rank-1 and applies Scale and B broadcast over them', () => {
    // One row [1, 2, 3, 4] over axes 1 and 2 of [1, 2, 2]: mean 2.5, variance 1.25.
    const input = tensor([1, 2, 3, 4], [1, 2, 2]);
    const scale = tensor([2, 3], [2]);
    const bias = tensor([10, 20], [2, 1]);
    const output = layerNormalization(input, scale, bias, { axis: 1, epsilon: 0 });
    const deviation = Math.sqrt(1.25);
    const expected = [(-1.5 / deviation) * 2 + 10, (-0.5 / deviation) * 3 + 10, (0.5 / deviation) * 2 + 20];
    expected.push((1.5 / deviation) * 3 + 20);
    expect(Array.from(output.data)).toEqual(expected.map(Math.fround));
  });

  it('adds epsilon to the variance', () => {
    const output = layerNormalization(tensor([0, 2], [2]), tensor([1], [1]), undefined, {
      axis: 0,
      epsilon: 3,
    });
    expect(Array.from(output.data)).toEqual([-0.5, 0.5]);
  });

  it('gives Scale the sum of dy·x̂ and B the sum of dy over rows, and X a gradient orthogonal to 1 and x̂', () => {
    const input = tensor([1, 3, 0, 4], [2, 2]);
    const scale = tensor([2, 5], [2]);
    const bias = tensor([0, 0], [2]);
    const dy = tensor([1, 2, 3, 4], [2, 2]);
    const attributes = { axis: 1, epsilon: 0 };
    const [dX, dScale, dBias] = layerNormalizationGradient([input, scale, bias], dy, attributes, [
      true,
      true,
      true,
    ]);
    // x̂ is (-1, 1) in both rows.
    expect(Array.from(dScale?.data ?? [])).toEqual([-1 - 3, 2 + 4]);
    expect(Array.from(dBias?.data ?? [])).toEqual([4, 6]);
    // With two elements x̂ = ±1 is constant, so dX must be 0 whatever dy is.
    for (const value of dX?.data ?? []) expect(Math.abs(value)).toBeLessThan(1e-7);
  });
});
