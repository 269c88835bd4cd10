import type { SuffixOpAttributes } from '@grace/core';
import { stridesOf } from '@grace/core';
import { floatTensor, type HostOp, type HostTensor, neededGradients, requireInput } from './host-tensor.js';

/**
 * ONNX Transpose: output axis `i` is input axis `perm[i]`. Walks the output in row-major order with an
 * odometer over its index, moving through the input by the permuted strides (no division per element).
 */
export function transpose(input: HostTensor, perm: readonly number[]): HostTensor<Float32Array> {
  const rank = input.shape.length;
  const inputStrides = stridesOf(input.shape);
  const shape = perm.map((axis) => input.shape[axis] as number);
  const strides = perm.map((axis) => inputStrides[axis] as number);
  const data = input.data;
  const output = new Float32Array(data.length);
  const counter = new Array<number>(rank).fill(0);
  let source = 0;
  for (let element = 0; element < output.length; element++) {
    output[element] = data[source] as number;
    for (let axis = rank - 1; axis >= 0; axis--) {
      counter[axis] = (counter[axis] as number) + 1;
      source += strides[axis] as number;
      if ((counter[axis] as number) < (shape[axis] as number)) break;
      source -= (strides[axis] as number) * (shape[axis] as number);
      counter[axis] = 0;
    }
  }
  return floatTensor(output, shape);
}

/** The inverse permutation: transposing by it undoes a transpose by `perm`. */
export function inversePermutation(perm: readonly number[]): number[] {
  const inverse = new Array<number>(perm.length);
  perm.forEach((axis, position) => {
    inverse[axis] = position;
  });
  return inverse;
}

/** Transpose as a {@link HostOp}; its gradient is the output gradient transposed back. */
export const transposeOp: HostOp<SuffixOpAttributes['Transpose']> = {
  forward: (inputs, attributes) => transpose(requireInput(inputs, 0), attributes.perm),
  gradient: ({ outputGradient, attributes, needed }) =>
    neededGradients(needed, 1, () => transpose(outputGradient, inversePermutation(attributes.perm))),
};
