import {
  broadcastShapes,
  broadcastStrides,
  type OpKernel,
  type Shape,
  type SuffixOpAttributes,
  shapeSize,
  shapesEqual,
} from '@grace/core';
import { elementDispatch, maximumWorkgroupsPerDimension, Params } from '../gpu-program.js';
import type { WebGpuContext } from '../webgpu-context.js';
import type { WebGpuTensor } from '../webgpu-tensor.js';
import { productTile, tiledProductProgram } from './matrix-product.wgsl.js';
import { mapProgram, sumToShape } from './op-programs.js';

/**
 * How a matrix operand is read: its batch strides (one per output batch axis, 0 along broadcast axes) and the
 * strides of its row and column. A transposed operand is the same buffer with row and column strides swapped,
 * so one program serves MatMul, Gemm (both flags) and every gradient product.
 */
interface MatrixView {
  readonly buffer: GPUBuffer;
  readonly batchStrides: readonly number[];
  readonly rowStride: number;
  readonly columnStride: number;
}

/**
 * params: [count, rows, columns, shared, batchRank, alpha, beta, leftRow, leftColumn, rightRow, rightColumn,
 * biasRow, biasColumn, batchShape[batchRank], leftBatch[batchRank], rightBatch[batchRank]]:
 * `result[b, m, n] = alpha Σ_k left[b, m, k] right[b, k, n] (+ beta bias[m, n])`, one thread per output element.
 * The loop runs over the shared dimension K.
 */
function productProgram(withBias: boolean) {
  return mapProgram({
    shaderKey: withBias ? 'op/matrixProduct+bias' : 'op/matrixProduct',
    inputs: ['left', 'right', 'bias'],
    body: `
  let rows = params[1];
  let columns = params[2];
  let sharedLength = params[3];
  let batchRank = params[4];
  let alpha = bitcast<f32>(params[5]);
  let beta = bitcast<f32>(params[6]);
  let matrix = index / (rows * columns);
  let row = (index / columns) % rows;
  let column = index % columns;
  let leftBase = stridedOffset(matrix, batchRank, 13u, 13u + batchRank) + row * params[7];
  let rightBase = stridedOffset(matrix, batchRank, 13u, 13u + 2u * batchRank) + column * params[10];
  var sum = 0.0;
  for (var k = 0u; k < sharedLength; k++) {
    sum = sum + left[leftBase + k * params[8]] * right[rightBase + k * params[9]];
  }
  var value = alpha * sum;
  ${withBias ? 'value = value + beta * bias[row * params[11] + column * params[12]];' : ''}
  result[index] = value;`,
  });
}

/** Queues `alpha · left · right (+ beta · bias)` over a batch of `batchShape` matrices `[rows, columns]`. */
function matrixProduct(
  context: WebGpuContext,
  batchShape: Shape,
  dimensions: { rows: number; columns: number; shared: number },
  left: MatrixView,
  right: MatrixView,
  alpha: number,
  bias?: { buffer: GPUBuffer; rowStride: number; columnStride: number; beta: number },
): WebGpuTensor<'float32'> {
  const { rows, columns, shared } = dimensions;
  const result = context.allocate('float32', [...batchShape, rows, columns]);
  const params = new Params()
    .u32(result.size, rows, columns, shared, batchShape.length)
    .f32(alpha)
    .f32(bias?.beta ?? 0)
    .u32(left.rowStride, left.columnStride, right.rowStride, right.columnStride)
    .u32(bias?.rowStride ?? 0, bias?.columnStride ?? 0)
    .u32(...batchShape, ...left.batchStrides, ...right.batchStrides);
  const buffers = [left.buffer, right.buffer, bias?.buffer ?? left.buffer, result.buffer];
  const matrices = shapeSize(batchShape);
  if (result.size === 0) return result;
  const tiledGroups = [Math.ceil(columns / productTile), Math.ceil(rows / productTile), matrices] as const;
  // Tiles pay off when both output dimensions fill them; a single row (value training's [1, D] activations)
  // would waste 15 of 16 tile rows and a barrier per chunk, so thin products take one thread per element.
  const fillsTiles = rows >= productTile && columns >= productTile;
  if (fillsTiles && tiledGroups.every((groups) => groups <= maximumWorkgroupsPerDimension)) {
    context.run([{ program: tiledProductProgram(bias !== undefined), buffers, params, groups: tiledGroups }]);
  } else {
    context.run([
      { program: productProgram(bias !== undefined), buffers, params, groups: elementDispatch(result.size) },
    ]);
  }
  return result;
}

/** Batch strides of an operand's matrices within the broadcast batch shape. */
function batchStridesOf(shape: Shape, batchShape: Shape): number[] {
  const matrixSize = (shape[shape.length - 2] as number) * (shape[shape.length - 1] as number);
  return broadcastStrides(shape.slice(0, -2), batchShape).map((stride) => stride * matrixSize);
}

/** numpy MatMul with batch broadcasting; gradients summed back over the batches an operand was broadcast to. */
export function matMulKernel(context: WebGpuContext): OpKernel<SuffixOpAttributes['MatMul']> {
  const layout = (left: Shape, right: Shape) => {
    const batchShape = broadcastShapes(left.slice(0, -2), right.slice(0, -2));
    return {
      batchShape,
      rows: left[left.length - 2] as number,
      shared: left[left.length - 1] as number,
      columns: right[right.length - 1] as number,
      leftBatch: batchStridesOf(left, batchShape),
      rightBatch: batchStridesOf(right, batchShape),
    };
  };
  return {
    forward(inputs) {
      const left = context.read(inputs[0] as WebGpuTensor<'float32'>, 'MatMul input 0');
      const right = context.read(inputs[1] as WebGpuTensor<'float32'>, 'MatMul input 1');
      const { batchShape, rows, shared, columns, leftBatch, rightBatch } = layout(left.shape, right.shape);
      return matrixProduct(
        context,
        batchShape,
        { rows, columns, shared },
        { buffer: left.buffer, batchStrides: leftBatch, rowStride: shared, columnStride: 1 },
        { buffer: right.buffer, batchStrides: rightBatch, rowStride: columns, columnStride: 1 },
        1,
      );
    },
    gradient({ inputs, outputGradient, needed }) {
      const left = context.read(inputs[0] as WebGpuTensor<'float32'>, 'MatMul input 0');
      const right = context.read(inputs[1] as WebGpuTensor<'float32'>, 'MatMul input 1');
      const gradient = context.read(outputGradient, 'MatMul output gradient');
      const { batchShape, rows, shared, columns, leftBatch, rightBatch } = layout(left.shape, right.shape);
      const gradientBatch = batchStridesOf([...batchShape, rows, columns], batchShape);
      const sumBack = (full: WebGpuTensor<'float32'>, operand: Shape) => {
        if (shapesEqual(full.shape, operand)) return full;
        const summed = sumToShape(context, full.buffer, full.shape, operand);
        context.recycle(full.release() as GPUBuffer);
        return summed;
      };
      return [
        needed[0]
          ? // dA[b, m, k] = Σ_n G[b, m, n] B[b, k, n]
            sumBack(
              matrixProduct(
                context,
                batchShape,
                { rows, columns: shared, shared: columns },
                { buffer: gradient.buffer, batchStrides: gradientBatch, rowStride: columns, columnStride: 1 },
                { buffer: right.buffer, batchStrides: rightBatch, rowStride: 1, columnStride: columns },
                1,
              ),
              left.shape,
            )
          : undefined,
        needed[1]
          ? // dB[b, k, n] = Σ_m A[b, m, k] G[b, m, n]
            sumBack(
              matrixProduct(
                context,
                batchShape,
                { rows: shared, columns, shared: rows },
                { buffer: left.buffer, batchStrides: leftBatch, rowStride: 1, columnStride: shared },
                { buffer: gradient.buffer, batchStrides: gradientBatch, rowStride: columns, columnStride: 1 },
                1,
              ),
              right.shape,
            )
          : undefined,
      ];
    },
  };
}

/** ONNX Gemm: `alpha op(A) op(B) + beta C`, the transposes as swapped strides. */
export function gemmKernel(context: WebGpuContext): OpKernel<SuffixOpAttributes['Gemm']> {
  /** op(A) `[M, K]` and op(B) `[K, N]` as views, with the dimensions. */
  const views = (left: WebGpuTensor, right: WebGpuTensor, attributes: SuffixOpAttributes['Gemm']) => {
    const [leftRows, leftColumns] = left.shape as [number, number];
    const [rightRows, rightColumns] = right.shape as [number, number];
    const rows = attributes.transA ? leftColumns : leftRows;
    const shared = attributes.transA ? leftRows : leftColumns;
    const columns = attributes.transB ? rightRows : rightColumns;
    const opLeft: MatrixView = attributes.transA
      ? { buffer: left.buffer, batchStrides: [], rowStride: 1, columnStride: leftColumns }
      : { buffer: left.buffer, batchStrides: [], rowStride: leftColumns, columnStride: 1 };
    const opRight: MatrixView = attributes.transB
      ? { buffer: right.buffer, batchStrides: [], rowStride: 1, columnStride: rightColumns }
      : { buffer: right.buffer, batchStrides: [], rowStride: rightColumns, columnStride: 1 };
    return { rows, shared, columns, opLeft, opRight };
  };
  const transposed = (view: MatrixView): MatrixView => ({
    ...view,
    rowStride: view.columnStride,
    columnStride: view.rowStride,
  });
  return {
    forward(inputs, attributes) {
      const left = context.read(inputs[0] as WebGpuTensor<'float32'>, 'Gemm input 0');
      const right = context.read(inputs[1] as WebGpuTensor<'float32'>, 'Gemm input 1');
      const bias =
        inputs[2] === undefined
          ? undefined
          : context.read(inputs[2] as WebGpuTensor<'float32'>, 'Gemm input 2');
      const { rows, shared, columns, opLeft, opRight } = views(left, right, attributes);
      const biasStrides = bias === undefined ? [0, 0] : broadcastStrides(bias.shape, [rows, columns]);
      return matrixProduct(
        context,
        [],
        { rows, columns, shared },
        opLeft,
        opRight,
        attributes.alpha,
        bias === undefined
          ? undefined
          : {
              buffer: bias.buffer,
              rowStride: biasStrides[0] as number,
              columnStride: biasStrides[1] as number,
              beta: attributes.beta,
            },
      );
    },
    gradient({ inputs, outputGradient, attributes, needed }) {
      const left = context.read(inputs[0] as WebGpuTensor<'float32'>, 'Gemm input 0');
      const right = context.read(inputs[1] as WebGpuTensor<'float32'>, 'Gemm input 1');
      const gradient = context.read(outputGradient, 'Gemm output gradient');
      const { rows, shared, columns, opLeft, opRight } = views(left, right, attributes);
      const gradientView: MatrixView = {
        buffer: gradient.buffer,
        batchStrides: [],
        rowStride: columns,
        columnStride: 1,
      };
      const { alpha, beta } = attributes;
      const results: (WebGpuTensor<'float32'> | undefined)[] = [undefined, undefined, undefined];
      if (needed[0]) {
        // d op(A) [M, K] = alpha G op(B)ᵀ; dA = its transpose when transA: alpha op(B) Gᵀ [K, M].
        results[0] = attributes.transA
          ? matrixProduct(
              context,
              [],
              { rows: shared, columns: rows, shared: columns },
              opRight,
              transposed(gradientView),
              alpha,
            )
          : matrixProduct(
              context,
              [],
              { rows, columns: shared, shared: columns },
              gradientView,
              transposed(opRight),
              alpha,
            );
      }
      if (needed[1]) {
        // d op(B) [K, N] = alpha op(A)ᵀ G; dB = its transpose when transB: alpha Gᵀ op(A) [N, K].
        results[1] = attributes.transB
          ? matrixProduct(
              context,
              [],
              { rows: columns, columns: shared, shared: rows },
              transposed(gradientView),
              opLeft,
              alpha,
            )
          : matrixProduct(
              context,
              [],
              { rows: shared, columns, shared: rows },
              transposed(opLeft),
              gradientView,
              alpha,
            );
      }
      const bias = inputs[2];
      if (needed[2] && bias !== undefined) {
        results[2] = sumToShape(context, gradient.buffer, [rows, columns], bias.shape, beta);
      }
      return results;
    },
  };
}
