import type { OpDefinition } from '../op-definition.js';
import { NodeReader } from './node-reader.js';

/** Softmax and LogSoftmax along one axis (ONNX opset >= 13: `axis` defaults to -1, no flattening). */
function softmaxLikeDefinition<Op extends 'Softmax' | 'LogSoftmax'>(type: Op): OpDefinition<Op> {
  return {
    type,
    minimumInputs: 1,
    maximumInputs: 1,
    integerInputs: [],
    resolve(context) {
      const reader = new NodeReader(context, type);
      reader.allowAttributes(['axis']);
      const input = reader.shape(0, 'input');
      const axis = reader.axis('axis', reader.integer('axis', -1), input.length);
      return { attributes: { axis } as { axis: number }, outputShape: input };
    },
  };
}

/** ONNX Softmax: attention weights, class probabilities. */
export const softmaxDefinition = softmaxLikeDefinition('Softmax');
/** ONNX LogSoftmax: classifier heads exported with their log-probabilities. */
export const logSoftmaxDefinition = softmaxLikeDefinition('LogSoftmax');
