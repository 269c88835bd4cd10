import type { Shape, Tensor } from '../tensor.js';
import type { SuffixOpAttributes, SuffixOpType } from './op-types.js';

/**
 * What a backend implements for one op of the suffix graph: the forward computation and the vector-Jacobian
 * product (the gradient of a scalar with respect to each input, given its gradient with respect to the
 * output). Core's executor chains them; weights are frozen, so only the inputs marked `needed` (those on the
 * path from the trained value, or the weights during upstream training) get a gradient.
 *
 * Shapes and attributes are validated and resolved by core before a kernel runs, so kernels only compute.
 * Every returned tensor is new and belongs to the caller.
 */
export interface OpKernel<Attributes> {
  /**
   * `inputs` in ONNX order; an absent optional input (Gemm's C, LayerNormalization's B) is `undefined`.
   * `outputShape` is what core inferred, e.g. Reshape's target shape.
   */
  forward(
    inputs: readonly (Tensor | undefined)[],
    attributes: Attributes,
    outputShape: Shape,
  ): Tensor<'float32'>;
  /** Gradients for the inputs marked `needed`, `undefined` for the others, one entry per input. */
  gradient(args: OpGradientArguments<Attributes>): (Tensor<'float32'> | undefined)[];
}

/** Arguments of {@link OpKernel.gradient}. */
export interface OpGradientArguments<Attributes> {
  /** The forward inputs. */
  readonly inputs: readonly (Tensor | undefined)[];
  /** The forward output (saves recomputing it: Sigmoid, Tanh, Softmax reuse it). */
  readonly output: Tensor<'float32'>;
  /** Gradient of the scalar with respect to the output, shaped like it. */
  readonly outputGradient: Tensor<'float32'>;
  readonly attributes: Attributes;
  /** One flag per input. Integer inputs (labels) are never needed. */
  readonly needed: readonly boolean[];
}

/** One kernel per op: a backend lacking one does not compile. */
export type SuffixKernels = { readonly [Op in SuffixOpType]: OpKernel<SuffixOpAttributes[Op]> };
