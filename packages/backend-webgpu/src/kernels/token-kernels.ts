import { sequenceDimensions, type Tensor, validateTokenArguments } from '@grace/core';
import { elementDispatch, elementShader, type GpuProgram, input, output, Params } from '../gpu-program.js';
import { checkIndexRange, type WebGpuContext } from '../webgpu-context.js';
import type { WebGpuTensor } from '../webgpu-tensor.js';
import { floatFromBitsHelper } from './wgsl-helpers.js';

/**
 * params: [count, tokens, width]: `output[b, d] = input[b, positions[b], d]`, copied as raw u32 words so the
 * query a codebook stores is exactly what the layer saw. A device-made position out of range (it could not
 * be checked on the host) yields a NaN row rather than another row's data.
 */
export const gatherTokensProgram: GpuProgram = {
  shaderKey: 'gatherTokens',
  workgroupSize: 64,
  bindings: [input('source', 'u32'), input('positions', 'i32'), output('gathered', 'u32')],
  wgsl: () =>
    elementShader({
      bindings: gatherTokensProgram.bindings,
      workgroupSize: 64,
      body: `
  let tokens = params[1];
  let width = params[2];
  let row = index / width;
  let position = positions[row];
  if (position < 0 || u32(position) >= tokens) { gathered[index] = 0x7fc00000u; return; }
  gathered[index] = source[(row * tokens + u32(position)) * width + index % width];`,
    }),
};

/**
 * params: [count, tokens, width]: the mean of each row's first `lengths[b]` tokens, one thread per output
 * element summing in token order (the loop runs over tokens, not over keys).
 */
export const meanTokensProgram: GpuProgram = {
  shaderKey: 'meanTokens',
  workgroupSize: 64,
  bindings: [input('source'), input('lengths', 'i32'), output('mean')],
  wgsl: () =>
    elementShader({
      bindings: meanTokensProgram.bindings,
      workgroupSize: 64,
      declarations: floatFromBitsHelper,
      body: `
  let tokens = params[1];
  let width = params[2];
  let row = index / width;
  let column = index % width;
  let length = lengths[row];
  if (length < 1 || u32(length) > tokens) { mean[index] = floatFromBits(0x7fc00000u); return; }
  var sum = 0.0;
  for (var token = 0u; token < u32(length); token++) { sum = sum + source[(row * tokens + token) * width + column]; }
  mean[index] = sum / f32(length);`,
    }),
};

function tokenKernel(
  context: WebGpuContext,
  program: GpuProgram,
  source: Tensor<'float32'>,
  perRow: Tensor<'int32'>,
  perRowName: 'positions' | 'lengths',
): WebGpuTensor<'float32'> {
  validateTokenArguments(source, perRow, perRowName);
  const sourceTensor = context.read(source, 'input');
  const perRowTensor = context.read(perRow, perRowName);
  const { batch, tokens, width } = sequenceDimensions(source.shape);
  if (perRowName === 'positions') checkIndexRange(perRowTensor, 0, tokens - 1, 'positions');
  else checkIndexRange(perRowTensor, 1, tokens, 'lengths');
  const result = context.allocate('float32', [batch, width]);
  const count = batch * width;
  if (count > 0) {
    context.run([
      {
        program,
        buffers: [sourceTensor.buffer, perRowTensor.buffer, result.buffer],
        params: new Params().u32(count, tokens, width),
        groups: elementDispatch(count),
      },
    ]);
  }
  return result;
}

/** `input [B, T, D]`, `positions int32 [B]` → `[B, D]`. */
export function gatherTokens(
  context: WebGpuContext,
  source: Tensor<'float32'>,
  positions: Tensor<'int32'>,
): WebGpuTensor<'float32'> {
  return tokenKernel(context, gatherTokensProgram, source, positions, 'positions');
}

/** `input [B, T, D]`, `lengths int32 [B]` → `[B, D]`. */
export function meanTokens(
  context: WebGpuContext,
  source: Tensor<'float32'>,
  lengths: Tensor<'int32'>,
): WebGpuTensor<'float32'> {
  return tokenKernel(context, meanTokensProgram, source, lengths, 'lengths');
}
