import { GraceError, sequenceDimensions, type Tensor, validateTokenArguments } from '@grace/core';
import { CpuTensor, readCpuTensor } from '../cpu-tensor.js';

/**
 * `input [B, T, D]`, `lengths int32 [B]` → `[B, D]`: the mean of each row's first `lengths[b]` tokens.
 *
 * Sums run in float64 in token order and are rounded to float32 once, so this backend is the accurate end
 * of the range that the conformance tolerance allows float32 GPU backends.
 */
export function meanTokens(
  owner: object,
  input: Tensor<'float32'>,
  lengths: Tensor<'int32'>,
): CpuTensor<'float32'> {
  validateTokenArguments(input, lengths, 'lengths');
  const inputData = readCpuTensor(input, owner, 'input');
  const lengthData = readCpuTensor(lengths, owner, 'lengths');
  const { batch, tokens, width } = sequenceDimensions(input.shape);
  for (let row = 0; row < batch; row++) {
    const length = lengthData[row];
    if (length < 1 || length > tokens) {
      throw new GraceError('INVALID_ARGUMENT', `lengths[${row}] = ${length} is outside [1, ${tokens}]`, {
        row,
        length,
        tokens,
      });
    }
  }
  const output = new Float32Array(batch * width);
  const sums = new Float64Array(width);
  for (let row = 0; row < batch; row++) {
    const length = lengthData[row];
    sums.fill(0);
    for (let token = 0; token < length; token++) {
      const offset = (row * tokens + token) * width;
      for (let dimension = 0; dimension < width; dimension++) {
        sums[dimension] = sums[dimension] + inputData[offset + dimension];
      }
    }
    for (let dimension = 0; dimension < width; dimension++) {
      output[row * width + dimension] = sums[dimension] / length;
    }
  }
  return new CpuTensor(owner, 'float32', output, [batch, width]);
}
