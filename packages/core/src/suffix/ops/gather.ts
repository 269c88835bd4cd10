import type { OpDefinition } from '../op-definition.js';
import { NodeReader } from './node-reader.js';

/**
 * ONNX Gather: picks entries of `data` along `axis` by int32 `indices` (negative ones count from the end, as in
 * ONNX); the output is `data.shape[:axis] + indices.shape + data.shape[axis+1:]`. Transformer heads use it to take
 * one token out of `[B, T, D]` (BERT's pooler reads token 0); its gradient adds each output gradient back into
 * the row it was read from, so repeated indices accumulate.
 */
export const gatherDefinition: OpDefinition<'Gather'> = {
  type: 'Gather',
  minimumInputs: 2,
  maximumInputs: 2,
  integerInputs: [1],
  resolve(context) {
    const reader = new NodeReader(context, 'Gather');
    reader.allowAttributes(['axis']);
    const data = reader.shape(0, 'data');
    const indices = reader.shape(1, 'indices');
    reader.requireRank(data, 'data', 1, true);
    const axis = reader.axis('axis', reader.integer('axis', 0), data.length);
    return {
      attributes: { axis },
      outputShape: [...data.slice(0, axis), ...indices, ...data.slice(axis + 1)],
    };
  },
};
