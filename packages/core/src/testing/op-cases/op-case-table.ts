import type { SuffixOpType } from '../../suffix/op-types.js';
import type { AttributeValue } from '../../suffix/suffix-graph.js';
import type { Shape } from '../../tensor.js';

/**
 * How a float input's values are drawn. Each op's domain and kinks decide: Sqrt and Pow's base need positive
 * inputs, Relu inputs stay away from 0 (so that finite differences never straddle the kink), Div's
 * denominator stays away from 0, LayerNormalization is also run on a tiny spread, where epsilon matters.
 */
export type OpInputValues =
  /** uniform in [-2, 2) */
  | 'signed'
  /** uniform in [-6, 6): saturating Sigmoid, Tanh, Gelu */
  | 'wide'
  /** uniform in [0.5, 2) */
  | 'positive'
  /** magnitude uniform in [0.1, 2), random sign */
  | 'awayFromZero'
  /** uniform in [-0.01, 0.01) */
  | 'tiny'
  /** uniform in [0, 1): targets of the sigmoid cross-entropy */
  | 'unit'
  /** 0 or 1, as likely: a Where condition (any step of a finite difference keeps 0 ± h and 1 ± h true) */
  | 'flags'
  /** signed, with NaN, +Infinity and -Infinity among them: IsNaN */
  | 'withNaN';

/** A float input of a case. */
export interface OpCaseFloatInput {
  readonly shape: Shape;
  /** `signed` when absent. */
  readonly values?: OpInputValues;
}

/** An int32 class-id input `[N]` (SoftmaxCrossEntropyLoss's labels). */
export interface OpCaseLabelsInput {
  readonly shape: Shape;
  readonly labels: {
    readonly classes: number;
    /** Rows whose label is replaced by `ignoredLabel`. */
    readonly ignoredRows?: readonly number[];
    readonly ignoredLabel?: number;
  };
}

/** One row of the table: an op applied to inputs of given shapes, as an ONNX node would apply it. */
export interface OpCaseSpec {
  readonly op: SuffixOpType;
  /** Unique per op; becomes the case name. */
  readonly name: string;
  /** In ONNX order; `null` is an absent optional input (`''` in the graph), passed as `undefined`. */
  readonly inputs: readonly (OpCaseFloatInput | OpCaseLabelsInput | null)[];
  /** Raw ONNX attributes, resolved by core's op definition exactly as the executor resolves a node. */
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
}

const input = (shape: Shape, values?: OpInputValues): OpCaseFloatInput =>
  values === undefined ? { shape } : { shape, values };

/** Binary-op shapes: equal, trailing broadcast, both sides broadcast, rank growth, a scalar. */
const binaryShapes: readonly [string, Shape, Shape][] = [
  ['[2,3] with [2,3]', [2, 3], [2, 3]],
  ['[2,3,4] with [4]', [2, 3, 4], [4]],
  ['[3,1] with [1,4]', [3, 1], [1, 4]],
  ['[2,1,4] with [3,1]', [2, 1, 4], [3, 1]],
  ['[2,3] with scalar []', [2, 3], []],
  ['[1] with [2,2]', [1], [2, 2]],
];

const binaryValues: Record<'Add' | 'Sub' | 'Mul' | 'Div' | 'Pow', [OpInputValues, OpInputValues]> = {
  Add: ['signed', 'signed'],
  Sub: ['signed', 'signed'],
  Mul: ['signed', 'signed'],
  Div: ['signed', 'awayFromZero'],
  Pow: ['positive', 'signed'],
};

const binaryCases: OpCaseSpec[] = (['Add', 'Sub', 'Mul', 'Div', 'Pow'] as const).flatMap((op) =>
  binaryShapes.map(([name, left, right]) => ({
    op,
    name,
    inputs: [input(left, binaryValues[op][0]), input(right, binaryValues[op][1])],
  })),
);

const reduceCases: OpCaseSpec[] = (['ReduceMean', 'ReduceSum'] as const).flatMap((op): OpCaseSpec[] => [
  { op, name: '[2,3,4] axes [1] keepdims', inputs: [input([2, 3, 4])], attributes: { axes: [1] } },
  {
    op,
    name: '[2,3,4] axes [1] no keepdims',
    inputs: [input([2, 3, 4])],
    attributes: { axes: [1], keepdims: 0 },
  },
  {
    op,
    name: '[2,3,4] axes [0,2] no keepdims',
    inputs: [input([2, 3, 4])],
    attributes: { axes: [0, 2], keepdims: 0 },
  },
  { op, name: '[2,3,4] axes [2,-3] keepdims', inputs: [input([2, 3, 4])], attributes: { axes: [2, -3] } },
  { op, name: '[3,5] axes [-1] keepdims', inputs: [input([3, 5])], attributes: { axes: [-1], keepdims: 1 } },
  { op, name: '[2,3,2] all axes no keepdims', inputs: [input([2, 3, 2])], attributes: { keepdims: 0 } },
  { op, name: '[2,3] all axes keepdims', inputs: [input([2, 3])] },
]);

/**
 * The data-driven op cases: every op of set v1 on several small shapes, chosen to reach each code path of a
 * kernel (broadcasting in both directions, each Gemm flag and C layout, each axis), small enough that the
 * finite-difference gradients of all of them run in well under a second.
 */
export const opCaseTable: readonly OpCaseSpec[] = [
  { op: 'MatMul', name: '[3,4] x [4,5]', inputs: [input([3, 4]), input([4, 5])] },
  { op: 'MatMul', name: '[2,3,4] x [2,4,3]', inputs: [input([2, 3, 4]), input([2, 4, 3])] },
  { op: 'MatMul', name: '[2,3,4,5] x [5,6]', inputs: [input([2, 3, 4, 5]), input([5, 6])] },
  { op: 'MatMul', name: '[3,1,4,5] x [2,5,6]', inputs: [input([3, 1, 4, 5]), input([2, 5, 6])] },
  { op: 'MatMul', name: '[4,5] x [2,5,3]', inputs: [input([4, 5]), input([2, 5, 3])] },
  { op: 'MatMul', name: '[1,4] x [4,1]', inputs: [input([1, 4]), input([4, 1])] },

  { op: 'Gemm', name: 'C [N]', inputs: [input([3, 4]), input([4, 5]), input([5])] },
  {
    op: 'Gemm',
    name: 'transA, C [M,N]',
    inputs: [input([4, 3]), input([4, 5]), input([3, 5])],
    attributes: { transA: 1 },
  },
  {
    op: 'Gemm',
    name: 'transB, C [1,1]',
    inputs: [input([3, 4]), input([5, 4]), input([1, 1])],
    attributes: { transB: 1 },
  },
  {
    op: 'Gemm',
    name: 'transA and transB, no C',
    inputs: [input([4, 3]), input([5, 4])],
    attributes: { transA: 1, transB: 1 },
  },
  {
    op: 'Gemm',
    name: 'alpha 0.5, beta 2, C [M,1]',
    inputs: [input([3, 4]), input([4, 5]), input([3, 1])],
    attributes: { alpha: 0.5, beta: 2 },
  },
  {
    op: 'Gemm',
    name: 'beta 0.5, C scalar []',
    inputs: [input([2, 3]), input([3, 2]), input([])],
    attributes: { beta: 0.5 },
  },
  {
    op: 'Gemm',
    name: 'alpha 1.5, C given as absent',
    inputs: [input([2, 3]), input([3, 4]), null],
    attributes: { alpha: 1.5 },
  },

  ...binaryCases,

  { op: 'Relu', name: '[2,3,4]', inputs: [input([2, 3, 4], 'awayFromZero')] },
  { op: 'Tanh', name: '[3,5]', inputs: [input([3, 5], 'wide')] },
  { op: 'Sigmoid', name: '[3,5]', inputs: [input([3, 5], 'wide')] },
  { op: 'Sqrt', name: '[3,4]', inputs: [input([3, 4], 'positive')] },
  { op: 'Erf', name: '[3,6] wide', inputs: [input([3, 6], 'wide')] },
  { op: 'Erf', name: '[2,5] signed', inputs: [input([2, 5])] },
  { op: 'Identity', name: '[2,3]', inputs: [input([2, 3])] },
  { op: 'Gelu', name: 'erf [3,6]', inputs: [input([3, 6], 'wide')] },
  { op: 'Gelu', name: 'erf [2,5] signed', inputs: [input([2, 5])], attributes: { approximate: 'none' } },
  { op: 'Gelu', name: 'tanh [3,6]', inputs: [input([3, 6], 'wide')], attributes: { approximate: 'tanh' } },

  { op: 'Softmax', name: '[4,6] default axis', inputs: [input([4, 6], 'wide')] },
  { op: 'Softmax', name: '[3,4] axis 0', inputs: [input([3, 4])], attributes: { axis: 0 } },
  { op: 'Softmax', name: '[2,3,4] axis 1', inputs: [input([2, 3, 4])], attributes: { axis: 1 } },
  { op: 'Softmax', name: '[2,3,5] axis -1', inputs: [input([2, 3, 5])], attributes: { axis: -1 } },
  { op: 'LogSoftmax', name: '[3,5] default axis', inputs: [input([3, 5], 'wide')] },
  { op: 'LogSoftmax', name: '[4,3] axis 0', inputs: [input([4, 3])], attributes: { axis: 0 } },
  { op: 'LogSoftmax', name: '[2,3,4] axis 1', inputs: [input([2, 3, 4])], attributes: { axis: 1 } },

  {
    op: 'LayerNormalization',
    name: '[2,3,8] axis -1 with B',
    inputs: [input([2, 3, 8]), input([8]), input([8])],
  },
  {
    op: 'LayerNormalization',
    name: '[2,3,4] axis -2 with B',
    inputs: [input([2, 3, 4]), input([3, 4]), input([3, 4])],
    attributes: { axis: -2 },
  },
  { op: 'LayerNormalization', name: '[4,6] axis -1 without B', inputs: [input([4, 6]), input([6])] },
  {
    op: 'LayerNormalization',
    name: '[2,3,4] axis 1, B given as absent',
    inputs: [input([2, 3, 4]), input([3, 4]), null],
    attributes: { axis: 1 },
  },
  {
    op: 'LayerNormalization',
    name: '[3,8] tiny spread, where epsilon matters',
    inputs: [input([3, 8], 'tiny'), input([8]), input([8])],
  },
  {
    op: 'LayerNormalization',
    name: '[2,5] epsilon 0.1, Scale [1,5]',
    inputs: [input([2, 5]), input([1, 5]), input([5])],
    attributes: { epsilon: 0.1 },
  },

  ...reduceCases,

  { op: 'Reshape', name: '[2,3,4] to [0,-1]', inputs: [input([2, 3, 4])], attributes: { shape: [0, -1] } },
  { op: 'Reshape', name: '[2,3,4] to [4,0,2]', inputs: [input([2, 3, 4])], attributes: { shape: [4, 0, 2] } },
  { op: 'Reshape', name: '[6,4] to [2,-1,4]', inputs: [input([6, 4])], attributes: { shape: [2, -1, 4] } },
  { op: 'Reshape', name: '[2,3,4] to [-1]', inputs: [input([2, 3, 4])], attributes: { shape: [-1] } },

  {
    op: 'Transpose',
    name: '[2,3,4] perm [0,2,1]',
    inputs: [input([2, 3, 4])],
    attributes: { perm: [0, 2, 1] },
  },
  {
    op: 'Transpose',
    name: '[2,3,4] perm [2,0,1]',
    inputs: [input([2, 3, 4])],
    attributes: { perm: [2, 0, 1] },
  },
  {
    op: 'Transpose',
    name: '[2,3,4] perm [1,2,0]',
    inputs: [input([2, 3, 4])],
    attributes: { perm: [1, 2, 0] },
  },
  { op: 'Transpose', name: '[2,3,4] default perm', inputs: [input([2, 3, 4])] },
  { op: 'Transpose', name: '[3,5] default perm', inputs: [input([3, 5])] },

  {
    op: 'Gather',
    name: '[2,5,3] token 3 along axis 1 (a scalar index)',
    inputs: [input([2, 5, 3]), { shape: [], labels: { classes: 5 } }],
    attributes: { axis: 1 },
  },
  {
    op: 'Gather',
    name: '[4,3] rows [6] along axis 0, repeated rows accumulate',
    inputs: [input([4, 3]), { shape: [6], labels: { classes: 4 } }],
  },
  {
    op: 'Gather',
    name: '[2,5,3] indices [2,2] along axis 1',
    inputs: [input([2, 5, 3]), { shape: [2, 2], labels: { classes: 5 } }],
    attributes: { axis: 1 },
  },
  {
    op: 'Gather',
    name: '[3,4] axis -1, index -1 counts from the end',
    inputs: [input([3, 4]), { shape: [3], labels: { classes: 4, ignoredRows: [1], ignoredLabel: -1 } }],
    attributes: { axis: -1 },
  },
  {
    op: 'Where',
    name: '[2,3] condition, X and Y of one shape',
    inputs: [input([2, 3], 'flags'), input([2, 3]), input([2, 3])],
  },
  {
    op: 'Where',
    name: '[1,3] condition, X [2,3], scalar Y',
    inputs: [input([1, 3], 'flags'), input([2, 3]), input([])],
  },
  {
    op: 'Where',
    name: 'attention mask [2,1,3,3] over scores [2,4,3,3], scalar X',
    inputs: [input([2, 1, 3, 3], 'flags'), input([]), input([2, 4, 3, 3])],
  },
  { op: 'IsNaN', name: '[3,4] with NaN and infinities', inputs: [input([3, 4], 'withNaN')] },
  { op: 'IsNaN', name: '[5] finite', inputs: [input([5])] },
  {
    op: 'Concat',
    name: '[2,3] [2,4] [2,1] axis -1',
    inputs: [input([2, 3]), input([2, 4]), input([2, 1])],
    attributes: { axis: -1 },
  },
  {
    op: 'Concat',
    name: '[2,3,4] [2,1,4] axis 1',
    inputs: [input([2, 3, 4]), input([2, 1, 4])],
    attributes: { axis: 1 },
  },
  {
    op: 'Concat',
    name: '[1,5] [3,5] axis 0',
    inputs: [input([1, 5]), input([3, 5])],
    attributes: { axis: 0 },
  },
  { op: 'Concat', name: '[2,3] alone axis 1', inputs: [input([2, 3])], attributes: { axis: 1 } },

  {
    op: 'SoftmaxCrossEntropyLoss',
    name: '[4,5] mean',
    inputs: [input([4, 5], 'wide'), { shape: [4], labels: { classes: 5 } }],
  },
  {
    op: 'SoftmaxCrossEntropyLoss',
    name: '[3,4] sum',
    inputs: [input([3, 4]), { shape: [3], labels: { classes: 4 } }],
    attributes: { reduction: 'sum' },
  },
  {
    op: 'SoftmaxCrossEntropyLoss',
    name: '[4,3] mean, row 1 ignored',
    inputs: [input([4, 3]), { shape: [4], labels: { classes: 3, ignoredRows: [1], ignoredLabel: -100 } }],
    attributes: { ignore_index: -100 },
  },
  {
    op: 'SoftmaxCrossEntropyLoss',
    name: '[4,3] sum, rows 0 and 3 ignored with a class id',
    inputs: [input([4, 3]), { shape: [4], labels: { classes: 3, ignoredRows: [0, 3], ignoredLabel: 2 } }],
    attributes: { ignore_index: 2, reduction: 'sum' },
  },
  {
    op: 'SoftmaxCrossEntropyLoss',
    name: '[1,6] one row',
    inputs: [input([1, 6]), { shape: [1], labels: { classes: 6 } }],
  },

  {
    op: 'SigmoidCrossEntropyLoss',
    name: '[3,4] mean',
    inputs: [input([3, 4], 'wide'), input([3, 4], 'unit')],
  },
  {
    op: 'SigmoidCrossEntropyLoss',
    name: '[2,3] sum',
    inputs: [input([2, 3]), input([2, 3], 'unit')],
    attributes: { reduction: 'sum' },
  },
  { op: 'MeanSquaredErrorLoss', name: '[3,4] mean', inputs: [input([3, 4]), input([3, 4])] },
  {
    op: 'MeanSquaredErrorLoss',
    name: '[5] sum',
    inputs: [input([5]), input([5])],
    attributes: { reduction: 'sum' },
  },
];
