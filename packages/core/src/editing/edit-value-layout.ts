import type { ReplacementMode } from '../backend.js';
import { GraceError } from '../errors.js';
import { formatShape, type Tensor } from '../tensor.js';
import { replacedTokenMask } from './replaced-token-mask.js';
import type { ValuePlacement } from './value-placement.js';

/** What fixes where an edit's value goes in its (single-row) training example. */
export interface EditValueLayoutInput {
  /** The frozen layer output of the example, `[1, Dv]` or `[1, T, Dv]`. */
  readonly frozenOutput: Tensor<'float32'>;
  /** The row's key token. */
  readonly keyPosition: number;
  readonly replacement: ReplacementMode;
  /** S: vectors per value (1 but for `span`). */
  readonly spanLength: number;
}

/**
 * How an edit's value of `S·Dv` floats meets its training row:
 * - `placement` and `trainedWidth`: the leading `trainedWidth` floats are trained through that placement; the
 *   rest (span vectors whose tokens lie past the end of the row, T, as the model ran it: they have no token to
 *   act on) are not;
 * - `frozenTokens`: for each of the value's S vectors, the token whose frozen output it starts from (`warm`
 *   initialisation): its own token, or for a span vector past the row's end, the row's last token. That frozen
 *   output is also what an untrained span vector of a new key keeps, whatever the initialisation, so that it
 *   never writes noise over the tokens after the trained continuation.
 *
 * The row's end is T, not its `lengths` entry: a causal language model's `lengths` is its prompt (where the key
 * token sits), and the continuation after it is exactly what a span trains. A vector over padding is trained,
 * but its loss gradient there is zero, so Adam leaves it where it started.
 */
export interface EditValueLayout {
  readonly placement: ValuePlacement;
  readonly trainedWidth: number;
  readonly frozenTokens: readonly number[];
}

/**
 * The layout of one edit's value; see {@link EditValueLayout}. `SHAPE_MISMATCH` for a span of several vectors
 * on a layer output without tokens.
 */
export function editValueLayout(input: EditValueLayoutInput): EditValueLayout {
  const { frozenOutput, keyPosition, replacement, spanLength } = input;
  const shape = frozenOutput.shape;
  const width = shape.at(-1) as number;
  if (shape.length !== 3) {
    if (spanLength !== 1) {
      throw new GraceError(
        'SHAPE_MISMATCH',
        `a layer output ${formatShape(shape)} has no tokens for a span of ${spanLength} vectors`,
        { layerOutput: shape, spanLength },
      );
    }
    return { placement: { kind: 'row' }, trainedWidth: width, frozenTokens: [0] };
  }
  const tokens = shape[1] as number;
  if (replacement !== 'span') {
    return {
      placement: {
        kind: 'tokens',
        frozenOutput,
        replaced: replacedTokenMask(replacement, tokens, keyPosition),
      },
      trainedWidth: width,
      frozenTokens: [keyPosition],
    };
  }
  const trainedVectors = Math.min(spanLength, tokens - keyPosition);
  return {
    placement: { kind: 'span', frozenOutput, keyPosition },
    trainedWidth: trainedVectors * width,
    frozenTokens: Array.from({ length: spanLength }, (_, vector) =>
      Math.min(keyPosition + vector, tokens - 1),
    ),
  };
}

/** `[S·Dv]`: the frozen output `[T·Dv]` (host copy) at each of `frozenTokens`, one vector after another. */
export function frozenValue(
  frozenOutput: Float32Array,
  width: number,
  frozenTokens: readonly number[],
): Float32Array {
  const value = new Float32Array(frozenTokens.length * width);
  for (const [vector, token] of frozenTokens.entries()) {
    value.set(frozenOutput.subarray(token * width, (token + 1) * width), vector * width);
  }
  return value;
}
