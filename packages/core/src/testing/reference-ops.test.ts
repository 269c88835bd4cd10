import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../random.js';
import { opDefinitions } from '../suffix/op-definitions.js';
import { finiteDifferenceGradient } from './op-cases/finite-difference.js';
import { opCaseTable } from './op-cases/op-case-table.js';
import { prepareOpCase, referenceInputs } from './op-cases/prepare-op-case.js';
import type { ReferenceArray } from './reference-kernels.js';
import { referenceErf } from './reference-ops/reference-erf.js';
import { referenceOps } from './reference-ops.js';

const attributesOf = <Op extends keyof typeof opDefinitions>(op: Op, shapes: number[][], raw = {}) =>
  opDefinitions[op].resolve({
    nodeName: 'test',
    inputShapes: shapes,
    inputDtypes: shapes.map(() => 'float32'),
    attributes: raw,
  }).attributes;

function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  for (let index = 0; index < expected.length; index++) {
    const difference = Math.abs((actual[index] as number) - (expected[index] as number));
    if (difference > tolerance * Math.max(1, Math.abs(expected[index] as number))) {
      expect.fail(`[${index}]: ${actual[index]} vs ${expected[index]} (difference ${difference})`);
    }
  }
}

describe('referenceErf', () => {
  it('matches tabulated values to about 1e-15, odd, saturating', () => {
    const table: [number, number][] = [
      [0, 0],
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [2.9, 0.9999589021219005],
      [3, 0.9999779095030014],
      [4, 0.9999999845827421],
      [6, 1],
    ];
    for (const [x, value] of table) {
      expect(Math.abs(referenceErf(x) - value)).toBeLessThan(2e-15);
      expect(referenceErf(-x) + referenceErf(x)).toBe(0);
    }
    expect(Math.abs(1 - referenceErf(4) - 1.541725790028002e-8)).toBeLessThan(1e-20 + 1e-15);
  });
});

describe('reference ops by hand', () => {
  it('MatMul and Gemm', () => {
    const a = { data: [1, 2, 3, 4, 5, 6], shape: [2, 3] };
    const b = { data: [1, 0, 0, 1, 1, 1], shape: [3, 2] };
    expect(Array.from(referenceOps.MatMul([a, b], {}, [2, 2]).data)).toEqual([4, 5, 10, 11]);
    // Batch broadcast: [2,1,2] x [2,1] with B shared.
    const batched = referenceOps.MatMul(
      [
        { data: [1, 2, 3, 4], shape: [2, 1, 2] },
        { data: [10, 1], shape: [2, 1] },
      ],
      {},
      [],
    );
    expect(batched.shape).toEqual([2, 1, 1]);
    expect(Array.from(batched.data)).toEqual([12, 34]);
    const gemm = referenceOps.Gemm(
      [{ data: [1, 4, 2, 5, 3, 6], shape: [3, 2] }, b, { data: [100], shape: [1] }],
      attributesOf('Gemm', [[3, 2], [3, 2], [1]], { transA: 1, alpha: 2, beta: 0.5 }),
      [2, 2],
    );
    expect(Array.from(gemm.data)).toEqual([58, 60, 70, 72]);
    const transB = referenceOps.Gemm(
      [a, { data: [1, 0, 1, 0, 1, 1], shape: [2, 3] }],
      attributesOf(
        'Gemm',
        [
          [2, 3],
          [2, 3],
        ],
        { transB: 1 },
      ),
      [],
    );
    expect(Array.from(transB.data)).toEqual([4, 5, 10, 11]);
  });

  it('binary ops broadcast both ways', () => {
    const column = { data: [1, 2], shape: [2, 1] };
    const row = { data: [10, 20, 30], shape: [3] };
    const sum = referenceOps.Add([column, row], {}, []);
    expect(sum.shape).toEqual([2, 3]);
    expect(Array.from(sum.data)).toEqual([11, 21, 31, 12, 22, 32]);
    expect(Array.from(referenceOps.Sub([row, column], {}, []).data)).toEqual([9, 19, 29, 8, 18, 28]);
    expect(
      Array.from(
        referenceOps.Pow(
          [
            { data: [2, 3], shape: [2] },
            { data: [3], shape: [] },
          ],
          {},
          [],
        ).data,
      ),
    ).toEqual([8, 27]);
    expect(Array.from(referenceOps.Div([row, { data: [10], shape: [1] }], {}, []).data)).toEqual([1, 2, 3]);
  });

  it('unary ops, Gelu in both forms', () => {
    const input = { data: [-1, 0.5], shape: [2] };
    expect(Array.from(referenceOps.Relu([input], {}, [2]).data)).toEqual([0, 0.5]);
    const exact = referenceOps.Gelu([input], { approximate: 'none' }, [2]).data;
    expectAllClose(exact, [-0.15865525393145707, 0.34573123063700656], 1e-15);
    const tanh = referenceOps.Gelu([input], { approximate: 'tanh' }, [2]).data;
    expectAllClose(tanh, [-0.15880800939172324, 0.34571400982514394], 1e-15);
    expectAllClose(
      referenceOps.Sigmoid([input], {}, [2]).data,
      [0.2689414213699951, 0.6224593312018546],
      1e-15,
    );
  });

  it('Softmax and LogSoftmax along an inner axis', () => {
    const input = { data: [0, 1, Math.log(3), 2], shape: [2, 2] };
    expectAllClose(
      referenceOps.Softmax([input], { axis: 0 }, [2, 2]).data,
      [0.25, 1 / (1 + Math.exp(1)), 0.75, Math.exp(1) / (1 + Math.exp(1))],
      1e-15,
    );
    expectAllClose(
      referenceOps.LogSoftmax([input], { axis: 0 }, [2, 2]).data,
      [Math.log(0.25), -Math.log(1 + Math.E), Math.log(0.75), 1 - Math.log(1 + Math.E)],
      1e-15,
    );
  });

  it('LayerNormalization over the last two axes', () => {
    // One block [1, 2, 3, 4]: mean 2.5, variance 1.25.
    const output = referenceOps.LayerNormalization(
      [
        { data: [1, 2, 3, 4], shape: [1, 2, 2] },
        { data: [1, 2, 1, 2], shape: [2, 2] },
        { data: [0, 0, 1, 1], shape: [2, 2] },
      ],
      { axis: 1, epsilon: 0 },
      [1, 2, 2],
    );
    const deviation = Math.sqrt(1.25);
    expectAllClose(
      output.data,
      [-1.5 / deviation, (-0.5 / deviation) * 2, 0.5 / deviation + 1, (1.5 / deviation) * 2 + 1],
      1e-15,
    );
  });

  it('reductions, Reshape and Transpose', () => {
    const input = { data: [1, 2, 3, 4, 5, 6], shape: [2, 3] };
    expect(referenceOps.ReduceSum([input], { axes: [1], keepDims: true }, [])).toEqual({
      data: Float64Array.of(6, 15),
      shape: [2, 1],
    });
    expect(referenceOps.ReduceMean([input], { axes: [0], keepDims: false }, [])).toEqual({
      data: Float64Array.of(2.5, 3.5, 4.5),
      shape: [3],
    });
    expect(referenceOps.ReduceMean([input], { axes: [0, 1], keepDims: false }, []).data[0]).toBe(3.5);
    expect(referenceOps.Reshape([input], {}, [3, 2]).shape).toEqual([3, 2]);
    expect(referenceOps.Transpose([input], { perm: [1, 0] }, [])).toEqual({
      data: Float64Array.of(1, 4, 2, 5, 3, 6),
      shape: [3, 2],
    });
    const cube = { data: Array.from({ length: 24 }, (_, index) => index), shape: [2, 3, 4] };
    const moved = referenceOps.Transpose([cube], { perm: [2, 0, 1] }, []);
    expect(moved.shape).toEqual([4, 2, 3]);
    // moved[3][1][2] = cube[1][2][3] = 12 + 8 + 3
    expect(moved.data[3 * 6 + 1 * 3 + 2]).toBe(23);
  });

  it('losses: ignored rows leave both the sum and the mean', () => {
    const scores = { data: [0, 0, Math.log(3), 0, 5, 5], shape: [3, 2] };
    const labels = { data: Int32Array.of(0, 0, -1), shape: [3] };
    const mean = referenceOps.SoftmaxCrossEntropyLoss(
      [scores, labels],
      { reduction: 'mean', ignoreIndex: -1 },
      [],
    );
    expect(mean.shape).toEqual([]);
    expectAllClose(mean.data, [(Math.log(2) + Math.log(4 / 3)) / 2], 1e-15);
    const sum = referenceOps.SoftmaxCrossEntropyLoss(
      [scores, labels],
      { reduction: 'sum', ignoreIndex: null },
      [],
    );
    // label -1 with no ignore index reads no class: that row is never used by the cases.
    expect(Number.isNaN(sum.data[0])).toBe(true);
    const logits = { data: [0, 2, -3], shape: [3] };
    const targets = { data: [1, 0.25, 0], shape: [3] };
    const naive = [0, 2, -3].reduce((total, x, index) => {
      const probability = 1 / (1 + Math.exp(-x));
      const target = targets.data[index] as number;
      return total - target * Math.log(probability) - (1 - target) * Math.log(1 - probability);
    }, 0);
    expectAllClose(
      referenceOps.SigmoidCrossEntropyLoss([logits, targets], { reduction: 'sum' }, []).data,
      [naive],
      1e-14,
    );
    expectAllClose(
      referenceOps.MeanSquaredErrorLoss([logits, targets], { reduction: 'mean' }, []).data,
      [(1 + 1.75 ** 2 + 9) / 3],
      1e-15,
    );
  });
});

describe('finite differences of the reference against analytic gradients', () => {
  const random = new SeededRandom(99);
  const floats = (count: number) => Array.from(random.floats(count));

  it('MatMul: g Bᵀ and Aᵀ g', () => {
    const a = { data: floats(6), shape: [2, 3] };
    const b = { data: floats(12), shape: [3, 4] };
    const g = floats(8);
    const evaluate = (inputs: readonly (ReferenceArray | undefined)[]) =>
      referenceOps.MatMul(inputs, {}, []).data;
    const expectedA = Array.from({ length: 6 }, (_, flat) => {
      const [row, k] = [Math.floor(flat / 3), flat % 3];
      let sum = 0;
      for (let column = 0; column < 4; column++)
        sum += (g[row * 4 + column] as number) * (b.data[k * 4 + column] as number);
      return sum;
    });
    expectAllClose(finiteDifferenceGradient(evaluate, [a, b], 0, g), expectedA, 1e-10);
  });

  it('Softmax: y (g − Σ g y)', () => {
    const x = { data: floats(10), shape: [2, 5] };
    const g = floats(10);
    const y = referenceOps.Softmax([x], { axis: 1 }, []).data;
    const expected = Array.from({ length: 10 }, (_, flat) => {
      const row = Math.floor(flat / 5);
      let dot = 0;
      for (let column = 0; column < 5; column++)
        dot += (g[row * 5 + column] as number) * (y[row * 5 + column] as number);
      return (y[flat] as number) * ((g[flat] as number) - dot);
    });
    expectAllClose(
      finiteDifferenceGradient((inputs) => referenceOps.Softmax(inputs, { axis: 1 }, []).data, [x], 0, g),
      expected,
      1e-10,
    );
  });

  it('LayerNormalization: (1/σ)(ĝ − mean ĝ − x̂ mean(ĝ x̂)), and Σ g x̂ for Scale', () => {
    const width = 6;
    const x = { data: floats(2 * width), shape: [2, width] };
    const scale = { data: floats(width), shape: [width] };
    const bias = { data: floats(width), shape: [width] };
    const g = floats(2 * width);
    const attributes = { axis: 1, epsilon: 1e-5 };
    const evaluate = (inputs: readonly (ReferenceArray | undefined)[]) =>
      referenceOps.LayerNormalization(inputs, attributes, []).data;
    const expectedInput: number[] = [];
    const expectedScale = new Array<number>(width).fill(0);
    for (let row = 0; row < 2; row++) {
      const values = x.data.slice(row * width, (row + 1) * width);
      const mean = values.reduce((sum, value) => sum + value, 0) / width;
      const deviation = Math.sqrt(values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / width + 1e-5);
      const normalized = values.map((value) => (value - mean) / deviation);
      const scaled = normalized.map(
        (_, index) => (g[row * width + index] as number) * (scale.data[index] as number),
      );
      const meanScaled = scaled.reduce((sum, value) => sum + value, 0) / width;
      const meanProduct =
        scaled.reduce((sum, value, index) => sum + value * (normalized[index] as number), 0) / width;
      scaled.forEach((value, index) => {
        expectedInput.push((value - meanScaled - (normalized[index] as number) * meanProduct) / deviation);
        expectedScale[index] =
          (expectedScale[index] as number) +
          (g[row * width + index] as number) * (normalized[index] as number);
      });
    }
    expectAllClose(finiteDifferenceGradient(evaluate, [x, scale, bias], 0, g), expectedInput, 1e-9);
    expectAllClose(finiteDifferenceGradient(evaluate, [x, scale, bias], 1, g), expectedScale, 1e-10);
  });

  it('SoftmaxCrossEntropyLoss: (softmax − one-hot) / counted rows', () => {
    const scores = { data: floats(12), shape: [4, 3] };
    const labels = { data: Int32Array.of(2, -100, 0, 1), shape: [4] };
    const attributes = { reduction: 'mean' as const, ignoreIndex: -100 };
    const probabilities = referenceOps.Softmax([scores], { axis: 1 }, []).data;
    const expected = Array.from({ length: 12 }, (_, flat) => {
      const [row, column] = [Math.floor(flat / 3), flat % 3];
      if (labels.data[row] === -100) return 0;
      return ((probabilities[flat] as number) - (labels.data[row] === column ? 1 : 0)) * (0.5 / 3);
    });
    const evaluate = (inputs: readonly (ReferenceArray | undefined)[]) =>
      referenceOps.SoftmaxCrossEntropyLoss(inputs, attributes, []).data;
    expectAllClose(finiteDifferenceGradient(evaluate, [scores, labels], 0, [0.5]), expected, 1e-10);
  });

  it('Gelu (erf): Φ(x) + x φ(x); Pow summed back over a broadcast exponent', () => {
    const x = { data: floats(8).map((value) => value * 3), shape: [8] };
    const g = floats(8);
    const expected = x.data.map((value, index) => {
      const cdf = 0.5 * (1 + referenceErf(value / Math.SQRT2));
      const density = Math.exp((-value * value) / 2) / Math.sqrt(2 * Math.PI);
      return (g[index] as number) * (cdf + value * density);
    });
    const gelu = (inputs: readonly (ReferenceArray | undefined)[]) =>
      referenceOps.Gelu(inputs, { approximate: 'none' }, []).data;
    expectAllClose(finiteDifferenceGradient(gelu, [x], 0, g), expected, 1e-10);
    const base = { data: [0.5, 1.5, 2, 0.75], shape: [2, 2] };
    const exponent = { data: [1.5, -0.5], shape: [2] };
    const gradient = [1, -2, 0.5, 3];
    const pow = (inputs: readonly (ReferenceArray | undefined)[]) => referenceOps.Pow(inputs, {}, []).data;
    const expectedExponent = [0, 1].map((column) =>
      [0, 1].reduce((sum, row) => {
        const value = base.data[row * 2 + column] as number;
        return (
          sum +
          (gradient[row * 2 + column] as number) *
            value ** (exponent.data[column] as number) *
            Math.log(value)
        );
      }, 0),
    );
    expectAllClose(finiteDifferenceGradient(pow, [base, exponent], 1, gradient), expectedExponent, 1e-10);
  });
});

describe('the op case table', () => {
  it("agrees with the reference on every case's output shape (core's shape inference vs an independent one)", () => {
    for (const spec of opCaseTable) {
      const prepared = prepareOpCase(spec);
      const reference = referenceOps[prepared.type](
        referenceInputs(prepared),
        prepared.attributes as never,
        prepared.outputShape,
      );
      expect(reference.shape, `${spec.op} ${spec.name}`).toEqual(prepared.outputShape);
      expect(reference.data.every(Number.isFinite), `${spec.op} ${spec.name}`).toBe(true);
    }
  });

  it('has unique names per op and covers every op', () => {
    const names = opCaseTable.map((spec) => `${spec.op}/${spec.name}`);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(opCaseTable.map((spec) => spec.op))).toEqual(new Set(Object.keys(opDefinitions)));
  });
});
