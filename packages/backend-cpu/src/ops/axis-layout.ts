import type { Shape } from '@grace/core';

/**
 * A row-major tensor seen as `[outer, length, inner]` around one axis: element `(o, a, i)` sits at
 * `(o·length + a)·inner + i`. Softmax, LogSoftmax and the losses walk "rows" along an axis this way without
 * transposing anything.
 */
export interface AxisLayout {
  readonly outer: number;
  readonly length: number;
  readonly inner: number;
}

/** The {@link AxisLayout} of `shape` around `axis` (non-negative, as core resolves it). */
export function axisLayout(shape: Shape, axis: number): AxisLayout {
  let outer = 1;
  let inner = 1;
  for (let dimension = 0; dimension < axis; dimension++) outer *= shape[dimension] as number;
  for (let dimension = axis + 1; dimension < shape.length; dimension++) inner *= shape[dimension] as number;
  return { outer, length: shape[axis] as number, inner };
}
