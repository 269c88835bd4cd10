/**
 * The op set v1 of the suffix graph: the part of a model after the edited layer, which value training must
 * differentiate on every backend. Ops follow ONNX semantics so that an ONNX graph maps onto them directly;
 * the three losses that ONNX lacks live in the `grace` domain.
 *
 * This file is the single place where op names and their resolved attributes are declared (as TensorFlow.js
 * declares kernel names in one place): core's op definitions fill in defaults and validate, backends receive
 * these resolved attributes and never see raw ONNX attributes.
 */

/** Reduction of a loss over its elements. */
export type LossReduction = 'mean' | 'sum';

/** Resolved attributes of each op, as a backend kernel receives them. Axes are non-negative. */
export interface SuffixOpAttributes {
  /** numpy matmul on `[..., M, K] x [..., K, N]`, leading dims broadcast; both operands rank >= 2. */
  MatMul: Record<string, never>;
  /** `alpha * op(A) op(B) + beta * C`, A and B rank 2, C (optional) broadcast to `[M, N]`. */
  Gemm: { readonly alpha: number; readonly beta: number; readonly transA: boolean; readonly transB: boolean };
  /** Element-wise with multidirectional (numpy) broadcasting. */
  Add: Record<string, never>;
  Sub: Record<string, never>;
  Mul: Record<string, never>;
  Div: Record<string, never>;
  /** `base ^ exponent`, broadcast. */
  Pow: Record<string, never>;
  Relu: Record<string, never>;
  /** `approximate: 'none'` is the erf form, `'tanh'` the tanh approximation (ONNX Gelu-20). */
  Gelu: { readonly approximate: 'none' | 'tanh' };
  Tanh: Record<string, never>;
  Sigmoid: Record<string, never>;
  Sqrt: Record<string, never>;
  /** The error function. */
  Erf: Record<string, never>;
  Identity: Record<string, never>;
  /** Along one axis (ONNX opset >= 13 semantics). */
  Softmax: { readonly axis: number };
  LogSoftmax: { readonly axis: number };
  /** Normalises over axes `axis .. rank-1`; inputs X, Scale, optional B (broadcast over the normalised axes). */
  LayerNormalization: { readonly axis: number; readonly epsilon: number };
  /** `axes` sorted, unique; never empty here (core resolves "all axes" and the no-op case). */
  ReduceMean: { readonly axes: readonly number[]; readonly keepDims: boolean };
  ReduceSum: { readonly axes: readonly number[]; readonly keepDims: boolean };
  /** The output shape is resolved by core (0 and -1 of ONNX already replaced) and passed to the kernel. */
  Reshape: Record<string, never>;
  /** A permutation of the input's axes. */
  Transpose: { readonly perm: readonly number[] };
  /** Joins its inputs along `axis` (non-negative); all other dimensions agree. */
  Concat: { readonly axis: number };
  /**
   * Entries of float `data` along `axis` picked by int32 `indices` in `[-n, n)` (negative from the end);
   * output `data.shape[:axis] + indices.shape + data.shape[axis+1:]`.
   */
  Gather: { readonly axis: number };
  /** `condition ? X : Y`, broadcast; the float condition is true where non-zero; no gradient for it. */
  Where: Record<string, never>;
  /** 1 where the input is NaN, else 0 (float32); zero gradient. */
  IsNaN: Record<string, never>;
  /**
   * ONNX SoftmaxCrossEntropyLoss: scores `[N, C]`, int32 labels `[N]`; rows whose label equals `ignoreIndex`
   * count neither in the sum nor in the mean's denominator; with `mean` and every row ignored the loss is 0
   * (ONNX's reference gives 0/0 = NaN, which would poison training). Output: a scalar `[]`.
   */
  SoftmaxCrossEntropyLoss: { readonly reduction: LossReduction; readonly ignoreIndex: number | null };
  /** grace.SigmoidCrossEntropyLoss: logits and float targets of one shape → scalar `[]`. */
  SigmoidCrossEntropyLoss: { readonly reduction: LossReduction };
  /** grace.MeanSquaredErrorLoss: predictions and targets of one shape → scalar `[]`. */
  MeanSquaredErrorLoss: { readonly reduction: LossReduction };
}

/** The name of an op of set v1. */
export type SuffixOpType = keyof SuffixOpAttributes;

/** Every op of set v1, in a stable order (documentation, tests, error messages). */
export const suffixOpTypes: readonly SuffixOpType[] = Object.freeze([
  'MatMul',
  'Gemm',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Relu',
  'Gelu',
  'Tanh',
  'Sigmoid',
  'Sqrt',
  'Erf',
  'Identity',
  'Softmax',
  'LogSoftmax',
  'LayerNormalization',
  'ReduceMean',
  'ReduceSum',
  'Reshape',
  'Transpose',
  'Gather',
  'Concat',
  'Where',
  'IsNaN',
  'SoftmaxCrossEntropyLoss',
  'SigmoidCrossEntropyLoss',
  'MeanSquaredErrorLoss',
]);
