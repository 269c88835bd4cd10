import { GraceError } from '@grace/core';
import type { OnnxInput, OnnxInputSpec } from './onnx-inputs.js';

/** The input name transformer exporters (Hugging Face, transformers.js) give the padding mask. */
export const defaultAttentionMaskInput = 'attention_mask';

/**
 * The attention-mask input of a model for `lengths`: the name given (checked to be a `[batch, T]` input), or
 * `attention_mask` when the model has such an input, or none (`null`: every row is `T` tokens long).
 */
export function resolveAttentionMaskInput(
  specs: readonly OnnxInputSpec[],
  requested: string | null | undefined,
): OnnxInputSpec | undefined {
  if (requested === null) return undefined;
  const name = requested ?? defaultAttentionMaskInput;
  const spec = specs.find((entry) => entry.name === name);
  if (spec === undefined) {
    if (requested === undefined) return undefined;
    throw new GraceError('INVALID_ARGUMENT', `attentionMask '${name}' is not an input of the model`, {
      attentionMask: name,
      inputs: specs.map((entry) => entry.name),
    });
  }
  if (spec.exampleShape.length !== 1) {
    throw new GraceError(
      'INVALID_ARGUMENT',
      `attentionMask '${name}' is [batch, ${spec.exampleShape.join(', ')}]; a padding mask is [batch, sequence]`,
      { attentionMask: name, shape: spec.exampleShape },
    );
  }
  return spec;
}

/**
 * Real tokens per row of a right-padded batch, read from its attention mask: the position after the last
 * non-zero entry (so the key token `last` is the last real token, not padding). A row whose mask is all zeros
 * has no real token and is refused (`INVALID_ARGUMENT`) rather than keyed on padding.
 */
export function attentionMaskLengths(maskInput: string, inputs: readonly OnnxInput[]): number[] {
  return inputs.map((input, row) => {
    const mask = (input as Readonly<Record<string, ArrayLike<number>>>)[maskInput];
    let length = 0;
    if (mask !== undefined) {
      for (let token = mask.length - 1; token >= 0; token--) {
        if (mask[token] !== 0) {
          length = token + 1;
          break;
        }
      }
    }
    if (length === 0) {
      throw new GraceError('INVALID_ARGUMENT', `example ${row}: its '${maskInput}' marks no real token`, {
        row,
        attentionMask: maskInput,
      });
    }
    return length;
  });
}
