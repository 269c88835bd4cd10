import type { SuffixOpAttributes } from '@grace/core';
import type { TensorFlow, TfTensor } from '../tensorflow.js';
import { type ExplicitOp, type InputAccess, neededOnly } from './explicit-op.js';
import { inputAt } from './op-forward.js';

/** The indices wrapped into `[0, count)` (ONNX counts negative ones from the end), shaped like the input. */
function wrappedIndices(tf: TensorFlow, access: InputAccess, indices: TfTensor, count: number): TfTensor {
  const wrapped = Int32Array.from(access.hostIntegers(1), (index) => (index < 0 ? index + count : index));
  return tf.tensor(wrapped, indices.shape, 'int32');
}

/**
 * ONNX Gather with a hand-written gradient: tfjs differentiates `gather` with `unsortedSegmentSum`, which its
 * wasm backend lacks, so the gradient is a product with the indices' one-hot matrix instead — with data seen as
 * `[outer, count, inner]` and the output gradient as `[outer, K, inner]`, `dx[o] = onehot(indices)ᵀ · dy[o]`,
 * which also adds repeated indices up.
 */
export const gatherOp: ExplicitOp<SuffixOpAttributes['Gather']> = {
  forward: (tf, inputs, attributes, _outputShape, access) => {
    const data = inputAt(inputs, 0);
    const count = data.shape[attributes.axis] as number;
    return tf.gather(data, wrappedIndices(tf, access, inputAt(inputs, 1), count), attributes.axis);
  },
  gradient: (tf, { inputs, outputGradient, attributes, needed, access }) =>
    neededOnly(needed, 2, (index) => {
      if (index !== 0) return undefined;
      const data = inputAt(inputs, 0);
      const { axis } = attributes;
      const outer = data.shape.slice(0, axis).reduce((product, size) => product * size, 1);
      const count = data.shape[axis] as number;
      const inner = data.shape.slice(axis + 1).reduce((product, size) => product * size, 1);
      const picks = tf.reshape(wrappedIndices(tf, access, inputAt(inputs, 1), count), [-1]);
      const picked = picks.shape[0] as number;
      const selection = tf.cast(tf.oneHot(picks, count), 'float32');
      const rows = tf.reshape(tf.transpose(tf.reshape(outputGradient, [outer, picked, inner]), [1, 0, 2]), [
        picked,
        outer * inner,
      ]);
      const summed = tf.reshape(tf.matMul(selection, rows, true, false), [count, outer, inner]);
      return tf.reshape(tf.transpose(summed, [1, 0, 2]), data.shape);
    }),
};
