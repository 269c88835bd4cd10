import type { ReferenceArray } from '../reference-kernels.js';
import type { ReferenceResult } from './reference-elementwise.js';
import { coordinatesOf, elementCount, flatIndexOf } from './reference-indexing.js';

/** ONNX ReduceSum / ReduceMean over sorted, unique, non-negative `axes`. */
export function referenceReduce(
  op: 'ReduceSum' | 'ReduceMean',
  input: ReferenceArray,
  attributes: { readonly axes: readonly number[]; readonly keepDims: boolean },
): ReferenceResult {
  const keptShape = input.shape.map((dimension, axis) => (attributes.axes.includes(axis) ? 1 : dimension));
  const sums = new Float64Array(elementCount(keptShape));
  for (let flat = 0; flat < input.data.length; flat++) {
    const coordinates = coordinatesOf(flat, input.shape).map((coordinate, axis) =>
      attributes.axes.includes(axis) ? 0 : coordinate,
    );
    const target = flatIndexOf(coordinates, keptShape);
    sums[target] = (sums[target] as number) + (input.data[flat] as number);
  }
  if (op === 'ReduceMean') {
    const count = elementCount(attributes.axes.map((axis) => input.shape[axis] as number));
    for (let index = 0; index < sums.length; index++) sums[index] = (sums[index] as number) / count;
  }
  const shape = attributes.keepDims
    ? keptShape
    : input.shape.filter((_, axis) => !attributes.axes.includes(axis));
  return { data: sums, shape };
}

/** ONNX Reshape to an already resolved shape: the data in the same row-major order. */
export function referenceReshape(input: ReferenceArray, outputShape: readonly number[]): ReferenceResult {
  return { data: Float64Array.from(input.data), shape: outputShape };
}

/** ONNX Transpose: output axis `j` is input axis `perm[j]`. */
export function referenceTranspose(input: ReferenceArray, perm: readonly number[]): ReferenceResult {
  const shape = perm.map((axis) => input.shape[axis] as number);
  const data = new Float64Array(input.data.length);
  for (let flat = 0; flat < data.length; flat++) {
    const outputCoordinates = coordinatesOf(flat, shape);
    const inputCoordinates = input.shape.map(() => 0);
    perm.forEach((axis, position) => {
      inputCoordinates[axis] = outputCoordinates[position] as number;
    });
    data[flat] = input.data[flatIndexOf(inputCoordinates, input.shape)] as number;
  }
  return { data, shape };
}

/** ONNX Gather along `axis` by integer `indices` (negative ones count from the end). */
export function referenceGather(
  data: ReferenceArray,
  indices: ReferenceArray,
  axis: number,
): ReferenceResult {
  const count = data.shape[axis] as number;
  const shape = [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)];
  const result = new Float64Array(elementCount(shape));
  for (let flat = 0; flat < result.length; flat++) {
    const outputCoordinates = coordinatesOf(flat, shape);
    const indexCoordinates = outputCoordinates.slice(axis, axis + indices.shape.length);
    const picked = indices.data[flatIndexOf(indexCoordinates, indices.shape)] as number;
    const dataCoordinates = [
      ...outputCoordinates.slice(0, axis),
      picked < 0 ? picked + count : picked,
      ...outputCoordinates.slice(axis + indices.shape.length),
    ];
    result[flat] = data.data[flatIndexOf(dataCoordinates, data.shape)] as number;
  }
  return { data: result, shape };
}

/** ONNX Concat along a non-negative `axis`: each input's block in turn, for every index of the outer axes. */
export function referenceConcat(inputs: readonly ReferenceArray[], axis: number): ReferenceResult {
  const [first] = inputs;
  if (first === undefined) throw new RangeError('reference Concat: no inputs');
  const shape = first.shape.map((dimension, position) =>
    position === axis ? inputs.reduce((total, input) => total + (input.shape[axis] as number), 0) : dimension,
  );
  const outer = elementCount(first.shape.slice(0, axis));
  const data = new Float64Array(elementCount(shape));
  let offset = 0;
  for (let block = 0; block < outer; block++) {
    for (const input of inputs) {
      const width = elementCount(input.shape.slice(axis));
      for (let index = 0; index < width; index++)
        data[offset + index] = input.data[block * width + index] as number;
      offset += width;
    }
  }
  return { data, shape };
}
