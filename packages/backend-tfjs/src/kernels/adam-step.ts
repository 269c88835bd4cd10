import { type AdamStepArguments, validateAdamStepArguments } from '@grace/core';
import type { TfjsKernelContext } from '../kernel-context.js';
import type { TensorFlow, TfTensor } from '../tensorflow.js';
import { resolveTfjsTensor } from '../tfjs-tensor.js';

/**
 * One Adam update in place (PyTorch's formulation, as `backend.ts` documents):
 * `m = β1 m + (1 - β1) g`, `v = β2 v + (1 - β2) g²`, `p -= lr / (1 - β1^t) · m / (sqrt(v) / sqrt(1 - β2^t) + ε)`.
 *
 * tfjs tensors are immutable, so the three new tensors are computed in one `tidy` and then swapped into the
 * caller's handles, which dispose the old ones: whoever holds the handles sees the update, as the spec asks,
 * and nothing is left behind. Arguments are checked first, so a refused step changes nothing.
 */
export function adamStep(context: TfjsKernelContext, args: AdamStepArguments): void {
  validateAdamStepArguments(args);
  const parameter = resolveTfjsTensor(args.parameter, context.owner, 'parameter');
  const gradient = context.read(args.gradient, 'gradient');
  const firstMoment = resolveTfjsTensor(args.firstMoment, context.owner, 'firstMoment');
  const secondMoment = resolveTfjsTensor(args.secondMoment, context.owner, 'secondMoment');
  const [nextParameter, nextFirst, nextSecond] = context.tf.tidy(() =>
    adamUpdate(context.tf, parameter.storage, gradient, firstMoment.storage, secondMoment.storage, args),
  );
  parameter.replace(nextParameter);
  firstMoment.replace(nextFirst);
  secondMoment.replace(nextSecond);
}

/** The new parameter and moments of one Adam update, as new tfjs tensors. Call inside `tf.tidy`. */
export function adamUpdate(
  tf: TensorFlow,
  parameter: TfTensor,
  gradient: TfTensor,
  firstMoment: TfTensor,
  secondMoment: TfTensor,
  args: Pick<AdamStepArguments, 'step' | 'hyperparameters'>,
): [TfTensor, TfTensor, TfTensor] {
  const { learningRate, beta1, beta2, epsilon } = args.hyperparameters;
  const stepSize = learningRate / (1 - beta1 ** args.step);
  const secondCorrectionRoot = Math.sqrt(1 - beta2 ** args.step);
  const first = tf.add(tf.mul(firstMoment, beta1), tf.mul(gradient, 1 - beta1));
  const second = tf.add(tf.mul(secondMoment, beta2), tf.mul(tf.square(gradient), 1 - beta2));
  const denominator = tf.add(tf.div(tf.sqrt(second), secondCorrectionRoot), epsilon);
  const update = tf.mul(tf.div(first, denominator), stepSize);
  return [tf.sub(parameter, update), first, second];
}
