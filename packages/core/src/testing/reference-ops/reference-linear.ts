import type { ReferenceArray } from '../reference-kernels.js';
import type { ReferenceResult } from './reference-elementwise.js';
import { broadcastPair, broadcastSourceIndex, coordinatesOf, elementCount } from './reference-indexing.js';

/**
 * numpy matmul for operands of rank >= 2: `[..., M, K] x [..., K, N]`, batch dimensions broadcast, each
 * output element a float64 dot product in order of `k`.
 */
export function referenceMatMul(left: ReferenceArray, right: ReferenceArray): ReferenceResult {
  const rows = left.shape[left.shape.length - 2] as number;
  const inner = left.shape[left.shape.length - 1] as number;
  const columns = right.shape[right.shape.length - 1] as number;
  const leftBatch = left.shape.slice(0, -2);
  const rightBatch = right.shape.slice(0, -2);
  const batch = broadcastPair(leftBatch, rightBatch);
  const shape = [...batch, rows, columns];
  const data = new Float64Array(elementCount(shape));
  for (let batchIndex = 0; batchIndex < elementCount(batch); batchIndex++) {
    const coordinates = coordinatesOf(batchIndex, batch);
    const leftBase = broadcastSourceIndex(coordinates, leftBatch) * rows * inner;
    const rightBase = broadcastSourceIndex(coordinates, rightBatch) * inner * columns;
    for (let row = 0; row < rows; row++) {
      for (let column = 0; column < columns; column++) {
        let sum = 0;
        for (let k = 0; k < inner; k++) {
          sum +=
            (left.data[leftBase + row * inner + k] as number) *
            (right.data[rightBase + k * columns + column] as number);
        }
        data[(batchIndex * rows + row) * columns + column] = sum;
      }
    }
  }
  return { data, shape };
}

/** Gemm's attributes, as the op set resolves them. */
export interface ReferenceGemmAttributes {
  readonly alpha: number;
  readonly beta: number;
  readonly transA: boolean;
  readonly transB: boolean;
}

/** ONNX Gemm: `alpha · op(A) op(B) + beta · C`, C (optional) broadcast to `[M, N]`. */
export function referenceGemm(
  left: ReferenceArray,
  right: ReferenceArray,
  bias: ReferenceArray | undefined,
  attributes: ReferenceGemmAttributes,
): ReferenceResult {
  const [leftRows, leftColumns] = left.shape as [number, number];
  const [rightRows, rightColumns] = right.shape as [number, number];
  const rows = attributes.transA ? leftColumns : leftRows;
  const inner = attributes.transA ? leftRows : leftColumns;
  const columns = attributes.transB ? rightRows : rightColumns;
  const leftAt = (row: number, k: number): number =>
    left.data[attributes.transA ? k * leftColumns + row : row * leftColumns + k] as number;
  const rightAt = (k: number, column: number): number =>
    right.data[attributes.transB ? column * rightColumns + k : k * rightColumns + column] as number;
  const data = new Float64Array(rows * columns);
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) {
      let sum = 0;
      for (let k = 0; k < inner; k++) sum += leftAt(row, k) * rightAt(k, column);
      const biasValue =
        bias === undefined ? 0 : (bias.data[broadcastSourceIndex([row, column], bias.shape)] as number);
      data[row * columns + column] = attributes.alpha * sum + attributes.beta * biasValue;
    }
  }
  return { data, shape: [rows, columns] };
}
