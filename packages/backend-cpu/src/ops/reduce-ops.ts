import { broadcastIndexMap, type SuffixOpAttributes } from '@grace/core';
import { floatTensor, type HostOp, type HostTensor, neededGradients, requireInput } from './host-tensor.js';
import { sumToShape } from './sum-to-shape.js';

/** The reductions of set v1. */
export type ReduceOpType = 'ReduceMean' | 'ReduceSum';

type ReduceAttributes = SuffixOpAttributes['ReduceSum'];

/**
 * The input's shape with every reduced axis set to 1: the output's shape under `keepDims`, and its element
 * order in either case (dropping size-1 axes does not move any element).
 */
function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((dimension, axis) => (axes.includes(axis) ? 1 : dimension));
}

/** How many input elements each output element reduces over. */
function reducedCount(shape: readonly number[], axes: readonly number[]): number {
  let count = 1;
  for (const axis of axes) count *= shape[axis] as number;
  return count;
}

/**
 * Sum or mean over `axes` (sorted, unique, non-empty: core resolves ONNX's "all axes" and no-op forms), in
 * float64; `keepDims` keeps the reduced axes as size 1. A mean over zero elements is NaN, as in numpy.
 */
export function reduce(
  type: ReduceOpType,
  input: HostTensor,
  attributes: ReduceAttributes,
): HostTensor<Float32Array> {
  const kept = keptShape(input.shape, attributes.axes);
  const sums = sumToShape(input.data, input.shape, kept);
  if (type === 'ReduceMean') {
    const count = reducedCount(input.shape, attributes.axes);
    for (let element = 0; element < sums.length; element++) sums[element] /= count;
  }
  const shape = attributes.keepDims ? kept : input.shape.filter((_, axis) => !attributes.axes.includes(axis));
  return floatTensor(sums, shape);
}

/** The output gradient broadcast back over the reduced axes, divided by the count for a mean. */
export function reduceGradient(
  type: ReduceOpType,
  input: HostTensor,
  outputGradient: HostTensor,
  attributes: ReduceAttributes,
): HostTensor<Float32Array> {
  const source = broadcastIndexMap(keptShape(input.shape, attributes.axes), input.shape);
  const scale = type === 'ReduceMean' ? 1 / reducedCount(input.shape, attributes.axes) : 1;
  const gradient = outputGradient.data;
  const result = new Float32Array(source.length);
  for (let element = 0; element < source.length; element++) {
    result[element] = (gradient[source[element] as number] as number) * scale;
  }
  return floatTensor(result, input.shape);
}

/** A reduction as a {@link HostOp}. */
export function reduceHostOp<Type extends ReduceOpType>(type: Type): HostOp<SuffixOpAttributes[Type]> {
  return {
    forward: (inputs, attributes) => reduce(type, requireInput(inputs, 0), attributes),
    gradient: ({ inputs, outputGradient, attributes, needed }) =>
      neededGradients(needed, inputs.length, (index) =>
        index === 0 ? reduceGradient(type, requireInput(inputs, 0), outputGradient, attributes) : undefined,
      ),
  };
}
