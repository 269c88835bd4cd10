import type { ReplacementMode } from '../backend.js';
import { GraceError } from '../errors.js';
import { formatShape, type Tensor } from '../tensor.js';
import { replacedTokenMask } from './replaced-token-mask.js';
import type { ValuePlacement } from './value-placement.js';

/** What fixes where an edit's value goes in its (single-row) training example. */
export interface EditValueLayoutInput {
  /** The frozen layer output of the example, `[1, Dv]` or `[1, T, Dv]`. */
  readonly frozenOutput: Tensor<'float32'>;
  /** The row's real tokens (T without padding). */
  readonly length: number;
  /** The row's key token. */
  readonly keyPosition: number;
  readonly replacement: ReplacementMode;
  /** S: vectors per value (1 but for `span`). */
  readonly spanLength: number;
}

/**
 * How an edit's value of `S·Dv` floats meets its training row:
 * - `placement` and `trainedWidth`: the leading `trainedWidth` floats are trained through that placement; the
 *   rest (span vectors whose tokens lie past the row's last real token: they get no gradient) are not;
 * - `frozenTokens`: for each of the value's S vectors, the token whose frozen output it starts from (`warm`
 *   initialisation) — its own token, or for a span vector past the row's end, the row's last real token. That
 *   frozen output is also what an untrained span vector of a new key keeps, whatever the initialisation, so
 *   that it never writes noise over the tokens after the trained continuation.
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
  const { frozenOutput, length, keyPosition, replacement, spanLength } = input;
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
  if (replacement !== 'span') {
    const replaced = replacedTokenMask(replacement, shape[1] as number, keyPosition);
    return {
      placement: { kind: 'tokens', frozenOutput, replaced },
      trainedWidth: width,
      frozenTokens: [keyPosition],
    };
  }
  const trainedVectors = Math.min(spanLength, length - keyPosition);
  return {
    placement: { kind: 'span', frozenOutput, keyPosition },
    trainedWidth: trainedVectors * width,
    frozenTokens: Array.from({ length: spanLength }, (_, vector) =>
      Math.min(keyPosition + vector, length - 1),
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
