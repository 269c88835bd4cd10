import type { SuffixOpAttributes } from '@grace/core';
import { floatTensor, type HostOp, type HostTensor, neededGradients, requireInput } from './host-tensor.js';

/** Elements of `shape` from `axis` on: one input's contiguous block per index of the outer axes. */
function blockSize(shape: readonly number[], axis: number): number {
  return shape.slice(axis).reduce((product, dimension) => product * dimension, 1);
}

/**
 * ONNX Concat as a {@link HostOp}: for each index of the axes before `axis`, every input's block in turn. Its
 * gradient for input `k` is the matching slice of the output gradient.
 */
export const concatOp: HostOp<SuffixOpAttributes['Concat']> = {
  forward(inputs, attributes, outputShape) {
    const parts = inputs.map((_, index) => requireInput(inputs, index));
    const output = new Float32Array(blockSize(outputShape, 0));
    const outer = blockSize(outputShape, 0) / blockSize(outputShape, attributes.axis);
    let offset = 0;
    for (let block = 0; block < outer; block++) {
      for (const part of parts) {
        const width = blockSize(part.shape, attributes.axis);
        output.set(part.data.subarray(block * width, (block + 1) * width), offset);
        offset += width;
      }
    }
    return floatTensor(output, outputShape);
  },
  gradient({ inputs, outputGradient, attributes, needed }) {
    const widths = inputs.map((input) => blockSize((input as HostTensor).shape, attributes.axis));
    const total = widths.reduce((sum, width) => sum + width, 0);
    const outer = outputGradient.data.length / total;
    return neededGradients(needed, inputs.length, (index) => {
      const input = inputs[index] as HostTensor;
      const width = widths[index] as number;
      const start = widths.slice(0, index).reduce((sum, before) => sum + before, 0);
      const gradient = new Float32Array(outer * width);
      for (let block = 0; block < outer; block++)
        gradient.set(
          outputGradient.data.subarray(block * total + start, block * total + start + width),
          block * width,
        );
      return floatTensor(gradient, input.shape);
    });
  },
};
