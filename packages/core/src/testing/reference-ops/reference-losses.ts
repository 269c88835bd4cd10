import type { LossReduction } from '../../suffix/op-types.js';
import type { ReferenceArray } from '../reference-kernels.js';
import type { ReferenceResult } from './reference-elementwise.js';

function reduce(total: number, count: number, reduction: LossReduction): ReferenceResult {
  return { data: Float64Array.of(reduction === 'mean' ? total / count : total), shape: [] };
}

/**
 * ONNX SoftmaxCrossEntropyLoss without weights: `−log softmax(scores[n])[labels[n]]` summed over the rows
 * whose label is not `ignoreIndex`; the mean divides by the number of those rows (NaN when there are none).
 */
export function referenceSoftmaxCrossEntropyLoss(
  scores: ReferenceArray,
  labels: ArrayLike<number>,
  attributes: { readonly reduction: LossReduction; readonly ignoreIndex: number | null },
): ReferenceResult {
  const [rows, classes] = scores.shape as [number, number];
  let total = 0;
  let counted = 0;
  for (let row = 0; row < rows; row++) {
    const label = labels[row] as number;
    if (label === attributes.ignoreIndex) continue;
    const values = Array.from(
      { length: classes },
      (_, column) => scores.data[row * classes + column] as number,
    );
    const maximum = Math.max(...values);
    const logSum = maximum + Math.log(values.reduce((sum, value) => sum + Math.exp(value - maximum), 0));
    total += logSum - (values[label] as number);
    counted++;
  }
  return reduce(total, counted, attributes.reduction);
}

/**
 * Binary cross-entropy on logits, element by element: `−t log σ(x) − (1 − t) log(1 − σ(x))`, written as
 * `max(x, 0) − x t + log(1 + e^(−|x|))` (the same value, without overflow).
 */
export function referenceSigmoidCrossEntropyLoss(
  logits: ReferenceArray,
  targets: ReferenceArray,
  attributes: { readonly reduction: LossReduction },
): ReferenceResult {
  let total = 0;
  for (let index = 0; index < logits.data.length; index++) {
    const x = logits.data[index] as number;
    const target = targets.data[index] as number;
    total += Math.max(x, 0) - x * target + Math.log1p(Math.exp(-Math.abs(x)));
  }
  return reduce(total, logits.data.length, attributes.reduction);
}

/** Squared error `(prediction − target)²`, summed or averaged over every element. */
export function referenceMeanSquaredErrorLoss(
  predictions: ReferenceArray,
  targets: ReferenceArray,
  attributes: { readonly reduction: LossReduction },
): ReferenceResult {
  let total = 0;
  for (let index = 0; index < predictions.data.length; index++) {
    const difference = (predictions.data[index] as number) - (targets.data[index] as number);
    total += difference * difference;
  }
  return reduce(total, predictions.data.length, attributes.reduction);
}
