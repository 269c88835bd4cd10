import { type LossReduction, type SuffixOpAttributes, validateClassLabels } from '@grace/core';
import {
  floatTensor,
  type HostOp,
  type HostTensor,
  neededGradients,
  requireInput,
  scalarOf,
} from './host-tensor.js';
import { softmaxFloat64 } from './softmax.js';
import { sigmoid } from './unary-ops.js';

/**
 * The factor that turns a sum of `count` terms into the loss: 1 for `sum`, `1/count` for `mean`. A mean over
 * nothing is 0 (ONNX's rule when every row of SoftmaxCrossEntropyLoss is ignored, applied to every loss here
 * so that an empty batch yields a zero loss and zero gradients rather than NaN).
 */
function reductionFactor(reduction: LossReduction, count: number): number {
  if (reduction === 'sum') return 1;
  return count === 0 ? 0 : 1 / count;
}

function scalarTensor(value: number): HostTensor<Float32Array> {
  return floatTensor(Float32Array.of(value), []);
}

/** Which rows count (label not ignored), after checking that each counted label is a valid class. */
function countedRows(labels: HostTensor, classes: number, ignoreIndex: number | null): boolean[] {
  validateClassLabels(labels.data, classes, ignoreIndex);
  return Array.from(labels.data, (label) => label !== ignoreIndex);
}

/**
 * ONNX SoftmaxCrossEntropyLoss on scores `[N, C]` and int32 labels `[N]`: `-log softmax(scores)[label]` per
 * row, summed or averaged over the rows whose label is not `ignoreIndex`. A label outside `[0, C)` that is
 * not ignored is an `INVALID_ARGUMENT`: it depends on data, so core cannot reject it before the kernel runs.
 */
export function softmaxCrossEntropyLoss(
  scores: HostTensor,
  labels: HostTensor,
  attributes: SuffixOpAttributes['SoftmaxCrossEntropyLoss'],
): HostTensor<Float32Array> {
  const classes = scores.shape[1] as number;
  const counted = countedRows(labels, classes, attributes.ignoreIndex);
  const logProbabilities = softmaxFloat64(scores, 1, true);
  let sum = 0;
  let count = 0;
  counted.forEach((isCounted, row) => {
    if (!isCounted) return;
    sum -= logProbabilities[row * classes + (labels.data[row] as number)] as number;
    count++;
  });
  return scalarTensor(sum * reductionFactor(attributes.reduction, count));
}

/** `d/dscores = (softmax - onehot(label)) · dy · factor` on counted rows, 0 on ignored ones. */
export function softmaxCrossEntropyLossGradient(
  scores: HostTensor,
  labels: HostTensor,
  outputGradient: HostTensor,
  attributes: SuffixOpAttributes['SoftmaxCrossEntropyLoss'],
): HostTensor<Float32Array> {
  const classes = scores.shape[1] as number;
  const counted = countedRows(labels, classes, attributes.ignoreIndex);
  const count = counted.filter(Boolean).length;
  const factor = scalarOf(outputGradient) * reductionFactor(attributes.reduction, count);
  const probabilities = softmaxFloat64(scores, 1, false);
  const result = new Float64Array(probabilities.length);
  counted.forEach((isCounted, row) => {
    if (!isCounted) return;
    const label = labels.data[row] as number;
    for (let column = 0; column < classes; column++) {
      const target = column === label ? 1 : 0;
      result[row * classes + column] = ((probabilities[row * classes + column] as number) - target) * factor;
    }
  });
  return floatTensor(result, scores.shape);
}

/**
 * grace.SigmoidCrossEntropyLoss on logits and float targets of one shape: per element
 * `max(x, 0) - x·t + log(1 + exp(-|x|))`, which equals `-t·log σ(x) - (1-t)·log(1-σ(x))` but never overflows
 * nor takes the log of 0.
 */
export function sigmoidCrossEntropyLoss(
  logits: HostTensor,
  targets: HostTensor,
  reduction: LossReduction,
): HostTensor<Float32Array> {
  let sum = 0;
  for (let element = 0; element < logits.data.length; element++) {
    const logit = logits.data[element] as number;
    const target = targets.data[element] as number;
    sum += Math.max(logit, 0) - logit * target + Math.log1p(Math.exp(-Math.abs(logit)));
  }
  return scalarTensor(sum * reductionFactor(reduction, logits.data.length));
}

/** `d/dlogits = (σ(x) - t) · dy · factor`, `d/dtargets = -x · dy · factor`. */
export function sigmoidCrossEntropyLossGradient(
  logits: HostTensor,
  targets: HostTensor,
  outputGradient: HostTensor,
  reduction: LossReduction,
  needed: readonly boolean[],
): (HostTensor<Float32Array> | undefined)[] {
  const factor = scalarOf(outputGradient) * reductionFactor(reduction, logits.data.length);
  return neededGradients(needed, 2, (index) => {
    const result = new Float32Array(logits.data.length);
    for (let element = 0; element < result.length; element++) {
      const logit = logits.data[element] as number;
      result[element] =
        index === 0 ? (sigmoid(logit) - (targets.data[element] as number)) * factor : -logit * factor;
    }
    return floatTensor(result, index === 0 ? logits.shape : targets.shape);
  });
}

/** grace.MeanSquaredErrorLoss: `(p - t)²` per element, summed or averaged. */
export function meanSquaredErrorLoss(
  predictions: HostTensor,
  targets: HostTensor,
  reduction: LossReduction,
): HostTensor<Float32Array> {
  let sum = 0;
  for (let element = 0; element < predictions.data.length; element++) {
    const difference = (predictions.data[element] as number) - (targets.data[element] as number);
    sum += difference * difference;
  }
  return scalarTensor(sum * reductionFactor(reduction, predictions.data.length));
}

/** `d/dp = 2(p - t) · dy · factor`, `d/dt = -2(p - t) · dy · factor`. */
export function meanSquaredErrorLossGradient(
  predictions: HostTensor,
  targets: HostTensor,
  outputGradient: HostTensor,
  reduction: LossReduction,
  needed: readonly boolean[],
): (HostTensor<Float32Array> | undefined)[] {
  const factor = 2 * scalarOf(outputGradient) * reductionFactor(reduction, predictions.data.length);
  return neededGradients(needed, 2, (index) => {
    const sign = index === 0 ? 1 : -1;
    const result = new Float32Array(predictions.data.length);
    for (let element = 0; element < result.length; element++) {
      const difference = (predictions.data[element] as number) - (targets.data[element] as number);
      result[element] = sign * difference * factor;
    }
    return floatTensor(result, index === 0 ? predictions.shape : targets.shape);
  });
}

/** SoftmaxCrossEntropyLoss as a {@link HostOp}; the integer labels get no gradient. */
export const softmaxCrossEntropyLossOp: HostOp<SuffixOpAttributes['SoftmaxCrossEntropyLoss']> = {
  forward: (inputs, attributes) =>
    softmaxCrossEntropyLoss(requireInput(inputs, 0), requireInput(inputs, 1), attributes),
  gradient: ({ inputs, outputGradient, attributes, needed }) =>
    neededGradients(needed, inputs.length, (index) =>
      index === 0
        ? softmaxCrossEntropyLossGradient(
            requireInput(inputs, 0),
            requireInput(inputs, 1),
            outputGradient,
            attributes,
          )
        : undefined,
    ),
};

/** SigmoidCrossEntropyLoss as a {@link HostOp}. */
export const sigmoidCrossEntropyLossOp: HostOp<SuffixOpAttributes['SigmoidCrossEntropyLoss']> = {
  forward: (inputs, attributes) =>
    sigmoidCrossEntropyLoss(requireInput(inputs, 0), requireInput(inputs, 1), attributes.reduction),
  gradient: ({ inputs, outputGradient, attributes, needed }) =>
    sigmoidCrossEntropyLossGradient(
      requireInput(inputs, 0),
      requireInput(inputs, 1),
      outputGradient,
      attributes.reduction,
      needed,
    ),
};

/** MeanSquaredErrorLoss as a {@link HostOp}. */
export const meanSquaredErrorLossOp: HostOp<SuffixOpAttributes['MeanSquaredErrorLoss']> = {
  forward: (inputs, attributes) =>
    meanSquaredErrorLoss(requireInput(inputs, 0), requireInput(inputs, 1), attributes.reduction),
  gradient: ({ inputs, outputGradient, attributes, needed }) =>
    meanSquaredErrorLossGradient(
      requireInput(inputs, 0),
      requireInput(inputs, 1),
      outputGradient,
      attributes.reduction,
      needed,
    ),
};
