import { type LossReduction, type SuffixOpAttributes, validateClassLabels } from '@grace/core';
import type { TfTensor } from '../tensorflow.js';
import { elementwiseOps } from './elementwise-ops.js';
import { type ExplicitOp, neededOnly } from './explicit-op.js';
import { gatherOp } from './gather-op.js';
import { matrixOps } from './matrix-ops.js';
import { inputAt, logSoftmaxForward, softmaxForward } from './op-forward.js';
import { isNaNOp, whereOp } from './where-op.js';

/** 1 for `sum`, `1/count` for `mean`, and 0 for a mean over nothing (no NaN from an empty or ignored batch). */
function reductionFactor(reduction: LossReduction, count: number): number {
  if (reduction === 'sum') return 1;
  return count === 0 ? 0 : 1 / count;
}

/**
 * Per row and class, the weight of `-log softmax` in the loss: the reduction factor at the row's label, 0 on
 * ignored rows. Labels are data, so their range is checked here on the host.
 */
function labelWeights(
  labels: Int32Array,
  classes: number,
  attributes: SuffixOpAttributes['SoftmaxCrossEntropyLoss'],
): { weights: Float32Array; rowWeights: Float32Array } {
  validateClassLabels(labels, classes, attributes.ignoreIndex);
  const count = labels.filter((label) => label !== attributes.ignoreIndex).length;
  const factor = reductionFactor(attributes.reduction, count);
  const weights = new Float32Array(labels.length * classes);
  const rowWeights = new Float32Array(labels.length);
  labels.forEach((label, row) => {
    if (label === attributes.ignoreIndex) return;
    weights[row * classes + label] = factor;
    rowWeights[row] = factor;
  });
  return { weights, rowWeights };
}

function elementCount(tensor: TfTensor): number {
  return tensor.size;
}

export const explicitOps = {
  Softmax: {
    forward: (tf, inputs, attributes) => softmaxForward(tf, inputAt(inputs, 0), attributes.axis),
    // dx = y · (dy − Σ dy·y)
    gradient: (tf, { output, outputGradient, attributes, needed }) =>
      neededOnly(needed, 1, () => {
        const dot = tf.sum(tf.mul(outputGradient, output), attributes.axis, true);
        return tf.mul(output, tf.sub(outputGradient, dot));
      }),
  },
  LogSoftmax: {
    forward: (tf, inputs, attributes) => logSoftmaxForward(tf, inputAt(inputs, 0), attributes.axis),
    // dx = dy − softmax · Σ dy
    gradient: (tf, { output, outputGradient, attributes, needed }) =>
      neededOnly(needed, 1, () =>
        tf.sub(outputGradient, tf.mul(tf.exp(output), tf.sum(outputGradient, attributes.axis, true))),
      ),
  },
  SoftmaxCrossEntropyLoss: {
    forward: (tf, inputs, attributes, _outputShape, access) => {
      const scores = inputAt(inputs, 0);
      const classes = scores.shape[1] as number;
      const { weights } = labelWeights(access.hostIntegers(1), classes, attributes);
      const logProbabilities = logSoftmaxForward(tf, scores, 1);
      return tf.neg(
        tf.sum(tf.mul(tf.tensor2d(weights, [scores.shape[0] as number, classes]), logProbabilities)),
      );
    },
    // d/dscores = (softmax · rowWeight − weights) · dy; the labels get none.
    gradient: (tf, { inputs, outputGradient, attributes, needed, access }) =>
      neededOnly(needed, 2, (index) => {
        if (index !== 0) return undefined;
        const scores = inputAt(inputs, 0);
        const [rows, classes] = scores.shape as [number, number];
        const { weights, rowWeights } = labelWeights(access.hostIntegers(1), classes, attributes);
        const probabilities = softmaxForward(tf, scores, 1);
        const weighted = tf.mul(probabilities, tf.tensor2d(rowWeights, [rows, 1]));
        return tf.mul(tf.sub(weighted, tf.tensor2d(weights, [rows, classes])), outputGradient);
      }),
  },
  SigmoidCrossEntropyLoss: {
    // max(x, 0) − x·t + log(1 + exp(−|x|)): never overflows nor takes log(0).
    forward: (tf, inputs, attributes) => {
      const logits = inputAt(inputs, 0);
      const targets = inputAt(inputs, 1);
      const perElement = tf.add(
        tf.sub(tf.relu(logits), tf.mul(logits, targets)),
        tf.log1p(tf.exp(tf.neg(tf.abs(logits)))),
      );
      return tf.mul(tf.sum(perElement), reductionFactor(attributes.reduction, elementCount(logits)));
    },
    // d/dx = (σ(x) − t) · dy · factor, d/dt = −x · dy · factor.
    gradient: (tf, { inputs, outputGradient, attributes, needed }) => {
      const logits = inputAt(inputs, 0);
      const scale = tf.mul(outputGradient, reductionFactor(attributes.reduction, elementCount(logits)));
      return neededOnly(needed, 2, (index) =>
        index === 0
          ? tf.mul(tf.sub(tf.sigmoid(logits), inputAt(inputs, 1)), scale)
          : tf.mul(tf.neg(logits), scale),
      );
    },
  },
  MeanSquaredErrorLoss: {
    forward: (tf, inputs, attributes) => {
      const predictions = inputAt(inputs, 0);
      const squared = tf.sum(tf.square(tf.sub(predictions, inputAt(inputs, 1))));
      return tf.mul(squared, reductionFactor(attributes.reduction, elementCount(predictions)));
    },
    // d/dp = 2(p − t) · dy · factor, d/dt = −d/dp.
    gradient: (tf, { inputs, outputGradient, attributes, needed }) => {
      const predictions = inputAt(inputs, 0);
      const factor = 2 * reductionFactor(attributes.reduction, elementCount(predictions));
      const difference = tf.mul(tf.sub(predictions, inputAt(inputs, 1)), tf.mul(outputGradient, factor));
      return neededOnly(needed, 2, (index) => (index === 0 ? difference : tf.neg(difference)));
    },
  },
  Gather: gatherOp,
  Where: whereOp,
  IsNaN: isNaNOp,
  ...matrixOps,
  ...elementwiseOps,
} satisfies { [Op in ExplicitOpType]: ExplicitOp<SuffixOpAttributes[Op]> };

/** The ops with a hand-written gradient. */
export type ExplicitOpType =
  | 'Add'
  | 'Sub'
  | 'Mul'
  | 'Relu'
  | 'Tanh'
  | 'Sigmoid'
  | 'Identity'
  | 'MatMul'
  | 'Gemm'
  | 'Softmax'
  | 'LogSoftmax'
  | 'SoftmaxCrossEntropyLoss'
  | 'SigmoidCrossEntropyLoss'
  | 'MeanSquaredErrorLoss'
  | 'Gather'
  | 'Where'
  | 'IsNaN';
