import type { OpDefinition } from '../op-definition.js';
import type { Dimension } from '../suffix-graph.js';
import { NodeReader } from './node-reader.js';

/** ONNX Transpose: `perm` defaults to reversing the axes; anything else must be a permutation of them. */
export const transposeDefinition: OpDefinition<'Transpose'> = {
  type: 'Transpose',
  minimumInputs: 1,
  maximumInputs: 1,
  integerInputs: [],
  resolve(context) {
    const reader = new NodeReader(context, 'Transpose');
    reader.allowAttributes(['perm']);
    const input = reader.shape(0, 'data');
    const perm = reader.integers('perm') ?? input.map((_, axis) => input.length - 1 - axis);
    const seen = new Set(perm);
    const isPermutation =
      perm.length === input.length &&
      seen.size === perm.length &&
      perm.every((axis) => axis >= 0 && axis < input.length);
    if (!isPermutation) {
      throw reader.error(
        'INVALID_ARGUMENT',
        `perm [${perm.join(',')}] is not a permutation of the ${input.length} axes of the input`,
        { attribute: 'perm', value: perm, rank: input.length },
      );
    }
    return { attributes: { perm: [...perm] }, outputShape: perm.map((axis) => input[axis] as Dimension) };
  },
};
