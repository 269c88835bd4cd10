import { describe, expect, it } from 'vitest';
import type { SuffixGraph } from '../suffix/suffix-graph.js';
import { concatenatePredictionScores, predictionScores, scoreKindOf } from './prediction-scores.js';

const graphWithLoss = (opType: string): SuffixGraph => ({
  inputs: [],
  initializers: [],
  nodes: [{ name: 'loss', opType, inputs: ['prediction', 'target'], outputs: ['loss'] }],
  outputs: ['prediction', 'loss'],
});

describe('prediction scores', () => {
  it('reads the head from the loss that consumes the prediction output', () => {
    expect(scoreKindOf(graphWithLoss('SoftmaxCrossEntropyLoss'), 'prediction')).toBe('softmax');
    expect(scoreKindOf(graphWithLoss('SigmoidCrossEntropyLoss'), 'prediction')).toBe('sigmoid');
    expect(scoreKindOf(graphWithLoss('MeanSquaredErrorLoss'), 'prediction')).toBe('logit');
    expect(scoreKindOf(graphWithLoss('SoftmaxCrossEntropyLoss'), 'other')).toBe('logit');
  });

  it('gives softmax probabilities per row and the top one as the score', () => {
    const result = predictionScores(Float32Array.from([0, Math.log(3), 1000, 1000]), [2, 2], 'softmax');
    expect(result.kind).toBe('probability');
    expect(Array.from(result.classScores)).toEqual([expect.closeTo(0.25), 0.75, 0.5, 0.5]);
    expect(Array.from(result.scores)).toEqual([0.75, 0.5]);
  });

  it('gives the probability of the chosen side for a one-output sigmoid head', () => {
    const result = predictionScores(Float32Array.from([0, Math.log(3), -Math.log(3)]), [3, 1], 'sigmoid');
    expect(Array.from(result.classScores)).toEqual([0.5, expect.closeTo(0.75), expect.closeTo(0.25)]);
    expect(Array.from(result.scores)).toEqual([0.5, expect.closeTo(0.75), expect.closeTo(0.75)]);
  });

  it('passes logits through when no loss defines probabilities, and joins batches in order', () => {
    const first = predictionScores(Float32Array.from([1, -2]), [1, 2], 'logit');
    const second = predictionScores(Float32Array.from([-3, 4]), [1, 2], 'logit');
    const joined = concatenatePredictionScores([first, second], 'logit');
    expect(joined.kind).toBe('logit');
    expect(Array.from(joined.scores)).toEqual([1, 4]);
    expect(Array.from(joined.classScores)).toEqual([1, -2, -3, 4]);
  });
});
