import type { SuffixOpAttributes, SuffixOpType } from '@grace/core';
import { binaryHostOp } from './binary-ops.js';
import { concatOp } from './concat.js';
import { gatherOp } from './gather.js';
import { gemmOp } from './gemm.js';
import type { HostOp } from './host-tensor.js';
import { layerNormalizationOp } from './layer-normalization.js';
import { meanSquaredErrorLossOp, sigmoidCrossEntropyLossOp, softmaxCrossEntropyLossOp } from './loss-ops.js';
import { matMulOp } from './mat-mul.js';
import { reduceHostOp } from './reduce-ops.js';
import { reshapeOp } from './reshape.js';
import { softmaxHostOp } from './softmax.js';
import { transposeOp } from './transpose.js';
import { unaryHostOp } from './unary-ops.js';
import { isNaNOp, whereOp } from './where.js';

/** One host implementation per op of set v1: like core's `SuffixKernels`, a missing op does not compile. */
export type HostOps = { readonly [Op in SuffixOpType]: HostOp<SuffixOpAttributes[Op]> };

/** The reference implementations of op set v1 over host arrays. */
export const hostOps: HostOps = Object.freeze({
  MatMul: matMulOp,
  Gemm: gemmOp,
  Add: binaryHostOp('Add'),
  Sub: binaryHostOp('Sub'),
  Mul: binaryHostOp('Mul'),
  Div: binaryHostOp('Div'),
  Pow: binaryHostOp('Pow'),
  Relu: unaryHostOp('Relu'),
  Gelu: unaryHostOp('Gelu'),
  Tanh: unaryHostOp('Tanh'),
  Sigmoid: unaryHostOp('Sigmoid'),
  Sqrt: unaryHostOp('Sqrt'),
  Erf: unaryHostOp('Erf'),
  Identity: unaryHostOp('Identity'),
  Softmax: softmaxHostOp('Softmax'),
  LogSoftmax: softmaxHostOp('LogSoftmax'),
  LayerNormalization: layerNormalizationOp,
  ReduceMean: reduceHostOp('ReduceMean'),
  ReduceSum: reduceHostOp('ReduceSum'),
  Reshape: reshapeOp,
  Transpose: transposeOp,
  Gather: gatherOp,
  Concat: concatOp,
  Where: whereOp,
  IsNaN: isNaNOp,
  SoftmaxCrossEntropyLoss: softmaxCrossEntropyLossOp,
  SigmoidCrossEntropyLoss: sigmoidCrossEntropyLossOp,
  MeanSquaredErrorLoss: meanSquaredErrorLossOp,
});
