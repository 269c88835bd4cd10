import type { SuffixOpAttributes } from '@grace/core';
import type { TensorFlow, TfTensor } from '../tensorflow.js';
import { type ExplicitOp, neededOnly } from './explicit-op.js';
import { inputAt } from './op-forward.js';
import { sumToShape } from './sum-to-shape.js';

/**
 * The cheap element-wise ops with their derivatives written out. `tf.grads` would give the same values but
 * re-run the forward and record a tape on every call, and value training calls these a few hundred times per
 * edit, where tfjs's per-op overhead, not arithmetic, is the cost. Pow, Div, Gelu, Sqrt and Erf keep autodiff.
 */

type Binary = 'Add' | 'Sub' | 'Mul';

function binaryOp<Op extends Binary>(
  forward: (tf: TensorFlow, left: TfTensor, right: TfTensor) => TfTensor,
  perElement: (tf: TensorFlow, index: number, dy: TfTensor, left: TfTensor, right: TfTensor) => TfTensor,
): ExplicitOp<SuffixOpAttributes[Op]> {
  return {
    forward: (tf, inputs) => forward(tf, inputAt(inputs, 0), inputAt(inputs, 1)),
    gradient: (tf, { inputs, outputGradient, needed }) => {
      const left = inputAt(inputs, 0);
      const right = inputAt(inputs, 1);
      return neededOnly(needed, 2, (index) =>
        sumToShape(
          tf,
          perElement(tf, index, outputGradient, left, right),
          (index === 0 ? left : right).shape,
        ),
      );
    },
  };
}

function unaryOp<Op extends 'Relu' | 'Tanh' | 'Sigmoid' | 'Identity'>(
  forward: (tf: TensorFlow, input: TfTensor) => TfTensor,
  derivative: (tf: TensorFlow, dy: TfTensor, input: TfTensor, output: TfTensor) => TfTensor,
): ExplicitOp<SuffixOpAttributes[Op]> {
  return {
    forward: (tf, inputs) => forward(tf, inputAt(inputs, 0)),
    gradient: (tf, { inputs, output, outputGradient, needed }) =>
      neededOnly(needed, 1, () => derivative(tf, outputGradient, inputAt(inputs, 0), output)),
  };
}

export const elementwiseOps = {
  Add: binaryOp<'Add'>(
    (tf, left, right) => tf.add(left, right),
    (tf, _index, dy) => tf.clone(dy),
  ),
  Sub: binaryOp<'Sub'>(
    (tf, left, right) => tf.sub(left, right),
    (tf, index, dy) => (index === 0 ? tf.clone(dy) : tf.neg(dy)),
  ),
  Mul: binaryOp<'Mul'>(
    (tf, left, right) => tf.mul(left, right),
    (tf, index, dy, left, right) => tf.mul(dy, index === 0 ? right : left),
  ),
  // 0 at x <= 0, the subgradient PyTorch and the reference use.
  Relu: unaryOp<'Relu'>(
    (tf, input) => tf.relu(input),
    (tf, dy, input) => tf.where(tf.greater(input, 0), dy, tf.zerosLike(dy)),
  ),
  Tanh: unaryOp<'Tanh'>(
    (tf, input) => tf.tanh(input),
    (tf, dy, _input, output) => tf.mul(dy, tf.sub(1, tf.square(output))),
  ),
  Sigmoid: unaryOp<'Sigmoid'>(
    (tf, input) => tf.sigmoid(input),
    (tf, dy, _input, output) => tf.mul(dy, tf.mul(output, tf.sub(1, output))),
  ),
  Identity: unaryOp<'Identity'>(
    (tf, input) => tf.clone(input),
    (tf, dy) => tf.clone(dy),
  ),
};
