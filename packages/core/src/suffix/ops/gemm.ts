import type { OpDefinition } from '../op-definition.js';
import type { Dimension } from '../suffix-graph.js';
import { broadcastsUnidirectionally, dimensionsCompatible, formatSymbolicShape } from '../symbolic-shape.js';
import { NodeReader } from './node-reader.js';

/**
 * ONNX Gemm, `alpha * op(A) op(B) + beta * C`: the dense layer of exported MLPs and classifier heads. A and B
 * are rank 2 (ONNX requires it); C is optional and must broadcast to `[M, N]` without changing it.
 */
export const gemmDefinition: OpDefinition<'Gemm'> = {
  type: 'Gemm',
  minimumInputs: 2,
  maximumInputs: 3,
  integerInputs: [],
  resolve(context) {
    const reader = new NodeReader(context, 'Gemm');
    reader.allowAttributes(['alpha', 'beta', 'transA', 'transB']);
    const alpha = reader.float('alpha', 1);
    const beta = reader.float('beta', 1);
    const transA = reader.flag('transA', false);
    const transB = reader.flag('transB', false);
    const left = reader.shape(0, 'A');
    const right = reader.shape(1, 'B');
    reader.requireRank(left, 'A', 2);
    reader.requireRank(right, 'B', 2);
    const [rows, inner] = (transA ? [left[1], left[0]] : [left[0], left[1]]) as [Dimension, Dimension];
    const [rightInner, columns] = (transB ? [right[1], right[0]] : [right[0], right[1]]) as [
      Dimension,
      Dimension,
    ];
    if (!dimensionsCompatible(inner, rightInner)) {
      throw reader.error(
        'SHAPE_MISMATCH',
        `inner dimensions differ: A ${formatSymbolicShape(left)}${transA ? 'ᵀ' : ''} x ` +
          `B ${formatSymbolicShape(right)}${transB ? 'ᵀ' : ''}`,
        { shapes: [left, right], transA, transB },
      );
    }
    const outputShape = [rows, columns];
    const bias = reader.optionalShape(2);
    if (bias !== undefined && !broadcastsUnidirectionally(bias, outputShape)) {
      throw reader.error(
        'SHAPE_MISMATCH',
        `C ${formatSymbolicShape(bias)} does not broadcast to the output ${formatSymbolicShape(outputShape)}`,
        { shape: bias, outputShape },
      );
    }
    return { attributes: { alpha, beta, transA, transB }, outputShape };
  },
};
