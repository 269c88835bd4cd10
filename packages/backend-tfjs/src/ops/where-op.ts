import { broadcastShapes, type SuffixOpAttributes } from '@grace/core';
import type { TensorFlow, TfTensor } from '../tensorflow.js';
import { type ExplicitOp, neededOnly } from './explicit-op.js';
import { inputAt } from './op-forward.js';
import { sumToShape } from './sum-to-shape.js';

/** The three inputs broadcast to the output's shape, the condition as booleans (true where non-zero). */
function broadcastInputs(
  tf: TensorFlow,
  inputs: readonly (TfTensor | undefined)[],
): { condition: TfTensor; whenTrue: TfTensor; whenFalse: TfTensor } {
  const condition = tf.notEqual(inputAt(inputs, 0), 0);
  const whenTrue = inputAt(inputs, 1);
  const whenFalse = inputAt(inputs, 2);
  const target = broadcastShapes(condition.shape, whenTrue.shape, whenFalse.shape);
  return {
    condition: tf.broadcastTo(condition, target),
    whenTrue: tf.broadcastTo(whenTrue, target),
    whenFalse: tf.broadcastTo(whenFalse, target),
  };
}

/**
 * Where with a hand-written gradient: X's is the output gradient where the condition holds, Y's where it does
 * not (each summed back to its shape), the condition's is zero. Written out because the condition reaches
 * `tf.where` through a comparison, which tfjs's autodiff cannot differentiate.
 */
export const whereOp: ExplicitOp<SuffixOpAttributes['Where']> = {
  forward: (tf, inputs) => {
    const { condition, whenTrue, whenFalse } = broadcastInputs(tf, inputs);
    return tf.where(condition, whenTrue, whenFalse);
  },
  gradient: (tf, { inputs, outputGradient, needed }) => {
    const { condition } = broadcastInputs(tf, inputs);
    const zeros = tf.zerosLike(outputGradient);
    return neededOnly(needed, 3, (index) => {
      const input = inputAt(inputs, index);
      if (index === 0) return tf.zerosLike(input);
      const selected =
        index === 1 ? tf.where(condition, outputGradient, zeros) : tf.where(condition, zeros, outputGradient);
      return sumToShape(tf, selected, input.shape);
    });
  },
};

/** IsNaN as a float 0/1 mask; its gradient is zero. */
export const isNaNOp: ExplicitOp<SuffixOpAttributes['IsNaN']> = {
  forward: (tf, inputs) => tf.cast(tf.isNaN(inputAt(inputs, 0)), 'float32'),
  gradient: (tf, { inputs, needed }) => neededOnly(needed, 1, () => tf.zerosLike(inputAt(inputs, 0))),
};
