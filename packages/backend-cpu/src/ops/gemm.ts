import { broadcastIndexMap, type SuffixOpAttributes } from '@grace/core';
import { floatTensor, type HostOp, type HostTensor, neededGradients, requireInput } from './host-tensor.js';
import {
  accumulateProduct,
  accumulateProductTransposedLeft,
  accumulateProductTransposedRight,
  transposeMatrix,
} from './matrix-product.js';
import { sumToShape } from './sum-to-shape.js';

type GemmAttributes = SuffixOpAttributes['Gemm'];

/** `op(A)` as a row-major `[M, K]` matrix: A itself, or its transpose when `transA` (a cheap O(MK) copy). */
function leftMatrix(left: HostTensor, attributes: GemmAttributes): ArrayLike<number> {
  const [first, second] = left.shape as [number, number];
  return attributes.transA ? transposeMatrix(left.data, first, second) : left.data;
}

/** `[M, K, N]` of the product `op(A) op(B)`. */
function dimensionsOf(
  left: HostTensor,
  right: HostTensor,
  attributes: GemmAttributes,
): [number, number, number] {
  const [leftFirst, leftSecond] = left.shape as [number, number];
  const [rightFirst, rightSecond] = right.shape as [number, number];
  return attributes.transA
    ? [leftSecond, leftFirst, attributes.transB ? rightFirst : rightSecond]
    : [leftFirst, leftSecond, attributes.transB ? rightFirst : rightSecond];
}

/**
 * ONNX Gemm: `alpha · op(A) op(B) + beta · C` with `op` an optional transpose, A and B rank 2, and C
 * (optional) unidirectionally broadcast to `[M, N]`. Products accumulate in float64; each output element
 * is rounded once.
 */
export function gemm(
  left: HostTensor,
  right: HostTensor,
  bias: HostTensor | undefined,
  attributes: GemmAttributes,
): HostTensor<Float32Array> {
  const [rows, shared, columns] = dimensionsOf(left, right, attributes);
  const product = new Float64Array(rows * columns);
  const multiply = attributes.transB ? accumulateProductTransposedRight : accumulateProduct;
  multiply(leftMatrix(left, attributes), 0, right.data, 0, product, 0, rows, shared, columns);
  const { alpha, beta } = attributes;
  for (let element = 0; element < product.length; element++) product[element] *= alpha;
  if (bias !== undefined) {
    const biasIndex = broadcastIndexMap(bias.shape, [rows, columns]);
    for (let element = 0; element < product.length; element++) {
      product[element] += beta * (bias.data[biasIndex[element] as number] as number);
    }
  }
  return floatTensor(product, [rows, columns]);
}

/**
 * Gradients of {@link gemm} with `G = dY`: `d op(A) = alpha · G · op(B)ᵀ`, `d op(B) = alpha · op(A)ᵀ · G`
 * (transposed back where the attribute transposed the operand), `dC = beta · G` summed to C's shape.
 */
export function gemmGradient(
  inputs: readonly (HostTensor | undefined)[],
  outputGradient: HostTensor,
  attributes: GemmAttributes,
  needed: readonly boolean[],
): (HostTensor<Float32Array> | undefined)[] {
  const left = requireInput(inputs, 0);
  const right = requireInput(inputs, 1);
  const [rows, shared, columns] = dimensionsOf(left, right, attributes);
  const { alpha, beta, transA, transB } = attributes;
  const gradient = outputGradient.data;
  return neededGradients(needed, inputs.length, (index) => {
    if (index === 2) {
      const bias = requireInput(inputs, 2);
      const sums = sumToShape(gradient, [rows, columns], bias.shape);
      for (let element = 0; element < sums.length; element++) sums[element] *= beta;
      return floatTensor(sums, bias.shape);
    }
    let sums: Float64Array;
    if (index === 0) {
      // d op(A) [M, K] = G [M, N] · op(B)ᵀ; op(B) is B [K, N], or Bᵀ of B [N, K] when transB.
      sums = new Float64Array(rows * shared);
      const multiply = transB ? accumulateProduct : accumulateProductTransposedRight;
      multiply(gradient, 0, right.data, 0, sums, 0, rows, columns, shared);
      if (transA) sums = transposeMatrix(sums, rows, shared);
    } else {
      // d op(B) [K, N] = op(A)ᵀ · G.
      sums = new Float64Array(shared * columns);
      accumulateProductTransposedLeft(
        leftMatrix(left, attributes),
        0,
        gradient,
        0,
        sums,
        0,
        shared,
        rows,
        columns,
      );
      if (transB) sums = transposeMatrix(sums, shared, columns);
    }
    for (let element = 0; element < sums.length; element++) sums[element] *= alpha;
    return floatTensor(sums, (index === 0 ? left : right).shape);
  });
}

/** Gemm as a {@link HostOp}. */
export const gemmOp: HostOp<GemmAttributes> = {
  forward: (inputs, attributes) =>
    gemm(requireInput(inputs, 0), requireInput(inputs, 1), inputs[2], attributes),
  gradient: ({ inputs, outputGradient, attributes, needed }) =>
    gemmGradient(inputs, outputGradient, attributes, needed),
};
