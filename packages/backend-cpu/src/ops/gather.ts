import type { SuffixOpAttributes } from '@grace/core';
import { floatTensor, type HostOp, type HostTensor, neededGradients, requireInput } from './host-tensor.js';

/** `data` seen as `[outer, count, inner]` around `axis`, and the picked positions wrapped into `[0, count)`. */
function gatherLayout(data: HostTensor, indices: HostTensor, axis: number) {
  const outer = data.shape.slice(0, axis).reduce((product, size) => product * size, 1);
  const count = data.shape[axis] as number;
  const inner = data.shape.slice(axis + 1).reduce((product, size) => product * size, 1);
  const picks = Array.from(indices.data, (index) => (index < 0 ? index + count : index));
  return { outer, count, inner, picks };
}

/**
 * ONNX Gather as a {@link HostOp}: each output block of `inner` elements is a copy of the picked input block;
 * the gradient adds each output block back into the block it came from (repeated indices accumulate).
 */
export const gatherOp: HostOp<SuffixOpAttributes['Gather']> = {
  forward(inputs, attributes, outputShape) {
    const data = requireInput(inputs, 0);
    const { outer, count, inner, picks } = gatherLayout(data, requireInput(inputs, 1), attributes.axis);
    const output = new Float32Array(outer * picks.length * inner);
    for (let block = 0; block < outer; block++) {
      picks.forEach((pick, position) => {
        const source = (block * count + pick) * inner;
        output.set(data.data.subarray(source, source + inner), (block * picks.length + position) * inner);
      });
    }
    return floatTensor(output, outputShape);
  },
  gradient: ({ inputs, outputGradient, attributes, needed }) =>
    neededGradients(needed, 2, (index) => {
      if (index !== 0) return undefined;
      const data = requireInput(inputs, 0);
      const { outer, count, inner, picks } = gatherLayout(data, requireInput(inputs, 1), attributes.axis);
      const sums = new Float64Array(data.data.length);
      for (let block = 0; block < outer; block++) {
        picks.forEach((pick, position) => {
          const target = (block * count + pick) * inner;
          const source = (block * picks.length + position) * inner;
          for (let element = 0; element < inner; element++)
            sums[target + element] =
              (sums[target + element] as number) + (outputGradient.data[source + element] as number);
        });
      }
      return floatTensor(sums, data.shape);
    }),
};
