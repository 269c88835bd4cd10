import { broadcastStrides, type Shape, shapeSize, stridesOf } from '@grace/core';
import {
  elementDispatch,
  elementShader,
  type GpuBinding,
  type GpuProgram,
  input,
  output,
  Params,
} from '../gpu-program.js';
import type { WebGpuContext } from '../webgpu-context.js';
import type { WebGpuTensor } from '../webgpu-tensor.js';

/**
 * The building blocks the op kernels share: one-thread-per-output programs made from an expression, strided
 * index arithmetic (broadcasting, transposes and reductions are all "walk the output, read the input through
 * strides"), and the host helpers that queue them.
 */

/**
 * WGSL: the flat offset of element `index` of a tensor of `params[rank]`-dimensional shape `params[shapeBase..]`
 * read through strides `params[strideBase..]`. The loop runs over the rank, never over the data.
 */
export const stridedOffsetHelper = `
fn floatFromBits(bits: u32) -> f32 { return bitcast<f32>(bits); }
fn stridedOffset(index: u32, rank: u32, shapeBase: u32, strideBase: u32) -> u32 {
  var remaining = index;
  var offset = 0u;
  for (var axis = rank; axis > 0u; axis--) {
    let dimension = params[shapeBase + axis - 1u];
    offset = offset + (remaining % dimension) * params[strideBase + axis - 1u];
    remaining = remaining / dimension;
  }
  return offset;
}
`;

/** Describes a one-output program: float inputs by name, `result` written at `index`. */
export interface MapProgramSpec {
  readonly shaderKey: string;
  readonly inputs: readonly (string | GpuBinding)[];
  readonly declarations?: string;
  readonly body: string;
  /** Type of `result`; `u32` for bit copies. */
  readonly resultType?: 'f32' | 'u32' | 'i32';
}

const programs = new Map<string, GpuProgram>();

/** A one-thread-per-output-element program (memoised by shader key, so its WGSL is built once). */
export function mapProgram(spec: MapProgramSpec): GpuProgram {
  const existing = programs.get(spec.shaderKey);
  if (existing !== undefined) return existing;
  const bindings = [
    ...spec.inputs.map((binding) => (typeof binding === 'string' ? input(binding) : binding)),
    output('result', spec.resultType ?? 'f32'),
  ];
  const program: GpuProgram = {
    shaderKey: spec.shaderKey,
    workgroupSize: 64,
    bindings,
    wgsl: () =>
      elementShader({
        bindings,
        workgroupSize: 64,
        declarations: `${stridedOffsetHelper}${spec.declarations ?? ''}`,
        body: spec.body,
      }),
  };
  programs.set(spec.shaderKey, program);
  return program;
}

/** Queues `program` with one thread per element of `count` (`params[0]` is set to `count` here). */
export function runMap(
  context: WebGpuContext,
  program: GpuProgram,
  buffers: readonly GPUBuffer[],
  count: number,
  fill: (params: Params) => void = () => undefined,
): void {
  if (count === 0) return;
  const params = new Params().u32(count);
  fill(params);
  context.run([{ program, buffers, params, groups: elementDispatch(count) }]);
}

/** `shape` with leading 1s up to `rank`. */
export function padShape(shape: Shape, rank: number): number[] {
  return [...new Array<number>(rank - shape.length).fill(1), ...shape];
}

/** params: [count, rank, outputShape[rank], strides[rank], scale]. */
const stridedScaleProgram = mapProgram({
  shaderKey: 'op/stridedScale',
  inputs: ['source'],
  body: `
  let rank = params[1];
  result[index] = source[stridedOffset(index, rank, 2u, 2u + rank)] * bitcast<f32>(params[2u + 2u * rank]);`,
});

/** params: [count, rank, outputShape[rank], strides[rank]]: a raw-bits copy (Transpose, Reshape). */
const stridedCopyProgram = mapProgram({
  shaderKey: 'op/stridedCopy',
  inputs: [input('source', 'u32')],
  resultType: 'u32',
  body: `
  let rank = params[1];
  result[index] = source[stridedOffset(index, rank, 2u, 2u + rank)];`,
});

/**
 * A new tensor of `outputShape` whose element at each output coordinate is read from `source` through
 * `strides` (one per output axis), times `scale`; `scale` 1 copies raw bits.
 */
export function stridedRead(
  context: WebGpuContext,
  source: GPUBuffer,
  outputShape: Shape,
  strides: readonly number[],
  scale = 1,
): WebGpuTensor<'float32'> {
  const result = context.allocate('float32', outputShape);
  const program = scale === 1 ? stridedCopyProgram : stridedScaleProgram;
  runMap(context, program, [source, result.buffer], shapeSize(outputShape), (params) => {
    params.u32(outputShape.length, ...outputShape, ...strides);
    if (scale !== 1) params.f32(scale);
  });
  return result;
}

/** `source` (of `shape`) broadcast to `outputShape`, times `scale`. */
export function broadcastTo(
  context: WebGpuContext,
  source: GPUBuffer,
  shape: Shape,
  outputShape: Shape,
  scale = 1,
): WebGpuTensor<'float32'> {
  return stridedRead(context, source, outputShape, broadcastStrides(shape, outputShape), scale);
}

/**
 * params: [count, rank, reducedCount, scale, keptShape[rank], reducedShape[rank], strides[rank]]: each output
 * element sums the input elements that differ from it only along reduced axes (kept dimension 1).
 */
const reduceProgram = mapProgram({
  shaderKey: 'op/reduce',
  inputs: ['source'],
  body: `
  let rank = params[1];
  let reducedCount = params[2];
  let scale = bitcast<f32>(params[3]);
  let keptBase = 4u;
  let reducedBase = 4u + rank;
  let strideBase = 4u + 2u * rank;
  let base = stridedOffset(index, rank, keptBase, strideBase);
  var sum = 0.0;
  for (var reduced = 0u; reduced < reducedCount; reduced++) {
    sum = sum + source[base + stridedOffset(reduced, rank, reducedBase, strideBase)];
  }
  result[index] = sum * scale;`,
});

/**
 * Sums `source` (of `shape`) down to `targetShape`, which broadcasts to `shape` (the gradient of a broadcast
 * operand, a ReduceSum, a bias gradient), times `scale`. The result has `targetShape`.
 */
export function sumToShape(
  context: WebGpuContext,
  source: GPUBuffer,
  shape: Shape,
  targetShape: Shape,
  scale = 1,
): WebGpuTensor<'float32'> {
  const rank = shape.length;
  const kept = padShape(targetShape, rank);
  const reduced = shape.map((dimension, axis) => (kept[axis] === 1 ? dimension : 1));
  const result = context.allocate('float32', targetShape);
  runMap(context, reduceProgram, [source, result.buffer], shapeSize(targetShape), (params) => {
    params
      .u32(rank, shapeSize(reduced))
      .f32(scale)
      .u32(...kept, ...reduced, ...stridesOf(shape));
  });
  return result;
}
