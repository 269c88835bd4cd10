import { GraceError } from './errors.js';
import { formatShape, type Shape } from './tensor.js';

/**
 * numpy / ONNX multidirectional broadcasting, shared by core's shape inference and by backends' kernels, so
 * that every layer agrees on which shapes are compatible and how an output index maps to an input index.
 */

/** The broadcast shape of several shapes, or a `SHAPE_MISMATCH` naming them. */
export function broadcastShapes(...shapes: readonly Shape[]): number[] {
  const rank = Math.max(0, ...shapes.map((shape) => shape.length));
  const result: number[] = [];
  for (let axis = 0; axis < rank; axis++) {
    let size = 1;
    for (const shape of shapes) {
      const dimension = shape[shape.length - rank + axis] ?? 1;
      if (dimension === 1 || dimension === size) continue;
      if (size !== 1) {
        throw new GraceError(
          'SHAPE_MISMATCH',
          `shapes ${shapes.map(formatShape).join(', ')} do not broadcast`,
          {
            shapes,
          },
        );
      }
      size = dimension;
    }
    result.push(size);
  }
  return result;
}

/** Row-major strides of a shape, in elements. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    strides[axis] = stride;
    stride *= shape[axis] as number;
  }
  return strides;
}

/**
 * Strides to read `shape` as if it had `outputShape` (which it broadcasts to): 0 along broadcast axes. Walking
 * the output in row-major order with these strides visits the input element each output element reads.
 */
export function broadcastStrides(shape: Shape, outputShape: Shape): number[] {
  const own = stridesOf(shape);
  const offset = outputShape.length - shape.length;
  return outputShape.map((_, axis) => {
    const inputAxis = axis - offset;
    if (inputAxis < 0 || shape[inputAxis] === 1) return 0;
    return own[inputAxis] as number;
  });
}

/**
 * For each element of `outputShape` (row-major), the flat index into an input of `shape` that broadcasts to it.
 * Backends use it for element-wise kernels and to sum gradients back to an input's shape.
 */
export function broadcastIndexMap(shape: Shape, outputShape: Shape): Int32Array {
  const strides = broadcastStrides(shape, outputShape);
  const size = outputShape.reduce((product, dimension) => product * dimension, 1);
  const map = new Int32Array(size);
  const rank = outputShape.length;
  const counter = new Array<number>(rank).fill(0);
  let inputIndex = 0;
  for (let flat = 0; flat < size; flat++) {
    map[flat] = inputIndex;
    for (let axis = rank - 1; axis >= 0; axis--) {
      counter[axis] = (counter[axis] as number) + 1;
      inputIndex += strides[axis] as number;
      if ((counter[axis] as number) < (outputShape[axis] as number)) break;
      inputIndex -= (strides[axis] as number) * (outputShape[axis] as number);
      counter[axis] = 0;
    }
  }
  return map;
}
