import type { OpDefinition } from '../op-definition.js';
import type { SymbolicShape } from '../suffix-graph.js';
import { dimensionsCompatible, formatSymbolicShape } from '../symbolic-shape.js';
import { NodeReader } from './node-reader.js';

/**
 * Whether a Scale or B of `shape` holds exactly the normalised shape, allowing leading 1s on either side:
 * the layout ONNX Runtime accepts (it requires the element counts to match), so that a kernel can read
 * `scale[i % normalisedSize]` without any other broadcasting.
 */
function matchesNormalizedShape(shape: SymbolicShape, normalized: SymbolicShape): boolean {
  const rank = Math.max(shape.length, normalized.length);
  for (let axis = 0; axis < rank; axis++) {
    const own = shape[shape.length - rank + axis] ?? 1;
    const target = normalized[normalized.length - rank + axis] ?? 1;
    if (!dimensionsCompatible(own, target)) return false;
  }
  return true;
}

/**
 * ONNX LayerNormalization (opset 17): normalises over axes `axis .. rank-1`, then applies Scale and the
 * optional B. Only output 0 (Y) exists here; the optional Mean and InvStdDev outputs are training aids of the
 * original framework, refused by the graph builder if a node asks for them.
 */
export const layerNormalizationDefinition: OpDefinition<'LayerNormalization'> = {
  type: 'LayerNormalization',
  minimumInputs: 2,
  maximumInputs: 3,
  integerInputs: [],
  resolve(context) {
    const reader = new NodeReader(context, 'LayerNormalization');
    // stash_type only picks the precision of the statistics; every backend computes them at least in float32.
    reader.allowAttributes(['axis', 'epsilon', 'stash_type']);
    const input = reader.shape(0, 'X');
    const axis = reader.axis('axis', reader.integer('axis', -1), input.length);
    const epsilon = reader.float('epsilon', 1e-5);
    if (epsilon < 0) {
      throw reader.error('INVALID_ARGUMENT', `epsilon must be >= 0, got ${epsilon}`, {
        attribute: 'epsilon',
        value: epsilon,
      });
    }
    const normalized = input.slice(axis);
    for (const [index, role] of [
      [1, 'Scale'],
      [2, 'B'],
    ] as const) {
      const shape = index === 1 ? reader.shape(1, role) : reader.optionalShape(2);
      if (shape !== undefined && !matchesNormalizedShape(shape, normalized)) {
        throw reader.error(
          'SHAPE_MISMATCH',
          `${role} ${formatSymbolicShape(shape)} must match the normalised shape ` +
            `${formatSymbolicShape(normalized)} (X ${formatSymbolicShape(input)}, axis ${axis})`,
          { role, shape, normalizedShape: normalized },
        );
      }
    }
    return { attributes: { axis, epsilon }, outputShape: input };
  },
};
