import type { Shape, SuffixOpAttributes } from '@grace/core';
import { floatTensor, type HostOp, type HostTensor, neededGradients, requireInput } from './host-tensor.js';

/**
 * ONNX Reshape: the same elements in the same row-major order under core's resolved `outputShape` (ONNX's 0
 * and -1 already replaced). A copy, because every tensor a kernel returns is new and owned by the caller.
 */
export function reshape(input: HostTensor, outputShape: Shape): HostTensor<Float32Array> {
  return floatTensor(new Float32Array(input.data), outputShape);
}

/**
 * Reshape as a {@link HostOp}. Its optional second input (ONNX's `shape` tensor) is integer and gets no
 * gradient; the data's gradient is the output gradient under the input's shape.
 */
export const reshapeOp: HostOp<SuffixOpAttributes['Reshape']> = {
  forward: (inputs, _attributes, outputShape) => reshape(requireInput(inputs, 0), outputShape),
  gradient: ({ inputs, outputGradient, needed }) =>
    neededGradients(needed, inputs.length, (index) =>
      index === 0 ? reshape(outputGradient, requireInput(inputs, 0).shape) : undefined,
    ),
};
