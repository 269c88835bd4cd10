import { SeededRandom } from '@grace/core';
import { describe, expect, it } from 'vitest';
import type { HostTensor } from './host-tensor.js';
import { softmax, softmaxGradient } from './softmax.js';

function tensor(values: ArrayLike<number>, shape: number[]): HostTensor {
  return { data: Float32Array.from(values), shape };
}

describe('Softmax and LogSoftmax', () => {
  it('makes each line along the axis sum to 1, for the last and for an inner axis', () => {
    const random = new SeededRandom(3);
    const input = tensor(random.floats(2 * 3 * 4, -5, 5), [2, 3, 4]);
    const lastAxis = softmax(input, 2, false).data;
    for (let line = 0; line < 6; line++) {
      const sum = lastAxis.subarray(line * 4, line * 4 + 4).reduce((total, value) => total + value, 0);
      expect(sum).toBeCloseTo(1, 6);
    }
    const middleAxis = softmax(input, 1, false).data;
    for (let block = 0; block < 2; block++) {
      for (let lane = 0; lane < 4; lane++) {
        let sum = 0;
        for (let position = 0; position < 3; position++)
          sum += middleAxis[(block * 3 + position) * 4 + lane] as number;
        expect(sum).toBeCloseTo(1, 6);
      }
    }
  });

  it('computes a known case and stays finite for huge logits', () => {
    const result = softmax(tensor([0, Math.log(3)], [1, 2]), 1, false);
    expect(Array.from(result.data)).toEqual([0.25, 0.75]);
    expect(Array.from(softmax(tensor([1000, 1000], [2]), 0, false).data)).toEqual([0.5, 0.5]);
    expect(Array.from(softmax(tensor([1000, 0], [2]), 0, true).data)).toEqual([0, -1000]);
  });

  it('has the gradient p ⊙ (dy - Σ dy·p): probabilities (1/4, 3/4), dy = (1, 0)', () => {
    const input = tensor([0, Math.log(3)], [2]);
    // Σ dy·p = 1/4, so dx = (1/4 · 3/4, 3/4 · -1/4) = (3/16, -3/16).
    const gradient = softmaxGradient(input, tensor([1, 0], [2]), 0, false);
    expect(gradient.data[0]).toBeCloseTo(3 / 16, 7);
    expect(gradient.data[1]).toBeCloseTo(-3 / 16, 7);
  });

  it('has the LogSoftmax gradient dy - p·Σ dy', () => {
    const input = tensor([0, Math.log(3)], [2]);
    const gradient = softmaxGradient(input, tensor([1, 1], [2]), 0, true);
    expect(gradient.data[0]).toBeCloseTo(1 - 2 * 0.25, 7);
    expect(gradient.data[1]).toBeCloseTo(1 - 2 * 0.75, 7);
  });
});
