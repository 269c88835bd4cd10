import type { Shape } from '@grace/core';
import type { TensorFlow, TfTensor } from '../tensorflow.js';

/** What an explicit op may ask of its inputs' handles beyond their tfjs tensors. */
export interface InputAccess {
  /** The host values of an int32 input (labels), for range checks and weights. */
  hostIntegers(inputIndex: number): Int32Array;
  /** The transpose of a rank-2 input, cached on its handle (frozen weights are the same handle every step). */
  transposed(inputIndex: number): TfTensor;
}

/** Arguments of {@link ExplicitOp.gradient}, over tfjs tensors. */
export interface ExplicitGradientArguments<Attributes> {
  readonly inputs: readonly (TfTensor | undefined)[];
  readonly output: TfTensor;
  readonly outputGradient: TfTensor;
  readonly attributes: Attributes;
  readonly needed: readonly boolean[];
  readonly access: InputAccess;
}

/**
 * An op with a hand-written gradient: cheaper than differentiating the forward (Softmax reuses its output),
 * exact where autodiff of the stable forms would pick a wrong subgradient (the sigmoid cross-entropy's
 * `|x|` at 0), or needing host data (the ignored rows of the softmax cross-entropy). Call inside `tf.tidy`.
 */
export interface ExplicitOp<Attributes> {
  forward(
    tf: TensorFlow,
    inputs: readonly (TfTensor | undefined)[],
    attributes: Attributes,
    outputShape: Shape,
    access: InputAccess,
  ): TfTensor;
  gradient(tf: TensorFlow, args: ExplicitGradientArguments<Attributes>): (TfTensor | undefined)[];
}

/** Gradients only where needed; each index gets `make(index)` or `undefined`. */
export function neededOnly(
  needed: readonly boolean[],
  count: number,
  make: (index: number) => TfTensor | undefined,
): (TfTensor | undefined)[] {
  return Array.from({ length: count }, (_, index) => (needed[index] ? make(index) : undefined));
}
