import type { ReferenceArray } from '../reference-kernels.js';
import { referenceErf } from './reference-erf.js';
import { broadcastPair, broadcastSourceIndex, coordinatesOf, elementCount } from './reference-indexing.js';

/** An op result in float64 with its shape. */
export interface ReferenceResult {
  readonly data: Float64Array;
  readonly shape: readonly number[];
}

/** The element-wise binary ops of set v1. */
export type ReferenceBinaryOp = 'Add' | 'Sub' | 'Mul' | 'Div' | 'Pow';

const binaryFunctions: Record<ReferenceBinaryOp, (left: number, right: number) => number> = {
  Add: (left, right) => left + right,
  Sub: (left, right) => left - right,
  Mul: (left, right) => left * right,
  Div: (left, right) => left / right,
  Pow: (left, right) => left ** right,
};

/** ONNX Add/Sub/Mul/Div/Pow with numpy broadcasting, in float64. */
export function referenceBinary(
  op: ReferenceBinaryOp,
  left: ReferenceArray,
  right: ReferenceArray,
): ReferenceResult {
  const shape = broadcastPair(left.shape, right.shape);
  const data = new Float64Array(elementCount(shape));
  const apply = binaryFunctions[op];
  for (let flat = 0; flat < data.length; flat++) {
    const coordinates = coordinatesOf(flat, shape);
    data[flat] = apply(
      left.data[broadcastSourceIndex(coordinates, left.shape)] as number,
      right.data[broadcastSourceIndex(coordinates, right.shape)] as number,
    );
  }
  return { data, shape };
}

/** The element-wise unary ops of set v1, Gelu in both forms. */
export type ReferenceUnaryOp =
  | 'Relu'
  | 'Tanh'
  | 'Sigmoid'
  | 'Sqrt'
  | 'Erf'
  | 'Identity'
  | 'GeluErf'
  | 'GeluTanh';

/** Exact Gelu: x·Φ(x) = x/2 · (1 + erf(x/√2)). */
export function referenceGeluErf(x: number): number {
  return 0.5 * x * (1 + referenceErf(x / Math.SQRT2));
}

/** ONNX Gelu with approximate = 'tanh': x/2 · (1 + tanh(√(2/π) · (x + 0.044715 x³))). */
export function referenceGeluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
}

const unaryFunctions: Record<ReferenceUnaryOp, (x: number) => number> = {
  Relu: (x) => Math.max(x, 0),
  Tanh: Math.tanh,
  Sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  Sqrt: Math.sqrt,
  Erf: referenceErf,
  Identity: (x) => x,
  GeluErf: referenceGeluErf,
  GeluTanh: referenceGeluTanh,
};

/** An element-wise unary op in float64. */
export function referenceUnary(op: ReferenceUnaryOp, input: ReferenceArray): ReferenceResult {
  const apply = unaryFunctions[op];
  return { data: Float64Array.from(input.data, (x) => apply(x)), shape: input.shape };
}

/** ONNX Where on a float condition (true where non-zero), the three inputs broadcast, in float64. */
export function referenceWhere(
  condition: ReferenceArray,
  whenTrue: ReferenceArray,
  whenFalse: ReferenceArray,
): ReferenceResult {
  const shape = broadcastPair(broadcastPair(condition.shape, whenTrue.shape), whenFalse.shape);
  const data = new Float64Array(elementCount(shape));
  for (let flat = 0; flat < data.length; flat++) {
    const coordinates = coordinatesOf(flat, shape);
    const chosen =
      condition.data[broadcastSourceIndex(coordinates, condition.shape)] !== 0 ? whenTrue : whenFalse;
    data[flat] = chosen.data[broadcastSourceIndex(coordinates, chosen.shape)] as number;
  }
  return { data, shape };
}

/** ONNX IsNaN as a float 0/1 mask. */
export function referenceIsNaN(input: ReferenceArray): ReferenceResult {
  return { data: Float64Array.from(input.data, (x) => (Number.isNaN(x) ? 1 : 0)), shape: input.shape };
}
