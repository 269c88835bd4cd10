import type { OpDefinition } from '../op-definition.js';
import type { Dimension } from '../suffix-graph.js';
import { dimensionsCompatible, formatSymbolicShape } from '../symbolic-shape.js';
import { NodeReader } from './node-reader.js';

/**
 * ONNX MatMul restricted to operands of rank >= 2: numpy's rank-1 promotion (a vector is a row on the left and
 * a column on the right, and the added axis is then dropped) is rare in model tails and would make every
 * backend's kernel and gradient handle two more layouts, so it is refused rather than half supported.
 */
export const matMulDefinition: OpDefinition<'MatMul'> = {
  type: 'MatMul',
  minimumInputs: 2,
  maximumInputs: 2,
  integerInputs: [],
  resolve(context) {
    const reader = new NodeReader(context, 'MatMul');
    reader.allowAttributes([]);
    const left = reader.shape(0, 'A');
    const right = reader.shape(1, 'B');
    for (const [role, shape] of [
      ['A', left],
      ['B', right],
    ] as const) {
      if (shape.length < 2) {
        throw reader.error(
          'UNSUPPORTED_OP',
          `${role} has rank ${shape.length} ${formatSymbolicShape(shape)}; op set v1 supports MatMul ` +
            'on rank >= 2 only (reshape a vector to [1, K] or [K, 1] first)',
          { role, shape },
        );
      }
    }
    const rows = left[left.length - 2] as Dimension;
    const inner = left[left.length - 1] as Dimension;
    const rightInner = right[right.length - 2] as Dimension;
    const columns = right[right.length - 1] as Dimension;
    if (!dimensionsCompatible(inner, rightInner)) {
      throw reader.error(
        'SHAPE_MISMATCH',
        `inner dimensions differ: A ${formatSymbolicShape(left)} x B ${formatSymbolicShape(right)}`,
        { shapes: [left, right] },
      );
    }
    const batch = reader.broadcast([left.slice(0, -2), right.slice(0, -2)]);
    return { attributes: {}, outputShape: [...batch, rows, columns] };
  },
};
