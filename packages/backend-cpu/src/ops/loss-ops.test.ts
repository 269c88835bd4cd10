import { GraceError } from '@grace/core';
import { describe, expect, it } from 'vitest';
import type { HostTensor } from './host-tensor.js';
import {
  meanSquaredErrorLoss,
  meanSquaredErrorLossGradient,
  sigmoidCrossEntropyLoss,
  sigmoidCrossEntropyLossGradient,
  softmaxCrossEntropyLoss,
  softmaxCrossEntropyLossGradient,
} from './loss-ops.js';

function floats(values: number[], shape: number[]): HostTensor {
  return { data: Float32Array.from(values), shape };
}

function labels(values: number[]): HostTensor {
  return { data: Int32Array.from(values), shape: [values.length] };
}

const one = floats([1], []);

describe('SoftmaxCrossEntropyLoss', () => {
  // Row 0 has probabilities (1/4, 3/4); row 1 is uniform over 2 classes.
  const scores = floats([0, Math.log(3), 5, 5], [2, 2]);

  it('is the mean (or sum) of -log p[label] over the rows', () => {
    const sum = softmaxCrossEntropyLoss(scores, labels([1, 0]), { reduction: 'sum', ignoreIndex: null });
    expect(sum.shape).toEqual([]);
    expect(sum.data[0]).toBeCloseTo(-Math.log(0.75) - Math.log(0.5), 6);
    const mean = softmaxCrossEntropyLoss(scores, labels([1, 0]), { reduction: 'mean', ignoreIndex: null });
    expect(mean.data[0]).toBeCloseTo((-Math.log(0.75) - Math.log(0.5)) / 2, 6);
  });

  it('leaves rows labelled ignoreIndex out of the sum and of the mean’s denominator', () => {
    const attributes = { reduction: 'mean', ignoreIndex: -100 } as const;
    const loss = softmaxCrossEntropyLoss(scores, labels([1, -100]), attributes);
    expect(loss.data[0]).toBeCloseTo(-Math.log(0.75), 6);
    const gradient = softmaxCrossEntropyLossGradient(scores, labels([1, -100]), floats([2], []), attributes);
    // Row 0: (p - onehot) · dy / 1 = (0.25, -0.25) · 2; row 1 ignored.
    expect(Array.from(gradient.data)).toEqual([0.5, -0.5, 0, 0]);
  });

  it('is 0 with zero gradients when every row is ignored (no division by zero)', () => {
    const attributes = { reduction: 'mean', ignoreIndex: 7 } as const;
    expect(Array.from(softmaxCrossEntropyLoss(scores, labels([7, 7]), attributes).data)).toEqual([0]);
    const gradient = softmaxCrossEntropyLossGradient(scores, labels([7, 7]), one, attributes);
    expect(Array.from(gradient.data)).toEqual([0, 0, 0, 0]);
  });

  it('has the gradient (softmax - onehot) · dy / count', () => {
    const gradient = softmaxCrossEntropyLossGradient(scores, labels([1, 0]), one, {
      reduction: 'mean',
      ignoreIndex: null,
    });
    expect(Array.from(gradient.data)).toEqual([0.125, -0.125, -0.25, 0.25]);
  });

  it('refuses a label outside [0, C) that is not ignored', () => {
    const attributes = { reduction: 'mean', ignoreIndex: null } as const;
    expect(() => softmaxCrossEntropyLoss(scores, labels([2, 0]), attributes)).toThrow(GraceError);
    expect(() => softmaxCrossEntropyLoss(scores, labels([0, -1]), attributes)).toThrowError(
      /INVALID_ARGUMENT/,
    );
  });
});

describe('SigmoidCrossEntropyLoss', () => {
  it('equals -t·log σ(x) - (1-t)·log(1-σ(x)) and stays finite for huge logits', () => {
    const loss = sigmoidCrossEntropyLoss(floats([0, 2], [2]), floats([1, 0.25], [2]), 'sum');
    const sigmoidOfTwo = 1 / (1 + Math.exp(-2));
    const expected = Math.log(2) - 0.25 * Math.log(sigmoidOfTwo) - 0.75 * Math.log(1 - sigmoidOfTwo);
    expect(loss.data[0]).toBeCloseTo(expected, 6);
    // log(1 + e^-1000) = 0: the loss is exactly max(x,0) - x·t.
    expect(
      Array.from(sigmoidCrossEntropyLoss(floats([1000, -1000], [2]), floats([0, 1], [2]), 'mean').data),
    ).toEqual([1000]);
  });

  it('has the gradients (σ(x) - t)·dy/n for logits and -x·dy/n for targets', () => {
    const [dLogits, dTargets] = sigmoidCrossEntropyLossGradient(
      floats([0, 2], [2]),
      floats([1, 0], [2]),
      floats([4], []),
      'mean',
      [true, true],
    );
    expect(Array.from(dLogits?.data ?? [])).toEqual([-1, Math.fround((2 / (1 + Math.exp(-2))) * 1)]);
    expect(Array.from(dTargets?.data ?? [])).toEqual([-0, -4]);
  });
});

describe('MeanSquaredErrorLoss', () => {
  it('is the mean or sum of squared differences, with gradient ±2(p - t)·dy·factor', () => {
    const predictions = floats([1, 2, 3], [3]);
    const targets = floats([1, 0, 6], [3]);
    expect(Array.from(meanSquaredErrorLoss(predictions, targets, 'sum').data)).toEqual([13]);
    expect(Array.from(meanSquaredErrorLoss(predictions, targets, 'mean').data)).toEqual([
      Math.fround(13 / 3),
    ]);
    const [dPredictions, dTargets] = meanSquaredErrorLossGradient(predictions, targets, one, 'sum', [
      true,
      true,
    ]);
    expect(Array.from(dPredictions?.data ?? [])).toEqual([0, 4, -6]);
    expect(Array.from(dTargets?.data ?? [])).toEqual([-0, -4, 6]);
  });
});
