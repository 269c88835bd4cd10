import type { EditingMethod, GraceEditor, ScoreKind } from '@grace/core';
import type { TokenLogLikelihood } from '@grace/models-decoder';
import type { CausalLmInput } from '@grace/onnx';

/** `[B, T, V]` token scores of a batch: probabilities, or logits (a log-softmax is taken of each row). */
export type TokenScores = (batch: readonly CausalLmInput[]) => Promise<{
  readonly classScores: Float32Array;
  readonly classCount: number;
  readonly kind: ScoreKind;
}>;

/**
 * Negative log-likelihood of each input's continuation given its prompt, through the editor's own prediction path
 * (`grace: true`: the edited model, the GRACE decision made at the prompt's last token; `false`: the unedited
 * model); see {@link continuationLikelihoodOf}.
 */
export function continuationLikelihood(
  editor: GraceEditor<CausalLmInput>,
  inputs: readonly CausalLmInput[],
  options: { readonly grace: boolean; readonly batchSize?: number },
): Promise<TokenLogLikelihood> {
  return continuationLikelihoodOf(
    async (batch) => (await editor.predictWithDetails(batch, { grace: options.grace })).scores,
    inputs,
    options,
  );
}

/** The token scores of a method's own prediction path: the logits its `predict` decodes. */
export function methodTokenScores(method: EditingMethod<CausalLmInput>): TokenScores {
  const { predictionOutput } = method;
  if (predictionOutput === undefined) throw new Error(`${method.name} gives no prediction output`);
  return async (batch) => {
    const { data, shape } = await predictionOutput(batch);
    return { classScores: data, classCount: shape.at(-1) as number, kind: 'logit' };
  };
}

/**
 * Negative log-likelihood of each input's continuation given its prompt, from token scores read through a
 * prediction path (the edited model, the GRACE decision made at the prompt's last token; the unedited model; a
 * baseline). The scores at position `prompt.length − 1 + j` predict continuation token `j` (teacher forcing).
 */
export async function continuationLikelihoodOf(
  scoresOf: TokenScores,
  inputs: readonly CausalLmInput[],
  options: { readonly batchSize?: number } = {},
): Promise<TokenLogLikelihood> {
  const batchSize = options.batchSize ?? 16;
  let negativeLogLikelihood = 0;
  let tokens = 0;
  for (let start = 0; start < inputs.length; start += batchSize) {
    const batch = inputs.slice(start, start + batchSize);
    const { classScores, classCount, kind } = await scoresOf(batch);
    const positions = classScores.length / classCount / batch.length;
    batch.forEach((input, row) => {
      (input.continuation ?? []).forEach((target, index) => {
        const offset = (row * positions + input.prompt.length - 1 + index) * classCount;
        const values = classScores.subarray(offset, offset + classCount);
        if (kind === 'probability') {
          negativeLogLikelihood -= Math.log(values[target] as number);
        } else {
          const largest = values.reduce((maximum, value) => Math.max(maximum, value), -Infinity);
          const total = values.reduce((sum, value) => sum + Math.exp(value - largest), 0);
          negativeLogLikelihood += largest + Math.log(total) - (values[target] as number);
        }
        tokens++;
      });
    });
  }
  return { negativeLogLikelihood, tokens };
}
