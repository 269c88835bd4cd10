import type { EditableModel } from '../editing/editable-model.js';

/**
 * The part after the edited layer of a small model for sequence-layer cases: `tokens` `[B, T, width]` averaged
 * over the tokens (padding included), times `weight` `[width, classes]` to `logits` `[B, classes]`, softmax
 * cross-entropy against class ids; labels are the arg-max class.
 */
export function meanPoolClassifier(
  width: number,
  weight: Float32Array,
): Pick<
  EditableModel<unknown>,
  | 'suffix'
  | 'activationInput'
  | 'targetInput'
  | 'predictionOutput'
  | 'lossOutput'
  | 'encodeTargets'
  | 'decodePredictions'
> {
  const classes = weight.length / width;
  return {
    activationInput: 'tokens',
    targetInput: 'target',
    predictionOutput: 'logits',
    lossOutput: 'loss',
    suffix: {
      inputs: [
        { name: 'tokens', dtype: 'float32', shape: ['batch', 'length', width] },
        { name: 'target', dtype: 'int32', shape: ['batch'] },
      ],
      initializers: [{ name: 'W', data: weight, shape: [width, classes] }],
      nodes: [
        {
          name: 'pool',
          opType: 'ReduceMean',
          inputs: ['tokens'],
          outputs: ['pooled'],
          attributes: { axes: [1], keepdims: 0 },
        },
        { name: 'head', opType: 'Gemm', inputs: ['pooled', 'W'], outputs: ['logits'] },
        { name: 'loss', opType: 'SoftmaxCrossEntropyLoss', inputs: ['logits', 'target'], outputs: ['loss'] },
      ],
      outputs: ['logits', 'loss'],
    },
    encodeTargets: (backend, labels) => backend.upload(Int32Array.from(labels as number[]), [labels.length]),
    decodePredictions: (prediction, shape) =>
      Array.from({ length: shape[0] as number }, (_, row) => {
        const logits = Array.from(prediction.subarray(row * classes, (row + 1) * classes));
        return logits.indexOf(Math.max(...logits));
      }),
  };
}
