import type { OpDefinition } from '../op-definition.js';
import { NodeReader } from './node-reader.js';

/**
 * ONNX Where on float tensors: `condition ? X : Y` element-wise, the three broadcast together (numpy rules).
 * The IR computes in float32, so the condition is a float tensor read as true where it is non-zero (an
 * importer's boolean mask, or {@link isNaNDefinition}'s 0/1). Its gradient reaches X where the condition holds and
 * Y elsewhere (each summed back over broadcast axes); the condition, a selector, has none (zero). Transformer
 * graphs use it for attention masks and the NaN guard after a masked Softmax (`Where(IsNaN(p), 0, p)`).
 */
export const whereDefinition: OpDefinition<'Where'> = {
  type: 'Where',
  minimumInputs: 3,
  maximumInputs: 3,
  integerInputs: [],
  resolve(context) {
    const reader = new NodeReader(context, 'Where');
    reader.allowAttributes([]);
    const outputShape = reader.broadcast([
      reader.shape(0, 'condition'),
      reader.shape(1, 'X'),
      reader.shape(2, 'Y'),
    ]);
    return { attributes: {}, outputShape };
  },
};

/**
 * ONNX IsNaN as a float 0/1 mask (1 where the input is NaN; infinities are not NaN): what Where reads as a
 * condition. Piecewise constant, so its gradient is zero.
 */
export const isNaNDefinition: OpDefinition<'IsNaN'> = {
  type: 'IsNaN',
  minimumInputs: 1,
  maximumInputs: 1,
  integerInputs: [],
  resolve(context) {
    const reader = new NodeReader(context, 'IsNaN');
    reader.allowAttributes([]);
    return { attributes: {}, outputShape: reader.shape(0, 'X') };
  },
};
