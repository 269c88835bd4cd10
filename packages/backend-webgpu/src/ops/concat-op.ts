import { type OpKernel, type Shape, type SuffixOpAttributes, shapeSize } from '@grace/core';
import { input } from '../gpu-program.js';
import type { WebGpuContext } from '../webgpu-context.js';
import type { WebGpuTensor } from '../webgpu-tensor.js';
import { mapProgram, runMap } from './op-programs.js';

/**
 * Concat seen as `[outer, total, inner]`: input `k` is the slab `[outer, size, inner]` at `start` along the
 * joined axis. One thread per element of the slab computes its offset in the joined tensor.
 * params: [count, inner, total, start, size].
 */
const slabOffset = `
  let inner = params[1];
  let total = params[2];
  let start = params[3];
  let size = params[4];
  let innerIndex = index % inner;
  let rest = index / inner;
  let joined = ((rest / size) * total + start + rest % size) * inner + innerIndex;`;

/** Writes one input's slab into the joined tensor (raw bits; the other slabs are left as they are). */
const placeSlabProgram = mapProgram({
  shaderKey: 'op/concatPlace',
  inputs: [input('source', 'u32')],
  resultType: 'u32',
  body: `${slabOffset}
  result[joined] = source[index];`,
});

/** Reads one input's slab out of the joined tensor: the gradient of that input. */
const takeSlabProgram = mapProgram({
  shaderKey: 'op/concatTake',
  inputs: [input('source', 'u32')],
  resultType: 'u32',
  body: `${slabOffset}
  result[index] = source[joined];`,
});

/** Sizes of the `[outer, size, inner]` view of `shape` around `axis`. */
function slab(shape: Shape, axis: number): { readonly size: number; readonly inner: number } {
  return { size: shape[axis] as number, inner: shapeSize(shape.slice(axis + 1)) };
}

/** Concat: one dispatch per input into the joined tensor; each input's gradient is its slab of the output's. */
export function concatKernel(context: WebGpuContext): OpKernel<SuffixOpAttributes['Concat']> {
  const starts = (inputs: readonly WebGpuTensor[], axis: number): number[] => {
    let start = 0;
    return inputs.map((tensor) => {
      const here = start;
      start += tensor.shape[axis] as number;
      return here;
    });
  };
  return {
    forward(inputs, attributes, outputShape) {
      const parts = inputs.map((tensor, index) =>
        context.read(tensor as WebGpuTensor, `Concat input ${index}`),
      );
      const result = context.allocate('float32', outputShape);
      const total = outputShape[attributes.axis] as number;
      const offsets = starts(parts, attributes.axis);
      parts.forEach((part, index) => {
        const { size, inner } = slab(part.shape, attributes.axis);
        runMap(context, placeSlabProgram, [part.buffer, result.buffer], shapeSize(part.shape), (params) => {
          params.u32(inner, total, offsets[index] as number, size);
        });
      });
      return result;
    },
    gradient({ inputs, outputGradient, attributes, needed }) {
      const gradient = context.read(outputGradient, 'Concat output gradient');
      const parts = inputs as readonly WebGpuTensor[];
      const total = gradient.shape[attributes.axis] as number;
      const offsets = starts(parts, attributes.axis);
      return parts.map((part, index) => {
        if (!needed[index]) return undefined;
        const { size, inner } = slab(part.shape, attributes.axis);
        const result = context.allocate('float32', part.shape);
        runMap(
          context,
          takeSlabProgram,
          [gradient.buffer, result.buffer],
          shapeSize(part.shape),
          (params) => {
            params.u32(inner, total, offsets[index] as number, size);
          },
        );
        return result;
      });
    },
  };
}
