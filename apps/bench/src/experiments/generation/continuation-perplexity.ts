import type { GraceEditor } from '@grace/core';
import type { TokenLogLikelihood } from '@grace/models-decoder';
import type { CausalLmInput } from '@grace/onnx';

/**
 * Negative log-likelihood of each input's continuation given its prompt, through the editor's own prediction path
 * (`grace: true`: the edited model, the GRACE decision made at the prompt's last token; `false`: the unedited
 * model). The logits at position `prompt.length − 1 + j` predict continuation token `j` (teacher forcing).
 */
export async function continuationLikelihood(
  editor: GraceEditor<CausalLmInput>,
  inputs: readonly CausalLmInput[],
  options: { readonly grace: boolean; readonly batchSize?: number },
): Promise<TokenLogLikelihood> {
  const batchSize = options.batchSize ?? 16;
  let negativeLogLikelihood = 0;
  let tokens = 0;
  for (let start = 0; start < inputs.length; start += batchSize) {
    const batch = inputs.slice(start, start + batchSize);
    const { scores } = await editor.predictWithDetails(batch, { grace: options.grace });
    const { classScores, classCount, kind } = scores;
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
