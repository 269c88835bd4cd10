import { broadcastIndexMap, type Shape, shapeSize, shapesEqual } from '@grace/core';

/**
 * Sums a gradient over the axes along which an input was broadcast, so that it comes back to the input's own
 * shape: the adjoint of numpy broadcasting, which every broadcasting op's VJP needs (Add `[3]` + `[2,3]`
 * gives the `[3]` operand the column sums of the `[2,3]` gradient).
 *
 * `toShape` must broadcast to `fromShape`. Sums run in float64, in row-major order of `fromShape`, and the
 * result stays float64 so the caller rounds once, after any further arithmetic.
 */
export function sumToShape(gradient: ArrayLike<number>, fromShape: Shape, toShape: Shape): Float64Array {
  if (shapesEqual(fromShape, toShape)) return Float64Array.from(gradient);
  const sums = new Float64Array(shapeSize(toShape));
  const target = broadcastIndexMap(toShape, fromShape);
  for (let element = 0; element < target.length; element++) {
    sums[target[element] as number] += gradient[element] as number;
  }
  return sums;
}
