import type { ReferenceArray } from '../reference-kernels.js';
import type { ReferenceResult } from './reference-elementwise.js';
import { elementCount } from './reference-indexing.js';

/**
 * Visits every 1-D slice along `axis`: `offsets` are the flat indices of the slice's elements, in order.
 * Softmax and its relatives are defined slice by slice.
 */
function forEachSlice(shape: readonly number[], axis: number, visit: (offsets: number[]) => void): void {
  const outer = elementCount(shape.slice(0, axis));
  const length = shape[axis] as number;
  const inner = elementCount(shape.slice(axis + 1));
  for (let before = 0; before < outer; before++) {
    for (let after = 0; after < inner; after++) {
      const offsets: number[] = [];
      for (let position = 0; position < length; position++) {
        offsets.push((before * length + position) * inner + after);
      }
      visit(offsets);
    }
  }
}

/** `log Σ exp(x)` over a slice, shifted by its maximum so that it cannot overflow. */
function logSumExp(values: readonly number[]): number {
  const maximum = Math.max(...values);
  let sum = 0;
  for (const value of values) sum += Math.exp(value - maximum);
  return maximum + Math.log(sum);
}

/** ONNX Softmax (opset >= 13) along `axis`. */
export function referenceSoftmax(input: ReferenceArray, axis: number): ReferenceResult {
  const data = new Float64Array(input.data.length);
  forEachSlice(input.shape, axis, (offsets) => {
    const values = offsets.map((offset) => input.data[offset] as number);
    const normalizer = logSumExp(values);
    offsets.forEach((offset, position) => {
      data[offset] = Math.exp((values[position] as number) - normalizer);
    });
  });
  return { data, shape: input.shape };
}

/** ONNX LogSoftmax (opset >= 13) along `axis`: `x − log Σ exp(x)`. */
export function referenceLogSoftmax(input: ReferenceArray, axis: number): ReferenceResult {
  const data = new Float64Array(input.data.length);
  forEachSlice(input.shape, axis, (offsets) => {
    const values = offsets.map((offset) => input.data[offset] as number);
    const normalizer = logSumExp(values);
    offsets.forEach((offset, position) => {
      data[offset] = (values[position] as number) - normalizer;
    });
  });
  return { data, shape: input.shape };
}

/**
 * ONNX LayerNormalization: each block of the axes `axis ..` is centred and divided by
 * `sqrt(population variance + epsilon)`, then multiplied by Scale and shifted by B, which hold one value per
 * element of the block.
 */
export function referenceLayerNormalization(
  input: ReferenceArray,
  scale: ReferenceArray,
  bias: ReferenceArray | undefined,
  attributes: { readonly axis: number; readonly epsilon: number },
): ReferenceResult {
  const blockSize = elementCount(input.shape.slice(attributes.axis));
  const blocks = input.data.length / blockSize;
  const data = new Float64Array(input.data.length);
  for (let block = 0; block < blocks; block++) {
    const start = block * blockSize;
    let sum = 0;
    for (let index = 0; index < blockSize; index++) sum += input.data[start + index] as number;
    const mean = sum / blockSize;
    let squares = 0;
    for (let index = 0; index < blockSize; index++) {
      const centred = (input.data[start + index] as number) - mean;
      squares += centred * centred;
    }
    const deviation = Math.sqrt(squares / blockSize + attributes.epsilon);
    for (let index = 0; index < blockSize; index++) {
      const normalized = ((input.data[start + index] as number) - mean) / deviation;
      data[start + index] = normalized * (scale.data[index] as number) + ((bias?.data[index] as number) ?? 0);
    }
  }
  return { data, shape: input.shape };
}
