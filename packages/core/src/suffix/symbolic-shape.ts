import { broadcastShapes } from '../broadcast.js';
import { GraceError } from '../errors.js';
import type { Shape } from '../tensor.js';
import type { Dimension, SymbolicShape } from './suffix-graph.js';

/**
 * Shape arithmetic on symbolic shapes (`['batch', 'tokens', 8]`), so that one op definition infers shapes both
 * at build time, where some sizes are names, and at run time, where every size is a number. A check that
 * involves a name cannot fail at build time (the name may stand for any size); it is made again, on numbers,
 * when the executor resolves the node for real inputs.
 */

/** True when every dimension is a number, i.e. the shape is what a tensor has. */
export function isConcreteShape(shape: SymbolicShape): shape is Shape {
  return shape.every((dimension) => typeof dimension === 'number');
}

/** Formats `['batch', 8]` as `[batch,8]` for error messages. */
export function formatSymbolicShape(shape: SymbolicShape): string {
  return `[${shape.join(',')}]`;
}

/**
 * Whether two dimensions can be the same size: equal numbers, or at least one name (checked at run time).
 * Used where ONNX requires equality, e.g. the inner dimension of MatMul.
 */
export function dimensionsCompatible(left: Dimension, right: Dimension): boolean {
  return typeof left === 'string' || typeof right === 'string' || left === right;
}

/**
 * The dimension two compatible dimensions stand for: a number wins over a name (it is what the name must be),
 * otherwise the left one.
 */
export function unifyDimensions(left: Dimension, right: Dimension): Dimension {
  if (typeof left === 'number') return left;
  return typeof right === 'number' ? right : left;
}

/** Combines one axis of two broadcast operands, or returns `undefined` when two numbers clash. */
function broadcastDimensions(left: Dimension, right: Dimension): Dimension | undefined {
  if (left === right || right === 1) return left;
  if (left === 1) return right;
  if (typeof left === 'number' && typeof right === 'number') return undefined;
  // A name against a number other than 1 must be that number (or 1) at run time: the number is the result.
  // Two different names: keep the left one; the run-time resolve decides.
  if (typeof right === 'number') return right;
  return left;
}

/**
 * numpy / ONNX multidirectional broadcasting over symbolic shapes. With numbers only it is exactly
 * {@link broadcastShapes}; a name broadcast with 1 or with itself stays, a name against another size gives
 * that size (or, against another name, the left name). Throws `SHAPE_MISMATCH` only for two clashing numbers.
 */
export function broadcastSymbolicShapes(...shapes: readonly SymbolicShape[]): Dimension[] {
  if (shapes.every(isConcreteShape)) return broadcastShapes(...shapes);
  const rank = Math.max(0, ...shapes.map((shape) => shape.length));
  const result: Dimension[] = [];
  for (let axis = 0; axis < rank; axis++) {
    let combined: Dimension = 1;
    for (const shape of shapes) {
      const dimension = shape[shape.length - rank + axis] ?? 1;
      const next = broadcastDimensions(combined, dimension);
      if (next === undefined) {
        throw new GraceError(
          'SHAPE_MISMATCH',
          `shapes ${shapes.map(formatSymbolicShape).join(', ')} do not broadcast`,
          { shapes },
        );
      }
      combined = next;
    }
    result.push(combined);
  }
  return result;
}

/**
 * Whether `shape` broadcasts to `target` without changing it (ONNX "unidirectional" broadcasting, as for
 * Gemm's C): right-aligned, each dimension is 1, equal, or involves a name; `shape` is not of higher rank.
 */
export function broadcastsUnidirectionally(shape: SymbolicShape, target: SymbolicShape): boolean {
  if (shape.length > target.length) return false;
  const offset = target.length - shape.length;
  return shape.every(
    (dimension, axis) =>
      dimension === 1 || dimensionsCompatible(dimension, target[offset + axis] as Dimension),
  );
}

/** The product of the numeric dimensions and the names left, e.g. `[batch, 2, 4]` → 8 and `['batch']`. */
export function factorSymbolicSize(shape: SymbolicShape): {
  readonly known: number;
  readonly names: string[];
} {
  let known = 1;
  const names: string[] = [];
  for (const dimension of shape) {
    if (typeof dimension === 'number') known *= dimension;
    else names.push(dimension);
  }
  return { known, names };
}
