import type { Tensor } from '../tensor.js';

/** What to compute in one pass over a suffix graph. */
export interface SuffixExecutionRequest {
  /**
   * Tensors for the graph's inputs by name (and, to train weights, replacements for initializers). They stay
   * owned by the caller.
   */
  readonly feeds: Readonly<Record<string, Tensor>>;
  /** Values to return, usually the prediction and/or the loss. */
  readonly outputs: readonly string[];
  /** Reverse mode: gradients of the scalar `of` with respect to the named inputs or initializers. */
  readonly gradient?: { readonly of: string; readonly withRespectTo: readonly string[] };
}

/** Results of one pass; every tensor is new and belongs to the caller. */
export interface SuffixExecutionResult {
  readonly outputs: ReadonlyMap<string, Tensor<'float32'>>;
  readonly gradients: ReadonlyMap<string, Tensor<'float32'>>;
}

/** Disposes every tensor of a result; convenient in `finally` blocks. */
export function disposeExecutionResult(
  dispose: (tensor: Tensor) => void,
  result: SuffixExecutionResult | undefined,
): void {
  if (result === undefined) return;
  for (const tensor of result.outputs.values()) dispose(tensor);
  for (const tensor of result.gradients.values()) dispose(tensor);
}
