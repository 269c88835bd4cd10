import { type OpKernel, type SuffixOpAttributes, shapeSize } from '@grace/core';
import { input } from '../gpu-program.js';
import type { WebGpuContext } from '../webgpu-context.js';
import type { WebGpuTensor } from '../webgpu-tensor.js';
import { mapProgram, runMap } from './op-programs.js';

/** WGSL: an index wrapped into `[0, count)` (ONNX counts negative indices from the end). */
const wrapHelper = `
fn wrapIndex(index: i32, count: u32) -> u32 {
  return u32(select(index, index + i32(count), index < 0));
}
`;

/** params: [total, count, picked, inner]: output element `(o, k, i)` reads `data[o, indices[k], i]`. */
const gatherProgram = mapProgram({
  shaderKey: 'op/gather',
  inputs: [input('data', 'u32'), input('indices', 'i32')],
  resultType: 'u32',
  declarations: wrapHelper,
  body: `
  let count = params[1];
  let picked = params[2];
  let inner = params[3];
  let element = index % inner;
  let position = (index / inner) % picked;
  let block = index / (inner * picked);
  result[index] = data[(block * count + wrapIndex(indices[position], count)) * inner + element];`,
});

/**
 * params: [total, count, picked, inner]: input element `(o, c, i)` of the gradient sums the output gradient at
 * every `(o, k, i)` whose index picks `c` (a loop over the indices, so repeated ones add up without atomics).
 */
const gatherGradientProgram = mapProgram({
  shaderKey: 'op/gatherGradient',
  inputs: ['outputGradient', input('indices', 'i32')],
  declarations: wrapHelper,
  body: `
  let count = params[1];
  let picked = params[2];
  let inner = params[3];
  let element = index % inner;
  let row = (index / inner) % count;
  let block = index / (inner * count);
  var sum = 0.0;
  for (var position = 0u; position < picked; position++) {
    if (wrapIndex(indices[position], count) == row) {
      sum = sum + outputGradient[(block * picked + position) * inner + element];
    }
  }
  result[index] = sum;`,
});

/** `data` seen as `[outer, count, inner]` around `axis`, and how many indices pick from it. */
function layoutOf(data: WebGpuTensor, indices: WebGpuTensor, axis: number) {
  return {
    count: data.shape[axis] as number,
    picked: shapeSize(indices.shape),
    inner: shapeSize(data.shape.slice(axis + 1)),
  };
}

/** ONNX Gather: a raw-bits copy of the picked blocks; its gradient a per-input-element sum over the indices. */
export function gatherKernel(context: WebGpuContext): OpKernel<SuffixOpAttributes['Gather']> {
  return {
    forward(inputs, attributes, outputShape) {
      const data = context.read(inputs[0] as WebGpuTensor, 'Gather data');
      const indices = context.read(inputs[1] as WebGpuTensor<'int32'>, 'Gather indices');
      const { count, picked, inner } = layoutOf(data, indices, attributes.axis);
      const result = context.allocate('float32', outputShape);
      runMap(
        context,
        gatherProgram,
        [data.buffer, indices.buffer, result.buffer],
        shapeSize(outputShape),
        (params) => {
          params.u32(count, picked, inner);
        },
      );
      return result;
    },
    gradient({ inputs, outputGradient, attributes, needed }) {
      if (!needed[0]) return [undefined, undefined];
      const data = inputs[0] as WebGpuTensor;
      const indices = context.read(inputs[1] as WebGpuTensor<'int32'>, 'Gather indices');
      const gradient = context.read(outputGradient, 'Gather output gradient');
      const { count, picked, inner } = layoutOf(data, indices, attributes.axis);
      const result = context.allocate('float32', data.shape);
      runMap(
        context,
        gatherGradientProgram,
        [gradient.buffer, indices.buffer, result.buffer],
        shapeSize(data.shape),
        (params) => {
          params.u32(count, picked, inner);
        },
      );
      return [result, undefined];
    },
  };
}
