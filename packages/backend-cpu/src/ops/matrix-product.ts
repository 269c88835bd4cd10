import { WasmMatrixProducts, wasmProductThreshold } from '../wasm/wasm-matrix-products.js';

/**
 * The products large enough to gain from float32 SIMD (a right operand of {@link wasmProductThreshold} floats or
 * more, both operands float32, WebAssembly available) go to {@link WasmMatrixProducts}; value training's
 * weight-times-activation products are all of them. Everything else takes the float64 loops below.
 */
function simdProducts(
  left: ArrayLike<number>,
  right: ArrayLike<number>,
  shared: number,
  columns: number,
): WasmMatrixProducts | null {
  if (shared * columns < wasmProductThreshold) return null;
  if (!(left instanceof Float32Array) || !(right instanceof Float32Array)) return null;
  return WasmMatrixProducts.shared;
}

/**
 * The three float64 matrix-product loops that MatMul and Gemm and their gradients are built from. Each adds
 * its product into a float64 accumulator (`+=`), so a batch-broadcast gradient sums over the batch without
 * rounding in between, and the caller rounds to float32 once.
 *
 * Loop orders keep the innermost loop on contiguous memory and free of calls, because value training runs
 * `[1,768] x [768,3072]` and its gradient a hundred times per edit. Each output element is summed over the
 * shared dimension in increasing order, as the plain textbook loop would.
 *
 * Operands are row-major matrices starting at an offset into a flat array (one matrix of a batch).
 */

/**
 * `out[m,n] += L[m,k] · right[k,n]` where `L[m,k]` is read at `leftOffset + m·leftRowStride + k·leftInnerStride`,
 * so one loop serves `left` as stored (strides `k, 1`) and transposed (strides `1, m`). Order i-k-j: the
 * inner loop walks a row of `right` and of `out`.
 */
function accumulateRowsOfRight(
  left: ArrayLike<number>,
  leftOffset: number,
  leftRowStride: number,
  leftInnerStride: number,
  right: ArrayLike<number>,
  rightOffset: number,
  out: Float64Array,
  outOffset: number,
  rows: number,
  shared: number,
  columns: number,
): void {
  // Four rows of `right` per pass: `out + p0 + p1 + p2 + p3` evaluates left to right, so each element gets the
  // same additions in the same order as one row per pass, with a quarter of the loads and stores of `out`.
  const unrolledEnd = shared - (shared % 4);
  for (let row = 0; row < rows; row++) {
    const outRow = outOffset + row * columns;
    const leftRow = leftOffset + row * leftRowStride;
    let inner = 0;
    for (; inner < unrolledEnd; inner += 4) {
      const leftAt = leftRow + inner * leftInnerStride;
      const factor0 = left[leftAt] as number;
      const factor1 = left[leftAt + leftInnerStride] as number;
      const factor2 = left[leftAt + 2 * leftInnerStride] as number;
      const factor3 = left[leftAt + 3 * leftInnerStride] as number;
      const rightRow0 = rightOffset + inner * columns;
      const rightRow1 = rightRow0 + columns;
      const rightRow2 = rightRow1 + columns;
      const rightRow3 = rightRow2 + columns;
      for (let column = 0; column < columns; column++) {
        out[outRow + column] =
          (out[outRow + column] as number) +
          factor0 * (right[rightRow0 + column] as number) +
          factor1 * (right[rightRow1 + column] as number) +
          factor2 * (right[rightRow2 + column] as number) +
          factor3 * (right[rightRow3 + column] as number);
      }
    }
    for (; inner < shared; inner++) {
      const factor = left[leftRow + inner * leftInnerStride] as number;
      const rightRow = rightOffset + inner * columns;
      for (let column = 0; column < columns; column++) {
        out[outRow + column] += factor * (right[rightRow + column] as number);
      }
    }
  }
}

/** `out[m,n] += left[m,k] · right[k,n]`. */
export function accumulateProduct(
  left: ArrayLike<number>,
  leftOffset: number,
  right: ArrayLike<number>,
  rightOffset: number,
  out: Float64Array,
  outOffset: number,
  rows: number,
  shared: number,
  columns: number,
): void {
  const simd = simdProducts(left, right, shared, columns);
  if (simd !== null) {
    simd.multiply(
      'product',
      left as Float32Array,
      leftOffset,
      right as Float32Array,
      rightOffset,
      out,
      outOffset,
      rows,
      shared,
      columns,
    );
    return;
  }
  accumulateRowsOfRight(
    left,
    leftOffset,
    shared,
    1,
    right,
    rightOffset,
    out,
    outOffset,
    rows,
    shared,
    columns,
  );
}

/**
 * `out[m,n] += left[m,k] · right[n,k]ᵀ`: each output element is a dot product of two contiguous rows
 * (MatMul's input gradient `dC·Bᵀ`, Gemm with `transB`).
 */
export function accumulateProductTransposedRight(
  left: ArrayLike<number>,
  leftOffset: number,
  right: ArrayLike<number>,
  rightOffset: number,
  out: Float64Array,
  outOffset: number,
  rows: number,
  shared: number,
  columns: number,
): void {
  const simd = simdProducts(left, right, shared, columns);
  if (simd !== null) {
    simd.multiply(
      'productTransposedRight',
      left as Float32Array,
      leftOffset,
      right as Float32Array,
      rightOffset,
      out,
      outOffset,
      rows,
      shared,
      columns,
    );
    return;
  }
  const unrolledEnd = shared - (shared % 4);
  for (let row = 0; row < rows; row++) {
    const leftRow = leftOffset + row * shared;
    const outRow = outOffset + row * columns;
    for (let column = 0; column < columns; column++) {
      const rightRow = rightOffset + column * shared;
      let sum = 0;
      let inner = 0;
      // Unrolled by 4 without reassociating: `sum + a + b + c + d` adds in the plain loop's order.
      for (; inner < unrolledEnd; inner += 4) {
        sum =
          sum +
          (left[leftRow + inner] as number) * (right[rightRow + inner] as number) +
          (left[leftRow + inner + 1] as number) * (right[rightRow + inner + 1] as number) +
          (left[leftRow + inner + 2] as number) * (right[rightRow + inner + 2] as number) +
          (left[leftRow + inner + 3] as number) * (right[rightRow + inner + 3] as number);
      }
      for (; inner < shared; inner++) {
        sum += (left[leftRow + inner] as number) * (right[rightRow + inner] as number);
      }
      out[outRow + column] += sum;
    }
  }
}

/**
 * `out[m,n] += left[k,m]ᵀ · right[k,n]` (MatMul's weight gradient `Aᵀ·dC`), by the same i-k-j loop reading
 * `left` down its columns.
 */
export function accumulateProductTransposedLeft(
  left: ArrayLike<number>,
  leftOffset: number,
  right: ArrayLike<number>,
  rightOffset: number,
  out: Float64Array,
  outOffset: number,
  rows: number,
  shared: number,
  columns: number,
): void {
  accumulateRowsOfRight(left, leftOffset, 1, rows, right, rightOffset, out, outOffset, rows, shared, columns);
}

/** The transpose of a row-major `[rows, columns]` matrix, as a new `[columns, rows]` float64 matrix. */
export function transposeMatrix(matrix: ArrayLike<number>, rows: number, columns: number): Float64Array {
  const result = new Float64Array(rows * columns);
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) {
      result[column * rows + row] = matrix[row * columns + column] as number;
    }
  }
  return result;
}
