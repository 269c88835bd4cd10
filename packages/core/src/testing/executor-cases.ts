import type { GraceBackend } from '../backend.js';
import { SuffixExecutor } from '../suffix/suffix-executor.js';
import type { SuffixGraph } from '../suffix/suffix-graph.js';
import type { Tensor } from '../tensor.js';
import { assertClose, assertThrowsGraceError, assertTrue } from './assertions.js';
import {
  type ConformanceCase,
  defineConformanceCase,
  type ResolvedConformanceOptions,
} from './conformance-case.js';
import { TensorScope } from './tensor-scope.js';
import { trackTensors } from './tensor-tracker.js';

/**
 * Core's suffix executor on a backend: forward and reverse mode through chained kernels, gradient accumulation
 * where a value is used twice, feed validation, and no leaked tensors over repeated runs.
 */

const suite = 'suffix executor';

/** `loss = sum(relu(x W + b))`: x `[batch, 3]`, W `[3, 2]`, b `[2]`. */
const mlp: SuffixGraph = {
  inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', 3] }],
  initializers: [
    { name: 'W', data: new Float32Array([0.5, -1, 2, 0.25, -0.5, 1.5]), shape: [3, 2] },
    { name: 'b', data: new Float32Array([0.1, -0.2]), shape: [2] },
  ],
  nodes: [
    { name: 'dense', opType: 'Gemm', inputs: ['x', 'W', 'b'], outputs: ['hidden'] },
    { name: 'relu', opType: 'Relu', inputs: ['hidden'], outputs: ['activation'] },
    {
      name: 'sum',
      opType: 'ReduceSum',
      inputs: ['activation'],
      outputs: ['loss'],
      attributes: { axes: [0, 1], keepdims: 0 },
    },
  ],
  outputs: ['activation', 'loss'],
};

/** Host computation of {@link mlp}: the activation, the loss, and the loss's gradients. */
function mlpExpected(x: readonly number[]): {
  activation: number[];
  loss: number;
  gradientX: number[];
  gradientW: number[];
} {
  const weight = [0.5, -1, 2, 0.25, -0.5, 1.5];
  const bias = [0.1, -0.2];
  const rows = x.length / 3;
  const activation: number[] = [];
  const gradientX = new Array<number>(x.length).fill(0);
  const gradientW = new Array<number>(6).fill(0);
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < 2; column++) {
      let hidden = bias[column] as number;
      for (let inner = 0; inner < 3; inner++)
        hidden += (x[row * 3 + inner] as number) * (weight[inner * 2 + column] as number);
      activation.push(Math.max(0, hidden));
      if (hidden > 0) {
        for (let inner = 0; inner < 3; inner++) {
          gradientX[row * 3 + inner] =
            (gradientX[row * 3 + inner] as number) + (weight[inner * 2 + column] as number);
          gradientW[inner * 2 + column] =
            (gradientW[inner * 2 + column] as number) + (x[row * 3 + inner] as number);
        }
      }
    }
  }
  return { activation, loss: activation.reduce((sum, value) => sum + value, 0), gradientX, gradientW };
}

async function read(backend: GraceBackend, tensor: Tensor | undefined, what: string): Promise<Float32Array> {
  assertTrue(tensor !== undefined, `${what} is missing from the result`);
  return (await backend.download(tensor as Tensor<'float32'>)) as Float32Array;
}

export function executorCases(options: ResolvedConformanceOptions): ConformanceCase[] {
  // Each kernel stores float32, so even an exact backend differs from float64 host math by a rounding.
  const tolerance = Math.max(options.tolerance, 1e-6);
  const x = [1, 2, -1, 0.5, -0.5, 3];
  return [
    defineConformanceCase(
      suite,
      'runs forward and differentiates an MLP with respect to its input and a weight',
      async (backend) => {
        const executor = new SuffixExecutor(backend, mlp);
        const scope = new TensorScope(backend);
        try {
          const result = executor.run({
            feeds: { x: scope.float32(x, [2, 3]) },
            outputs: ['activation', 'loss'],
            gradient: { of: 'loss', withRespectTo: ['x', 'W'] },
          });
          for (const tensor of [...result.outputs.values(), ...result.gradients.values()]) scope.keep(tensor);
          const expected = mlpExpected(x);
          assertClose(
            await read(backend, result.outputs.get('activation'), 'activation'),
            expected.activation,
            tolerance,
            'activation',
          );
          assertClose(
            await read(backend, result.outputs.get('loss'), 'loss'),
            [expected.loss],
            tolerance,
            'loss',
          );
          assertClose(
            await read(backend, result.gradients.get('x'), 'd loss / d x'),
            expected.gradientX,
            tolerance,
            'd loss / d x',
          );
          assertClose(
            await read(backend, result.gradients.get('W'), 'd loss / d W'),
            expected.gradientW,
            tolerance,
            'd loss / d W',
          );
        } finally {
          scope.disposeAll();
          executor.dispose();
        }
      },
    ),

    defineConformanceCase(
      suite,
      'accumulates the gradient of a value used twice, and gives zeros off the path',
      async (backend) => {
        const graph: SuffixGraph = {
          inputs: [
            { name: 'x', dtype: 'float32', shape: [3] },
            { name: 'unused', dtype: 'float32', shape: [2] },
          ],
          initializers: [],
          nodes: [
            { name: 'square', opType: 'Mul', inputs: ['x', 'x'], outputs: ['squared'] },
            { name: 'twice', opType: 'Add', inputs: ['squared', 'x'], outputs: ['sum'] },
            {
              name: 'total',
              opType: 'ReduceSum',
              inputs: ['sum'],
              outputs: ['loss'],
              attributes: { axes: [0], keepdims: 0 },
            },
          ],
          outputs: ['loss'],
        };
        const executor = new SuffixExecutor(backend, graph);
        const scope = new TensorScope(backend);
        try {
          const result = executor.run({
            feeds: { x: scope.float32([1, -2, 0.5], [3]), unused: scope.float32([7, 7], [2]) },
            outputs: ['loss'],
            gradient: { of: 'loss', withRespectTo: ['x', 'unused'] },
          });
          for (const tensor of [...result.outputs.values(), ...result.gradients.values()]) scope.keep(tensor);
          // loss = sum(x² + x): d/dx = 2x + 1.
          assertClose(
            await read(backend, result.outputs.get('loss'), 'loss'),
            [1 + 1 + 4 - 2 + 0.25 + 0.5],
            tolerance,
            'loss',
          );
          assertClose(
            await read(backend, result.gradients.get('x'), 'd loss / d x'),
            [3, -3, 2],
            tolerance,
            'd loss / d x',
          );
          assertClose(
            await read(backend, result.gradients.get('unused'), 'd loss / d unused'),
            [0, 0],
            tolerance,
            'd loss / d unused',
          );
        } finally {
          scope.disposeAll();
          executor.dispose();
        }
      },
    ),

    defineConformanceCase(suite, 'refuses missing, mistyped and inconsistent feeds', async (backend) => {
      const executor = new SuffixExecutor(backend, mlp);
      const scope = new TensorScope(backend);
      try {
        await assertThrowsGraceError(
          () => executor.run({ feeds: {}, outputs: ['loss'] }),
          'INVALID_ARGUMENT',
          'a missing feed',
        );
        await assertThrowsGraceError(
          () => executor.run({ feeds: { x: scope.int32([1, 2, 3], [1, 3]) }, outputs: ['loss'] }),
          'DTYPE_MISMATCH',
          'an int32 feed for a float32 input',
        );
        await assertThrowsGraceError(
          () => executor.run({ feeds: { x: scope.float32([1, 2, 3, 4], [1, 4]) }, outputs: ['loss'] }),
          'SHAPE_MISMATCH',
          'a feed of the wrong width',
        );
        await assertThrowsGraceError(
          () => executor.run({ feeds: { x: scope.float32(x, [2, 3]) }, outputs: ['nothing'] }),
          'INVALID_ARGUMENT',
          'an unknown output',
        );
      } finally {
        scope.disposeAll();
        executor.dispose();
      }
    }),

    defineConformanceCase(
      suite,
      'leaks no tensor over repeated runs, including a fed value returned as an output',
      async (inner) => {
        const tracked = trackTensors(inner);
        const backend = tracked.backend;
        const executor = new SuffixExecutor(backend, mlp);
        const feed = backend.upload(Float32Array.from(x), [2, 3]);
        const baseline = tracked.live();
        try {
          for (let run = 0; run < 5; run++) {
            const result = executor.run({
              feeds: { x: feed },
              outputs: ['x', 'loss'],
              gradient: { of: 'loss', withRespectTo: ['x', 'W', 'b'] },
            });
            for (const tensor of [...result.outputs.values(), ...result.gradients.values()])
              backend.dispose(tensor);
          }
          assertTrue(tracked.live() === baseline, `${tracked.live() - baseline} tensors leaked over 5 runs`);
          assertClose(await backend.download(feed), x, 0, 'the feed after its returned copy was disposed');
        } finally {
          backend.dispose(feed);
          executor.dispose();
        }
      },
    ),
  ];
}
