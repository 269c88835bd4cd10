import { sequenceDimensions, type Tensor, validateTokenArguments } from '@grace/core';
import type { TfjsKernelContext } from '../kernel-context.js';
import { readHostIntegers } from '../tfjs-tensor.js';
import { expectRowsInRange } from './token-ranges.js';

/**
 * `input [B, T, D]`, `lengths int32 [B]` → `[B, D]`: the mean of each row's first `lengths[b]` tokens.
 *
 * Padding is selected away (`where`), not multiplied by 0, so a NaN or an infinity in the padding cannot
 * reach the mean (NaN · 0 is NaN).
 */
export function meanTokens(
  context: TfjsKernelContext,
  input: Tensor<'float32'>,
  lengths: Tensor<'int32'>,
): Tensor<'float32'> {
  validateTokenArguments(input, lengths, 'lengths');
  const inputStorage = context.read(input, 'input');
  const lengthStorage = context.read(lengths, 'lengths');
  const { batch, tokens, width } = sequenceDimensions(input.shape);
  expectRowsInRange(readHostIntegers(lengths, context.owner, 'lengths'), 1, tokens, 'lengths');
  const { tf } = context;
  const output = tf.tidy(() => {
    const counted = tf.less(tf.range(0, tokens, 1, 'int32'), tf.reshape(lengthStorage, [batch, 1])); // [B, T]
    const kept = tf.where(tf.reshape(counted, [batch, tokens, 1]), inputStorage, tf.zerosLike(inputStorage));
    return tf.div(tf.sum(kept, 1), tf.reshape(tf.cast(lengthStorage, 'float32'), [batch, 1]));
  });
  return context.wrap(output, 'float32', [batch, width]);
}
