import type { Shape } from '../../tensor.js';

/**
 * Index arithmetic for the float64 reference ops, written out on its own (not core's `broadcast.ts`, which
 * backends use) so that a mistake shared by a backend and core's helpers cannot hide from the oracle.
 */

/** Number of elements of a shape. */
export function elementCount(shape: Shape): number {
  return shape.reduce((product, dimension) => product * dimension, 1);
}

/** Row-major strides. */
export function rowMajorStrides(shape: Shape): number[] {
  const strides = shape.map(() => 1);
  for (let axis = shape.length - 2; axis >= 0; axis--) {
    strides[axis] = (strides[axis + 1] as number) * (shape[axis + 1] as number);
  }
  return strides;
}

/** The coordinates of flat index `flat` in `shape`. */
export function coordinatesOf(flat: number, shape: Shape): number[] {
  const coordinates = shape.map(() => 0);
  let rest = flat;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    const dimension = shape[axis] as number;
    coordinates[axis] = rest % dimension;
    rest = Math.floor(rest / dimension);
  }
  return coordinates;
}

/** The flat index of `coordinates` in `shape`. */
export function flatIndexOf(coordinates: readonly number[], shape: Shape): number {
  let flat = 0;
  for (let axis = 0; axis < shape.length; axis++) {
    flat = flat * (shape[axis] as number) + (coordinates[axis] as number);
  }
  return flat;
}

/**
 * The flat index, in an operand of `shape`, of the element that output `coordinates` read under numpy
 * broadcasting: operand and output right-aligned, size-1 axes pinned to 0.
 */
export function broadcastSourceIndex(coordinates: readonly number[], shape: Shape): number {
  const offset = coordinates.length - shape.length;
  let flat = 0;
  for (let axis = 0; axis < shape.length; axis++) {
    const dimension = shape[axis] as number;
    const coordinate = dimension === 1 ? 0 : (coordinates[offset + axis] as number);
    flat = flat * dimension + coordinate;
  }
  return flat;
}

/** numpy broadcasting of two shapes (inputs are trusted to be compatible). */
export function broadcastPair(left: Shape, right: Shape): number[] {
  const rank = Math.max(left.length, right.length);
  const result: number[] = [];
  for (let axis = 0; axis < rank; axis++) {
    const leftDimension = left[left.length - rank + axis] ?? 1;
    const rightDimension = right[right.length - rank + axis] ?? 1;
    result.push(leftDimension === 1 ? rightDimension : leftDimension);
  }
  return result;
}
