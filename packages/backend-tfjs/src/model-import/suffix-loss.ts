import {
  type Dimension,
  type EditLabel,
  type GraceBackend,
  GraceError,
  type GraphInput,
  type GraphNode,
  type SymbolicShape,
  type Tensor,
} from '@grace/core';

/** The loss added after the model's prediction so that values can be trained through the suffix. */
export type TfjsModelLoss = 'softmax-cross-entropy' | 'sigmoid-cross-entropy' | 'mean-squared-error';

/** How an imported suffix is completed for training. */
export interface TfjsSuffixLossOptions {
  /** Default `softmax-cross-entropy` (class-id labels). */
  readonly loss?: TfjsModelLoss;
  /**
   * The tensor the loss reads. Default: the input of the Softmax (or Sigmoid, for the sigmoid loss) that makes
   * the prediction when there is one, that is the logits; else the prediction itself.
   */
  readonly lossOn?: string;
}

/** The target input and loss output names, chosen so they cannot clash with tfjs tensor names. */
export const targetInputName = 'grace:target';
export const lossOutputName = 'grace:loss';

const lossOps: Readonly<Record<TfjsModelLoss, string>> = {
  'softmax-cross-entropy': 'SoftmaxCrossEntropyLoss',
  'sigmoid-cross-entropy': 'SigmoidCrossEntropyLoss',
  'mean-squared-error': 'MeanSquaredErrorLoss',
};

/** The loss node and the target input that complete an imported suffix. */
export interface SuffixLoss {
  readonly loss: TfjsModelLoss;
  readonly target: GraphInput;
  readonly node: GraphNode;
}

/**
 * The loss node for `prediction`: on the logits when the prediction is their softmax (or sigmoid), so the
 * trained value sees the numerically stable loss, else on the prediction.
 */
export function suffixLoss(
  nodes: readonly GraphNode[],
  prediction: string,
  shapeOf: (name: string) => SymbolicShape,
  options: TfjsSuffixLossOptions,
): SuffixLoss {
  const loss = options.loss ?? 'softmax-cross-entropy';
  if (!(loss in lossOps)) {
    throw new GraceError('INVALID_ARGUMENT', `unknown loss '${String(loss)}'`, { loss });
  }
  const finalActivation =
    loss === 'sigmoid-cross-entropy' ? 'Sigmoid' : loss === 'softmax-cross-entropy' ? 'Softmax' : undefined;
  const producer = nodes.find((node) => node.outputs[0] === prediction);
  const lossOn =
    options.lossOn ??
    (producer !== undefined && producer.opType === finalActivation
      ? (producer.inputs[0] as string)
      : prediction);
  const lossShape = shapeOf(lossOn);
  const target: GraphInput =
    loss === 'softmax-cross-entropy'
      ? { name: targetInputName, dtype: 'int32', shape: [lossShape[0] as Dimension] }
      : { name: targetInputName, dtype: 'float32', shape: lossShape };
  return {
    loss,
    target,
    node: {
      name: lossOutputName,
      opType: lossOps[loss],
      inputs: [lossOn, targetInputName],
      outputs: [lossOutputName],
      attributes: { reduction: 'mean' },
    },
  };
}

/** Loss targets of a batch: class ids for the softmax loss, float rows otherwise. */
export function encodeLossTargets(
  backend: GraceBackend,
  loss: TfjsModelLoss,
  labels: readonly EditLabel[],
): Tensor {
  if (loss === 'softmax-cross-entropy') {
    return backend.upload(
      Int32Array.from(labels, (label) => {
        if (typeof label !== 'number' || !Number.isInteger(label))
          throw new GraceError('INVALID_ARGUMENT', `a class label is an integer, got ${String(label)}`, {
            label,
          });
        return label;
      }),
      [labels.length],
    );
  }
  const rows = labels.map((label) =>
    typeof label === 'number' ? [label] : [...(label as readonly number[])],
  );
  return backend.upload(Float32Array.from(rows.flat()), [labels.length, rows[0]?.length ?? 1]);
}
