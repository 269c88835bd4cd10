import type { TensorFlow, TfTensor } from '../tensorflow.js';

/**
 * A gradient summed over the axes along which an operand of `shape` was broadcast to the gradient's shape
 * (numpy rules: missing leading axes and axes of size 1), then shaped as the operand.
 */
export function sumToShape(tf: TensorFlow, gradient: TfTensor, shape: readonly number[]): TfTensor {
  const offset = gradient.rank - shape.length;
  const axes = gradient.shape.flatMap((dimension, axis) =>
    axis < offset || (shape[axis - offset] === 1 && dimension !== 1) ? [axis] : [],
  );
  const summed = axes.length === 0 ? gradient : tf.sum(gradient, axes);
  return tf.reshape(summed, [...shape]);
}
