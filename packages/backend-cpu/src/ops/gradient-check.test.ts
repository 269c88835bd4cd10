import { SeededRandom, type SuffixOpType, suffixOpTypes } from '@grace/core';
import { describe, expect, it } from 'vitest';
import { hostOps } from './host-ops.js';
import type { HostOp, HostTensor } from './host-tensor.js';

/**
 * Every op's VJP against central finite differences of its own forward: for a random output weighting `w`,
 * `L(inputs) = Σ w ⊙ forward(inputs)` summed in float64, and `∂L/∂x_j ≈ (L(x_j + h) - L(x_j - h)) / (2h)`,
 * with the perturbed inputs rounded to float32 (the step used is the one actually taken).
 *
 * With h = 1e-2 the truncation error is ~1e-4 and float32 rounding of the outputs adds ~1e-5; a wrong VJP
 * (a missing term, a transposed product, a gradient not summed over a broadcast axis) is off by O(1).
 */
interface GradientCase {
  readonly type: SuffixOpType;
  readonly title: string;
  readonly attributes: unknown;
  readonly inputs: readonly (HostTensor | undefined)[];
  /** Inputs to check; the others (labels, absent inputs) are passed along only. */
  readonly needed: readonly boolean[];
  readonly outputShape?: readonly number[];
}

const random = new SeededRandom(20231101);
const step = 1e-2;
const tolerance = 2e-3;

function floats(shape: number[], minimum = -1, maximum = 1): HostTensor {
  const size = shape.reduce((product, dimension) => product * dimension, 1);
  return { data: random.floats(size, minimum, maximum), shape };
}

/** Values in ±[0.2, 1.5]: far from the kinks of Relu and the poles of Div. */
function awayFromZero(shape: number[]): HostTensor {
  const tensor = floats(shape, 0.2, 1.5);
  for (let element = 0; element < tensor.data.length; element++) {
    if (random.next() < 0.5) tensor.data[element] = -(tensor.data[element] as number);
  }
  return tensor;
}

const all = (count: number) => new Array<boolean>(count).fill(true);

const cases: GradientCase[] = [
  {
    type: 'MatMul',
    title: 'plain',
    attributes: {},
    inputs: [floats([3, 4]), floats([4, 2])],
    needed: all(2),
  },
  {
    type: 'MatMul',
    title: 'broadcast batch [2,1,2,3] x [3,3,2]',
    attributes: {},
    inputs: [floats([2, 1, 2, 3]), floats([3, 3, 2])],
    needed: all(2),
  },
  {
    type: 'Gemm',
    title: 'alpha, beta, C [3]',
    attributes: { alpha: 0.7, beta: 1.3, transA: false, transB: false },
    inputs: [floats([2, 4]), floats([4, 3]), floats([3])],
    needed: all(3),
  },
  {
    type: 'Gemm',
    title: 'transA, transB, C [2,1]',
    attributes: { alpha: -1.5, beta: 0.5, transA: true, transB: true },
    inputs: [floats([4, 2]), floats([3, 4]), floats([2, 1])],
    needed: all(3),
  },
  ...(['Add', 'Sub', 'Mul'] as const).map((type) => ({
    type,
    title: '[2,3] with [3]',
    attributes: {},
    inputs: [floats([2, 3]), floats([3])],
    needed: all(2),
  })),
  {
    type: 'Div',
    title: '[2,1] by [2,3]',
    attributes: {},
    inputs: [floats([2, 1]), awayFromZero([2, 3])],
    needed: all(2),
  },
  {
    type: 'Pow',
    title: 'positive base [2,3], exponent [3]',
    attributes: {},
    inputs: [floats([2, 3], 0.5, 2), floats([3], -1.5, 1.5)],
    needed: all(2),
  },
  { type: 'Relu', title: 'away from 0', attributes: {}, inputs: [awayFromZero([2, 5])], needed: all(1) },
  {
    type: 'Gelu',
    title: 'erf form',
    attributes: { approximate: 'none' },
    inputs: [floats([2, 5], -3, 3)],
    needed: all(1),
  },
  {
    type: 'Gelu',
    title: 'tanh form',
    attributes: { approximate: 'tanh' },
    inputs: [floats([2, 5], -3, 3)],
    needed: all(1),
  },
  { type: 'Tanh', title: 'random', attributes: {}, inputs: [floats([2, 5], -2, 2)], needed: all(1) },
  { type: 'Sigmoid', title: 'random', attributes: {}, inputs: [floats([2, 5], -3, 3)], needed: all(1) },
  { type: 'Sqrt', title: 'positive', attributes: {}, inputs: [floats([2, 5], 0.5, 3)], needed: all(1) },
  { type: 'Erf', title: 'signed', attributes: {}, inputs: [floats([2, 5], -3, 3)], needed: all(1) },
  { type: 'Identity', title: 'random', attributes: {}, inputs: [floats([2, 5])], needed: all(1) },
  {
    type: 'Softmax',
    title: 'inner axis of [2,3,4]',
    attributes: { axis: 1 },
    inputs: [floats([2, 3, 4], -2, 2)],
    needed: all(1),
  },
  {
    type: 'LogSoftmax',
    title: 'last axis',
    attributes: { axis: 2 },
    inputs: [floats([2, 3, 4], -2, 2)],
    needed: all(1),
  },
  {
    type: 'LayerNormalization',
    title: 'axis 1 of [2,3,4], Scale [4], B [3,1]',
    attributes: { axis: 1, epsilon: 1e-5 },
    inputs: [floats([2, 3, 4], -2, 2), floats([4], 0.5, 2), floats([3, 1])],
    needed: all(3),
  },
  {
    type: 'LayerNormalization',
    title: 'last axis, no B',
    attributes: { axis: 1, epsilon: 1e-3 },
    inputs: [floats([3, 5], -2, 2), floats([5], 0.5, 2), undefined],
    needed: [true, true, false],
  },
  {
    type: 'ReduceMean',
    title: 'axes [0,2]',
    attributes: { axes: [0, 2], keepDims: false },
    inputs: [floats([2, 3, 4])],
    needed: all(1),
  },
  {
    type: 'ReduceSum',
    title: 'axis 1, keepDims',
    attributes: { axes: [1], keepDims: true },
    inputs: [floats([2, 3, 4])],
    needed: all(1),
  },
  {
    type: 'Reshape',
    title: '[2,3,4] to [4,6]',
    attributes: {},
    inputs: [floats([2, 3, 4])],
    needed: all(1),
    outputShape: [4, 6],
  },
  {
    type: 'Transpose',
    title: 'perm [2,0,1]',
    attributes: { perm: [2, 0, 1] },
    inputs: [floats([2, 3, 4])],
    needed: all(1),
  },
  {
    type: 'Gather',
    title: 'axis 1, a repeated and a negative index',
    attributes: { axis: 1 },
    inputs: [floats([2, 4, 3]), { data: Int32Array.from([1, -1, 1]), shape: [3] }],
    needed: [true, false],
    outputShape: [2, 3, 3],
  },
  {
    type: 'Concat',
    title: 'three inputs along the middle axis',
    attributes: { axis: 1 },
    inputs: [floats([2, 3, 2]), floats([2, 1, 2]), floats([2, 2, 2])],
    needed: [true, false, true],
    outputShape: [2, 6, 2],
  },
  {
    type: 'Where',
    title: 'a [2,1,3] mask over [2,4,3] scores and a scalar',
    attributes: {},
    inputs: [
      { data: Float32Array.from([1, 0, 1, 0, 0, 1]), shape: [2, 1, 3] },
      floats([2, 4, 3]),
      { data: Float32Array.of(-3), shape: [] },
    ],
    needed: [false, true, true],
    outputShape: [2, 4, 3],
  },
  {
    type: 'IsNaN',
    title: 'finite values (the mask is constant around them)',
    attributes: {},
    inputs: [floats([2, 3])],
    needed: [true],
    outputShape: [2, 3],
  },
  {
    type: 'SoftmaxCrossEntropyLoss',
    title: 'mean, one row ignored',
    attributes: { reduction: 'mean', ignoreIndex: -1 },
    inputs: [floats([4, 3], -2, 2), { data: Int32Array.from([2, -1, 0, 1]), shape: [4] }],
    needed: [true, false],
  },
  {
    type: 'SoftmaxCrossEntropyLoss',
    title: 'sum',
    attributes: { reduction: 'sum', ignoreIndex: null },
    inputs: [floats([3, 4], -2, 2), { data: Int32Array.from([3, 0, 1]), shape: [3] }],
    needed: [true, false],
  },
  {
    type: 'SigmoidCrossEntropyLoss',
    title: 'mean',
    attributes: { reduction: 'mean' },
    inputs: [floats([2, 3], -3, 3), floats([2, 3], 0, 1)],
    needed: all(2),
  },
  {
    type: 'MeanSquaredErrorLoss',
    title: 'sum',
    attributes: { reduction: 'sum' },
    inputs: [floats([2, 3]), floats([2, 3])],
    needed: all(2),
  },
];

function opOf(type: SuffixOpType): HostOp<unknown> {
  return hostOps[type] as HostOp<unknown>;
}

describe('every VJP agrees with finite differences of its forward', () => {
  it('covers every op of set v1', () => {
    expect(new Set(cases.map((testCase) => testCase.type))).toEqual(new Set(suffixOpTypes));
  });

  it.each(cases.map((testCase) => [`${testCase.type} (${testCase.title})`, testCase] as const))(
    '%s',
    (_, testCase) => {
      const op = opOf(testCase.type);
      const outputShape = testCase.outputShape ?? [];
      const output = op.forward(testCase.inputs, testCase.attributes, outputShape);
      const weights: HostTensor<Float32Array> = {
        data: random.floats(output.data.length),
        shape: output.shape,
      };
      const objective = (inputs: readonly (HostTensor | undefined)[]): number => {
        const values = op.forward(inputs, testCase.attributes, outputShape).data;
        let sum = 0;
        for (let element = 0; element < values.length; element++) {
          sum += (values[element] as number) * (weights.data[element] as number);
        }
        return sum;
      };
      const gradients = op.gradient({
        inputs: testCase.inputs,
        output,
        outputGradient: weights,
        attributes: testCase.attributes,
        needed: testCase.needed,
      });
      testCase.inputs.forEach((input, index) => {
        const gradient = gradients[index];
        if (!testCase.needed[index] || input === undefined) {
          expect(gradient).toBeUndefined();
          return;
        }
        expect(gradient?.shape).toEqual(input.shape);
        for (let element = 0; element < input.data.length; element++) {
          const original = input.data[element] as number;
          const perturbed = (value: number) => {
            const data = Float32Array.from(input.data);
            data[element] = value;
            const inputs = [...testCase.inputs];
            inputs[index] = { data, shape: input.shape };
            return inputs;
          };
          const above = Math.fround(original + step);
          const below = Math.fround(original - step);
          const numeric = (objective(perturbed(above)) - objective(perturbed(below))) / (above - below);
          const analytic = gradient?.data[element] as number;
          expect(Math.abs(analytic - numeric), `input ${index} element ${element}`).toBeLessThanOrEqual(
            tolerance * Math.max(1, Math.abs(numeric)),
          );
        }
      });
    },
  );
});
