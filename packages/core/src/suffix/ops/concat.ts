import type { OpDefinition } from '../op-definition.js';
import type { Dimension } from '../suffix-graph.js';
import { dimensionsCompatible, formatSymbolicShape } from '../symbolic-shape.js';
import { NodeReader } from './node-reader.js';

/** Most inputs a Concat takes: far above what model tails join (heads, a few feature groups). */
const maximumConcatInputs = 64;

/**
 * ONNX Concat: joins inputs of one rank along `axis` (required, negative counts from the end); every other
 * dimension must agree. A symbolic size along the axis makes the output's size a fresh name `<node>:concat`,
 * checked at run time.
 */
export const concatDefinition: OpDefinition<'Concat'> = {
  type: 'Concat',
  minimumInputs: 1,
  maximumInputs: maximumConcatInputs,
  integerInputs: [],
  resolve(context) {
    const reader = new NodeReader(context, 'Concat');
    reader.allowAttributes(['axis']);
    const shapes = context.inputShapes.map((_, index) => reader.shape(index, `input ${index}`));
    const [first] = shapes;
    if (first === undefined) throw reader.error('GRAPH_INVALID', 'Concat needs at least one input');
    const declared = reader.optionalInteger('axis');
    if (declared === null) throw reader.error('INVALID_ARGUMENT', "attribute 'axis' is required", {});
    const axis = reader.axis('axis', declared, first.length);
    let joined: Dimension = 0;
    for (const shape of shapes) {
      const agrees =
        shape.length === first.length &&
        shape.every(
          (dimension, position) =>
            position === axis || dimensionsCompatible(dimension, first[position] as Dimension),
        );
      if (!agrees) {
        throw reader.error(
          'SHAPE_MISMATCH',
          `inputs ${shapes.map(formatSymbolicShape).join(', ')} differ outside axis ${axis}`,
          { shapes, axis },
        );
      }
      const size = shape[axis] as Dimension;
      joined =
        typeof joined === 'number' && typeof size === 'number' ? joined + size : `${context.nodeName}:concat`;
    }
    const outputShape = first.map((dimension, position) => (position === axis ? joined : dimension));
    return { attributes: { axis }, outputShape };
  },
};
