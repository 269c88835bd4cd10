import type { OpDefinition } from '../op-definition.js';
import type { SuffixOpAttributes } from '../op-types.js';
import { NodeReader } from './node-reader.js';

type PlainUnaryOpType = 'Relu' | 'Tanh' | 'Sigmoid' | 'Sqrt' | 'Identity' | 'Erf';

/** The element-wise unary ops without attributes: one input, output shaped like it. */
function unaryOpDefinition<Op extends PlainUnaryOpType>(type: Op): OpDefinition<Op> {
  return {
    type,
    minimumInputs: 1,
    maximumInputs: 1,
    integerInputs: [],
    resolve(context) {
      const reader = new NodeReader(context, type);
      reader.allowAttributes([]);
      return { attributes: {} as SuffixOpAttributes[Op], outputShape: reader.shape(0, 'X') };
    },
  };
}

/** ONNX Relu: the MLP activation. */
export const reluDefinition = unaryOpDefinition('Relu');
/** ONNX Tanh: pooler activations (the Universal Sentence Encoder's dense head). */
export const tanhDefinition = unaryOpDefinition('Tanh');
/** ONNX Sigmoid: gates and binary heads. */
export const sigmoidDefinition = unaryOpDefinition('Sigmoid');
/** ONNX Sqrt: hand-written normalisations (L2 norm, variance). */
export const sqrtDefinition = unaryOpDefinition('Sqrt');
/** ONNX Erf: the exact Gelu as exporters write it out (`x/2 · (1 + erf(x/√2))`, BERT's intermediate layer). */
export const erfDefinition = unaryOpDefinition('Erf');
/** ONNX Identity: what exporters leave behind; kept so that imported graphs need no rewriting. */
export const identityDefinition = unaryOpDefinition('Identity');

/** ONNX Gelu (opset 20): the transformer feed-forward activation, exact (erf) or tanh-approximated. */
export const geluDefinition: OpDefinition<'Gelu'> = {
  type: 'Gelu',
  minimumInputs: 1,
  maximumInputs: 1,
  integerInputs: [],
  resolve(context) {
    const reader = new NodeReader(context, 'Gelu');
    reader.allowAttributes(['approximate']);
    const approximate = reader.choice('approximate', ['none', 'tanh'], 'none');
    return { attributes: { approximate }, outputShape: reader.shape(0, 'X') };
  },
};
