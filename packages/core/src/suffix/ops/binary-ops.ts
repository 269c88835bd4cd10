import type { OpDefinition } from '../op-definition.js';
import type { SuffixOpAttributes } from '../op-types.js';
import { NodeReader } from './node-reader.js';

type BinaryOpType = 'Add' | 'Sub' | 'Mul' | 'Div' | 'Pow';

/**
 * The element-wise binary ops share one definition: two inputs, no attributes, numpy broadcasting. (Pow's
 * exponent broadcasts too: ONNX Pow-15 broadcasts both operands.)
 */
function binaryOpDefinition<Op extends BinaryOpType>(type: Op): OpDefinition<Op> {
  return {
    type,
    minimumInputs: 2,
    maximumInputs: 2,
    integerInputs: [],
    resolve(context) {
      const reader = new NodeReader(context, type);
      reader.allowAttributes([]);
      const outputShape = reader.broadcast([reader.shape(0, 'A'), reader.shape(1, 'B')]);
      return { attributes: {} as SuffixOpAttributes[Op], outputShape };
    },
  };
}

/** ONNX Add: residual connections and biases. */
export const addDefinition = binaryOpDefinition('Add');
/** ONNX Sub: centring (LayerNormalization written out by hand). */
export const subDefinition = binaryOpDefinition('Sub');
/** ONNX Mul: scaling, gating. */
export const mulDefinition = binaryOpDefinition('Mul');
/** ONNX Div: attention's 1/sqrt(d) and hand-written normalisations. */
export const divDefinition = binaryOpDefinition('Div');
/** ONNX Pow: squares in hand-written variances, Gelu written out. */
export const powDefinition = binaryOpDefinition('Pow');
