import type { OpDefinition } from '../op-definition.js';
import type { LossReduction } from '../op-types.js';
import type { Dimension, SymbolicShape } from '../suffix-graph.js';
import { dimensionsCompatible, formatSymbolicShape } from '../symbolic-shape.js';
import { NodeReader } from './node-reader.js';

/**
 * `reduction`: the loss of value training is one scalar, so `none` (a loss per element) is valid ONNX that
 * this op set does not support.
 */
function readReduction(reader: NodeReader): LossReduction {
  const reduction = reader.choice('reduction', ['mean', 'sum', 'none'], 'mean');
  if (reduction === 'none') {
    throw reader.error(
      'UNSUPPORTED_OP',
      "reduction 'none' gives a loss per element; value training needs a scalar ('mean' or 'sum')",
    );
  }
  return reduction;
}

/** Two inputs of one shape (dimension by dimension, names checked at run time). */
function requireSameShape(
  reader: NodeReader,
  left: SymbolicShape,
  right: SymbolicShape,
  roles: string,
): void {
  const same =
    left.length === right.length &&
    left.every((dimension, axis) => dimensionsCompatible(dimension, right[axis] as Dimension));
  if (!same) {
    throw reader.error(
      'SHAPE_MISMATCH',
      `${roles} must have the same shape, got ${formatSymbolicShape(left)} and ${formatSymbolicShape(right)}`,
      { shapes: [left, right] },
    );
  }
}

/**
 * ONNX SoftmaxCrossEntropyLoss on class ids, the loss of a classifier's edit. v1 takes scores `[N, C]` and
 * int32 labels `[N]`; ONNX's extra dimensions `[N, C, D1...]` and per-class weights are refused rather than
 * computed differently by some backend.
 */
export const softmaxCrossEntropyLossDefinition: OpDefinition<'SoftmaxCrossEntropyLoss'> = {
  type: 'SoftmaxCrossEntropyLoss',
  minimumInputs: 2,
  maximumInputs: 3,
  integerInputs: [1],
  resolve(context) {
    const reader = new NodeReader(context, 'SoftmaxCrossEntropyLoss');
    reader.allowAttributes(['reduction', 'ignore_index']);
    const reduction = readReduction(reader);
    const ignoreIndex = reader.optionalInteger('ignore_index');
    const scores = reader.shape(0, 'scores');
    const labels = reader.shape(1, 'labels');
    if (reader.optionalShape(2) !== undefined) {
      throw reader.error('UNSUPPORTED_OP', 'the optional weights input is not supported in op set v1');
    }
    if (scores.length > 2) {
      throw reader.error(
        'UNSUPPORTED_OP',
        `scores ${formatSymbolicShape(scores)} have rank ${scores.length}; op set v1 supports [N, C] only ` +
          '(reshape to [N * D, C] first)',
        { shape: scores },
      );
    }
    reader.requireRank(scores, 'scores [N, C]', 2);
    reader.requireRank(labels, 'labels [N]', 1);
    if (!dimensionsCompatible(scores[0] as Dimension, labels[0] as Dimension)) {
      throw reader.error(
        'SHAPE_MISMATCH',
        `labels ${formatSymbolicShape(labels)} do not match the batch of scores ${formatSymbolicShape(scores)}`,
        { shapes: [scores, labels] },
      );
    }
    return { attributes: { reduction, ignoreIndex }, outputShape: [] };
  },
};

/** Two float inputs of one shape reduced to a scalar: the shape of both `grace` losses. */
function pairLossDefinition<Op extends 'SigmoidCrossEntropyLoss' | 'MeanSquaredErrorLoss'>(
  type: Op,
  roles: string,
): OpDefinition<Op> {
  return {
    type,
    minimumInputs: 2,
    maximumInputs: 2,
    integerInputs: [],
    resolve(context) {
      const reader = new NodeReader(context, type);
      reader.allowAttributes(['reduction']);
      const reduction = readReduction(reader);
      requireSameShape(reader, reader.shape(0, 'input'), reader.shape(1, 'target'), roles);
      return { attributes: { reduction } as { reduction: LossReduction }, outputShape: [] };
    },
  };
}

/** grace.SigmoidCrossEntropyLoss: logits and float targets in [0, 1], for multi-label and binary heads. */
export const sigmoidCrossEntropyLossDefinition = pairLossDefinition(
  'SigmoidCrossEntropyLoss',
  'logits and targets',
);
/** grace.MeanSquaredErrorLoss: predictions and targets, for regression heads and matching an activation. */
export const meanSquaredErrorLossDefinition = pairLossDefinition(
  'MeanSquaredErrorLoss',
  'predictions and targets',
);
