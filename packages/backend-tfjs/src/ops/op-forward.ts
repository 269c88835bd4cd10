import type { Shape, SuffixOpAttributes } from '@grace/core';
import type { TensorFlow, TfTensor } from '../tensorflow.js';
import type { ExplicitOpType } from './explicit-ops.js';

/**
 * The forward computation of one op on tfjs tensors (absent optional inputs are `undefined`). Written only
 * with differentiable tfjs ops, so that `tf.grads` of the same function is the op's gradient wherever no
 * explicit formula is given. Call inside `tf.tidy`.
 */
export type OpForward<Attributes> = (
  tf: TensorFlow,
  inputs: readonly (TfTensor | undefined)[],
  attributes: Attributes,
  outputShape: Shape,
) => TfTensor;

/** An input the op definition guarantees is present; core validated arity before the kernel ran. */
export function inputAt(inputs: readonly (TfTensor | undefined)[], index: number): TfTensor {
  return inputs[index] as TfTensor;
}

/** numpy broadcasting of two shapes (core has validated that they broadcast). */
function broadcastShape(left: readonly number[], right: readonly number[]): number[] {
  const rank = Math.max(left.length, right.length);
  return Array.from({ length: rank }, (_, axis) => {
    const leftDimension = left[left.length - rank + axis] ?? 1;
    const rightDimension = right[right.length - rank + axis] ?? 1;
    return leftDimension === 1 ? rightDimension : leftDimension;
  });
}

/**
 * numpy matmul. tfjs's batched matMul broadcasts the batch only when one side's batch is 1, so both operands
 * are broadcast to the common batch shape first; `broadcastTo`'s gradient sums back to the operand's shape.
 */
export function matMulForward(tf: TensorFlow, left: TfTensor, right: TfTensor): TfTensor {
  if (left.rank === 2 && right.rank === 2) return tf.matMul(left, right);
  const batch = broadcastShape(left.shape.slice(0, -2), right.shape.slice(0, -2));
  const leftFull = tf.broadcastTo(left, [...batch, ...left.shape.slice(-2)]);
  const rightFull = tf.broadcastTo(right, [...batch, ...right.shape.slice(-2)]);
  return tf.matMul(leftFull, rightFull);
}

/** Softmax along any axis (tfjs's own is last-axis only), shifted by the maximum so `exp` never overflows. */
export function softmaxForward(tf: TensorFlow, input: TfTensor, axis: number): TfTensor {
  const exponentials = tf.exp(tf.sub(input, tf.max(input, axis, true)));
  return tf.div(exponentials, tf.sum(exponentials, axis, true));
}

/** Log-softmax along any axis: `x - max - log(sum(exp(x - max)))`. */
export function logSoftmaxForward(tf: TensorFlow, input: TfTensor, axis: number): TfTensor {
  const shifted = tf.sub(input, tf.max(input, axis, true));
  return tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), axis, true)));
}

const sqrtTwoOverPi = Math.sqrt(2 / Math.PI);

/** Gelu, exact (`x Φ(x)` through `tf.erf`) or the tanh approximation. */
function geluForward(tf: TensorFlow, input: TfTensor, approximate: 'none' | 'tanh'): TfTensor {
  const inner =
    approximate === 'none'
      ? tf.erf(tf.mul(input, Math.SQRT1_2))
      : tf.tanh(tf.mul(tf.add(input, tf.mul(tf.pow(input, 3), 0.044715)), sqrtTwoOverPi));
  return tf.mul(tf.mul(input, 0.5), tf.add(inner, 1));
}

/** LayerNormalization over axes `axis .. rank-1` (population variance, as ONNX). */
function layerNormalizationForward(
  tf: TensorFlow,
  inputs: readonly (TfTensor | undefined)[],
  attributes: SuffixOpAttributes['LayerNormalization'],
): TfTensor {
  const input = inputAt(inputs, 0);
  const axes = Array.from({ length: input.rank - attributes.axis }, (_, offset) => attributes.axis + offset);
  const centered = tf.sub(input, tf.mean(input, axes, true));
  const variance = tf.mean(tf.square(centered), axes, true);
  const normalized = tf.mul(centered, tf.rsqrt(tf.add(variance, attributes.epsilon)));
  const scaled = tf.mul(normalized, inputAt(inputs, 1));
  const bias = inputs[2];
  return bias === undefined ? scaled : tf.add(scaled, bias);
}

/** Forward of every op whose gradient tfjs's autodiff gives correctly (the rest are in `explicit-ops.ts`). */
export const autodiffForwards = {
  Div: (tf, inputs) => tf.div(inputAt(inputs, 0), inputAt(inputs, 1)),
  Pow: (tf, inputs) => tf.pow(inputAt(inputs, 0), inputAt(inputs, 1)),
  Gelu: (tf, inputs, attributes) => geluForward(tf, inputAt(inputs, 0), attributes.approximate),
  Sqrt: (tf, inputs) => tf.sqrt(inputAt(inputs, 0)),
  Erf: (tf, inputs) => tf.erf(inputAt(inputs, 0)),
  LayerNormalization: (tf, inputs, attributes) => layerNormalizationForward(tf, inputs, attributes),
  ReduceMean: (tf, inputs, attributes) =>
    tf.mean(inputAt(inputs, 0), [...attributes.axes], attributes.keepDims),
  ReduceSum: (tf, inputs, attributes) =>
    tf.sum(inputAt(inputs, 0), [...attributes.axes], attributes.keepDims),
  Reshape: (tf, inputs, _attributes, outputShape) => tf.reshape(inputAt(inputs, 0), [...outputShape]),
  Transpose: (tf, inputs, attributes) => tf.transpose(inputAt(inputs, 0), [...attributes.perm]),
  Concat: (tf, inputs, attributes) =>
    tf.concat(
      inputs.map((_, index) => inputAt(inputs, index)),
      attributes.axis,
    ),
} satisfies { [Op in AutodiffOpType]: OpForward<SuffixOpAttributes[Op]> };

/** The ops whose gradient is `tf.grads` of their forward. */
export type AutodiffOpType = Exclude<keyof SuffixOpAttributes, ExplicitOpType>;
