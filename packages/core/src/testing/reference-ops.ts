import type { SuffixOpAttributes, SuffixOpType } from '../suffix/op-types.js';
import type { Shape } from '../tensor.js';
import type { ReferenceArray } from './reference-kernels.js';
import {
  type ReferenceResult,
  referenceBinary,
  referenceIsNaN,
  referenceUnary,
  referenceWhere,
} from './reference-ops/reference-elementwise.js';
import {
  referenceConcat,
  referenceGather,
  referenceReduce,
  referenceReshape,
  referenceTranspose,
} from './reference-ops/reference-layout.js';
import { referenceGemm, referenceMatMul } from './reference-ops/reference-linear.js';
import {
  referenceMeanSquaredErrorLoss,
  referenceSigmoidCrossEntropyLoss,
  referenceSoftmaxCrossEntropyLoss,
} from './reference-ops/reference-losses.js';
import {
  referenceLayerNormalization,
  referenceLogSoftmax,
  referenceSoftmax,
} from './reference-ops/reference-normalization.js';

/**
 * The float64 forward of one op, called like a backend kernel (inputs in ONNX order, `undefined` for an
 * absent optional input, resolved attributes, the resolved output shape) but over host arrays.
 */
export type ReferenceOp<Op extends SuffixOpType> = (
  inputs: readonly (ReferenceArray | undefined)[],
  attributes: SuffixOpAttributes[Op],
  outputShape: Shape,
) => ReferenceResult;

/** One float64 reference per op of set v1; a missing op does not compile. */
export type ReferenceOps = { readonly [Op in SuffixOpType]: ReferenceOp<Op> };

function required(inputs: readonly (ReferenceArray | undefined)[], index: number): ReferenceArray {
  const input = inputs[index];
  if (input === undefined) throw new RangeError(`reference op: input ${index} is required`);
  return input;
}

/**
 * The oracle of the op conformance cases: every op's forward written from the ONNX definitions in float64,
 * independent of any backend, so that finite differences of it give the expected gradients too.
 */
export const referenceOps: ReferenceOps = {
  MatMul: (inputs) => referenceMatMul(required(inputs, 0), required(inputs, 1)),
  Gemm: (inputs, attributes) =>
    referenceGemm(required(inputs, 0), required(inputs, 1), inputs[2], attributes),
  Add: (inputs) => referenceBinary('Add', required(inputs, 0), required(inputs, 1)),
  Sub: (inputs) => referenceBinary('Sub', required(inputs, 0), required(inputs, 1)),
  Mul: (inputs) => referenceBinary('Mul', required(inputs, 0), required(inputs, 1)),
  Div: (inputs) => referenceBinary('Div', required(inputs, 0), required(inputs, 1)),
  Pow: (inputs) => referenceBinary('Pow', required(inputs, 0), required(inputs, 1)),
  Relu: (inputs) => referenceUnary('Relu', required(inputs, 0)),
  Gelu: (inputs, attributes) =>
    referenceUnary(attributes.approximate === 'tanh' ? 'GeluTanh' : 'GeluErf', required(inputs, 0)),
  Tanh: (inputs) => referenceUnary('Tanh', required(inputs, 0)),
  Sigmoid: (inputs) => referenceUnary('Sigmoid', required(inputs, 0)),
  Sqrt: (inputs) => referenceUnary('Sqrt', required(inputs, 0)),
  Erf: (inputs) => referenceUnary('Erf', required(inputs, 0)),
  Identity: (inputs) => referenceUnary('Identity', required(inputs, 0)),
  Softmax: (inputs, attributes) => referenceSoftmax(required(inputs, 0), attributes.axis),
  LogSoftmax: (inputs, attributes) => referenceLogSoftmax(required(inputs, 0), attributes.axis),
  LayerNormalization: (inputs, attributes) =>
    referenceLayerNormalization(required(inputs, 0), required(inputs, 1), inputs[2], attributes),
  ReduceMean: (inputs, attributes) => referenceReduce('ReduceMean', required(inputs, 0), attributes),
  ReduceSum: (inputs, attributes) => referenceReduce('ReduceSum', required(inputs, 0), attributes),
  Reshape: (inputs, _attributes, outputShape) => referenceReshape(required(inputs, 0), outputShape),
  Transpose: (inputs, attributes) => referenceTranspose(required(inputs, 0), attributes.perm),
  Gather: (inputs, attributes) => referenceGather(required(inputs, 0), required(inputs, 1), attributes.axis),
  Concat: (inputs, attributes) =>
    referenceConcat(
      inputs.map((_, index) => required(inputs, index)),
      attributes.axis,
    ),
  Where: (inputs) => referenceWhere(required(inputs, 0), required(inputs, 1), required(inputs, 2)),
  IsNaN: (inputs) => referenceIsNaN(required(inputs, 0)),
  SoftmaxCrossEntropyLoss: (inputs, attributes) =>
    referenceSoftmaxCrossEntropyLoss(required(inputs, 0), required(inputs, 1).data, attributes),
  SigmoidCrossEntropyLoss: (inputs, attributes) =>
    referenceSigmoidCrossEntropyLoss(required(inputs, 0), required(inputs, 1), attributes),
  MeanSquaredErrorLoss: (inputs, attributes) =>
    referenceMeanSquaredErrorLoss(required(inputs, 0), required(inputs, 1), attributes),
};

export type { ReferenceResult } from './reference-ops/reference-elementwise.js';
