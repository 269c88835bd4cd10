import type { AdamHyperparameters } from '../backend.js';
import type { Tensor } from '../tensor.js';

/** Arguments of {@link CompiledValueStep.step}. */
export interface ValueStepArguments {
  /** A feed for every input the program was planned with; the trained input's feed is the parameter. */
  readonly feeds: Readonly<Record<string, Tensor>>;
  /** Whether to hand back the program's outputs (the loss, the prediction), computed before the update. */
  readonly withOutputs: boolean;
  /** Adam's state, updated in place like the parameter: shaped like it, starting at zero. */
  readonly firstMoment: Tensor<'float32'>;
  readonly secondMoment: Tensor<'float32'>;
  /** 1 for the first update. */
  readonly step: number;
  readonly hyperparameters: AdamHyperparameters;
}

/**
 * One whole value-training step compiled by a backend: the suffix forward, the gradient of the loss with
 * respect to the trained input, and the Adam update of that input, as one call — in one `tf.tidy` on tfjs, over
 * raw host arrays on cpu — instead of a kernel call per op through tensor handles. It computes what the
 * per-op path computes (same kernels, same order), so the trained value is the same.
 */
export interface CompiledValueStep {
  /**
   * Updates the trained input's feed, `firstMoment` and `secondMoment` in place (as `adamStep` does) and
   * returns the program's outputs as new tensors for the caller when `withOutputs` (else an empty map).
   * Errors as the per-op path's (e.g. `SHAPE_MISMATCH` for a feed unlike the planned one); a step that throws
   * leaves the parameter and moments unchanged.
   */
  step(args: ValueStepArguments): ReadonlyMap<string, Tensor<'float32'>>;
}
