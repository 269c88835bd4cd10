import { sequenceDimensions, type Tensor, validateTokenArguments } from '@grace/core';
import type { TfjsKernelContext } from '../kernel-context.js';
import { readHostIntegers } from '../tfjs-tensor.js';
import { expectRowsInRange } from './token-ranges.js';

/**
 * `input [B, T, D]`, `positions int32 [B]` → `[B, D]`: each row's activation at its own token, as one gather
 * of rows `b·T + positions[b]` from the input seen as `[B·T, D]` (a copy, so -0 and NaN payloads survive).
 */
export function gatherTokens(
  context: TfjsKernelContext,
  input: Tensor<'float32'>,
  positions: Tensor<'int32'>,
): Tensor<'float32'> {
  validateTokenArguments(input, positions, 'positions');
  const inputStorage = context.read(input, 'input');
  const positionStorage = context.read(positions, 'positions');
  const { batch, tokens, width } = sequenceDimensions(input.shape);
  expectRowsInRange(readHostIntegers(positions, context.owner, 'positions'), 0, tokens - 1, 'positions');
  const { tf } = context;
  const output = tf.tidy(() => {
    const rowStarts = tf.mul(tf.range(0, batch, 1, 'int32'), tf.scalar(tokens, 'int32'));
    const rows = tf.add(rowStarts, positionStorage);
    return tf.gather(tf.reshape(inputStorage, [batch * tokens, width]), rows);
  });
  return context.wrap(output, 'float32', [batch, width]);
}
