import { broadcastIndexMap, broadcastShapes, type SuffixOpAttributes, shapeSize } from '@grace/core';
import { floatTensor, type HostOp, type HostTensor, neededGradients, requireInput } from './host-tensor.js';
import {
  accumulateProduct,
  accumulateProductTransposedLeft,
  accumulateProductTransposedRight,
} from './matrix-product.js';

/** How a numpy matmul of `[...a, M, K] x [...b, K, N]` lines up its operands' matrices. */
interface MatMulLayout {
  readonly rows: number;
  readonly shared: number;
  readonly columns: number;
  /** The broadcast batch shape, `[...]` of the output. */
  readonly batchShape: number[];
  /** For each output matrix, the index of the left and of the right operand's matrix. */
  readonly leftMatrix: Int32Array;
  readonly rightMatrix: Int32Array;
}

function layoutOf(left: HostTensor, right: HostTensor): MatMulLayout {
  const leftRank = left.shape.length;
  const rightRank = right.shape.length;
  const leftBatch = left.shape.slice(0, leftRank - 2);
  const rightBatch = right.shape.slice(0, rightRank - 2);
  const batchShape = broadcastShapes(leftBatch, rightBatch);
  return {
    rows: left.shape[leftRank - 2] as number,
    shared: left.shape[leftRank - 1] as number,
    columns: right.shape[rightRank - 1] as number,
    batchShape,
    leftMatrix: broadcastIndexMap(leftBatch, batchShape),
    rightMatrix: broadcastIndexMap(rightBatch, batchShape),
  };
}

/**
 * numpy matmul on operands of rank >= 2 whose leading (batch) dimensions broadcast:
 * `[2,3,4,5] x [5,6] → [2,3,4,6]`, `[3,1,4,5] x [2,5,6] → [3,2,4,6]`.
 */
export function matMul(left: HostTensor, right: HostTensor): HostTensor<Float32Array> {
  const layout = layoutOf(left, right);
  const { rows, shared, columns } = layout;
  const outputMatrix = rows * columns;
  const output = new Float64Array(layout.leftMatrix.length * outputMatrix);
  for (let matrix = 0; matrix < layout.leftMatrix.length; matrix++) {
    accumulateProduct(
      left.data,
      (layout.leftMatrix[matrix] as number) * rows * shared,
      right.data,
      (layout.rightMatrix[matrix] as number) * shared * columns,
      output,
      matrix * outputMatrix,
      rows,
      shared,
      columns,
    );
  }
  return floatTensor(output, [...layout.batchShape, rows, columns]);
}

/**
 * Gradients of {@link matMul}: `dA = dC·Bᵀ`, `dB = Aᵀ·dC`, each summed over the batch matrices that
 * broadcast from one operand matrix (in float64, rounded once). Only the needed ones are computed: in value
 * training the right operand is a frozen weight and its `[K, N]` gradient would cost as much as the forward.
 */
export function matMulGradient(
  left: HostTensor,
  right: HostTensor,
  outputGradient: HostTensor,
  needed: readonly boolean[],
): (HostTensor<Float32Array> | undefined)[] {
  const layout = layoutOf(left, right);
  const { rows, shared, columns } = layout;
  const outputMatrix = rows * columns;
  return neededGradients(needed, 2, (index) => {
    const operand = index === 0 ? left : right;
    const sums = new Float64Array(shapeSize(operand.shape));
    for (let matrix = 0; matrix < layout.leftMatrix.length; matrix++) {
      const leftOffset = (layout.leftMatrix[matrix] as number) * rows * shared;
      const rightOffset = (layout.rightMatrix[matrix] as number) * shared * columns;
      const gradientOffset = matrix * outputMatrix;
      if (index === 0) {
        accumulateProductTransposedRight(
          outputGradient.data,
          gradientOffset,
          right.data,
          rightOffset,
          sums,
          leftOffset,
          rows,
          columns,
          shared,
        );
      } else {
        accumulateProductTransposedLeft(
          left.data,
          leftOffset,
          outputGradient.data,
          gradientOffset,
          sums,
          rightOffset,
          shared,
          rows,
          columns,
        );
      }
    }
    return floatTensor(sums, operand.shape);
  });
}

/** MatMul as a {@link HostOp}. */
export const matMulOp: HostOp<SuffixOpAttributes['MatMul']> = {
  forward: (inputs) => matMul(requireInput(inputs, 0), requireInput(inputs, 1)),
  gradient: ({ inputs, outputGradient, needed }) =>
    matMulGradient(requireInput(inputs, 0), requireInput(inputs, 1), outputGradient, needed),
};
