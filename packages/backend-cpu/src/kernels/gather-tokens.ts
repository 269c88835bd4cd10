import { GraceError, sequenceDimensions, type Tensor, validateTokenArguments } from '@grace/core';
import { CpuTensor, readCpuTensor } from '../cpu-tensor.js';

/**
 * `input [B, T, D]`, `positions int32 [B]` → `[B, D]`: each row's activation at its own token.
 *
 * Rows are copied with `TypedArray.set`, which copies bytes, so the result is the input bit for bit (NaN
 * payloads included); the query a codebook stores is then exactly what the layer saw.
 */
export function gatherTokens(
  owner: object,
  input: Tensor<'float32'>,
  positions: Tensor<'int32'>,
): CpuTensor<'float32'> {
  validateTokenArguments(input, positions, 'positions');
  const inputData = readCpuTensor(input, owner, 'input');
  const positionData = readCpuTensor(positions, owner, 'positions');
  const { batch, tokens, width } = sequenceDimensions(input.shape);
  // Every position is checked before anything is written, so a bad row never yields a half-made result.
  for (let row = 0; row < batch; row++) {
    const position = positionData[row];
    if (position < 0 || position >= tokens) {
      throw new GraceError('INVALID_ARGUMENT', `positions[${row}] = ${position} is outside [0, ${tokens})`, {
        row,
        position,
        tokens,
      });
    }
  }
  const output = new Float32Array(batch * width);
  for (let row = 0; row < batch; row++) {
    const start = (row * tokens + positionData[row]) * width;
    output.set(inputData.subarray(start, start + width), row * width);
  }
  return new CpuTensor(owner, 'float32', output, [batch, width]);
}
