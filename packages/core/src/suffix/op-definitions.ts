import type { OpDefinitions } from './op-definition.js';
import {
  addDefinition,
  divDefinition,
  mulDefinition,
  powDefinition,
  subDefinition,
} from './ops/binary-ops.js';
import { concatDefinition } from './ops/concat.js';
import { gatherDefinition } from './ops/gather.js';
import { gemmDefinition } from './ops/gemm.js';
import { layerNormalizationDefinition } from './ops/layer-normalization.js';
import {
  meanSquaredErrorLossDefinition,
  sigmoidCrossEntropyLossDefinition,
  softmaxCrossEntropyLossDefinition,
} from './ops/loss-ops.js';
import { matMulDefinition } from './ops/mat-mul.js';
import { reduceMeanDefinition, reduceSumDefinition } from './ops/reduce-ops.js';
import { reshapeDefinition } from './ops/reshape.js';
import { logSoftmaxDefinition, softmaxDefinition } from './ops/softmax.js';
import { transposeDefinition } from './ops/transpose.js';
import {
  erfDefinition,
  geluDefinition,
  identityDefinition,
  reluDefinition,
  sigmoidDefinition,
  sqrtDefinition,
  tanhDefinition,
} from './ops/unary-ops.js';
import { isNaNDefinition, whereDefinition } from './ops/where.js';

/**
 * Core's definition of every op of set v1, as a plain object: the graph builder and the executor look ops up
 * here, and `OpDefinitions` makes a missing op a compile error. No registry, so nothing depends on import
 * order.
 */
export const opDefinitions: OpDefinitions = {
  MatMul: matMulDefinition,
  Gemm: gemmDefinition,
  Add: addDefinition,
  Sub: subDefinition,
  Mul: mulDefinition,
  Div: divDefinition,
  Pow: powDefinition,
  Relu: reluDefinition,
  Gelu: geluDefinition,
  Tanh: tanhDefinition,
  Sigmoid: sigmoidDefinition,
  Sqrt: sqrtDefinition,
  Erf: erfDefinition,
  Identity: identityDefinition,
  Softmax: softmaxDefinition,
  LogSoftmax: logSoftmaxDefinition,
  LayerNormalization: layerNormalizationDefinition,
  ReduceMean: reduceMeanDefinition,
  ReduceSum: reduceSumDefinition,
  Reshape: reshapeDefinition,
  Transpose: transposeDefinition,
  Gather: gatherDefinition,
  Concat: concatDefinition,
  Where: whereDefinition,
  IsNaN: isNaNDefinition,
  SoftmaxCrossEntropyLoss: softmaxCrossEntropyLossDefinition,
  SigmoidCrossEntropyLoss: sigmoidCrossEntropyLossDefinition,
  MeanSquaredErrorLoss: meanSquaredErrorLossDefinition,
};
