import type { GraceBackend } from '../backend.js';
import { trainValue } from '../editing/value-trainer.js';
import { SeededRandom } from '../random.js';
import { SuffixExecutor } from '../suffix/suffix-executor.js';
import type { SuffixGraph } from '../suffix/suffix-graph.js';
import { assertClose, assertThrowsGraceError, assertTrue } from './assertions.js';
import {
  type ConformanceCase,
  defineConformanceCase,
  type ResolvedConformanceOptions,
} from './conformance-case.js';
import { squashedErrorShape, squashedErrorTail } from './squashed-error-tail.js';

/**
 * A backend's compiled value-training step (`compileValueStep`, optional) against the per-op path it
 * replaces: the same trained value and loss curve, and a refused step that changes nothing. A backend
 * without the capability has nothing to check here.
 */

const suite = 'compiled value step';

/** `[1, 6]` value → Gemm 6→8 → Gelu → LayerNormalization → Gemm 8→4 → softmax cross-entropy. */
function transformerTail(): SuffixGraph {
  const random = new SeededRandom(5);
  const weights = (rows: number, columns: number) =>
    Float32Array.from(random.floats(rows * columns, -1, 1), (weight) => weight / Math.sqrt(rows));
  return {
    inputs: [
      { name: 'value', dtype: 'float32', shape: [1, 6] },
      { name: 'target', dtype: 'int32', shape: [1] },
    ],
    initializers: [
      { name: 'W1', data: weights(6, 8), shape: [6, 8] },
      { name: 'b1', data: Float32Array.from(random.floats(8, -0.5, 0.5)), shape: [8] },
      { name: 'scale', data: Float32Array.from(random.floats(8, 0.5, 1.5)), shape: [8] },
      { name: 'shift', data: Float32Array.from(random.floats(8, -0.5, 0.5)), shape: [8] },
      { name: 'W2', data: weights(8, 4), shape: [8, 4] },
    ],
    nodes: [
      { name: 'dense1', opType: 'Gemm', inputs: ['value', 'W1', 'b1'], outputs: ['hidden'] },
      { name: 'gelu', opType: 'Gelu', inputs: ['hidden'], outputs: ['activated'] },
      {
        name: 'norm',
        opType: 'LayerNormalization',
        inputs: ['activated', 'scale', 'shift'],
        outputs: ['normalized'],
      },
      { name: 'dense2', opType: 'Gemm', inputs: ['normalized', 'W2', ''], outputs: ['logits'] },
      { name: 'loss', opType: 'SoftmaxCrossEntropyLoss', inputs: ['logits', 'target'], outputs: ['loss'] },
    ],
    outputs: ['logits', 'loss'],
  };
}

/**
 * The backend with its compiled step replaced (`undefined`: hidden, so core takes the per-op path on the same
 * kernels).
 */
function withCompiledStep(
  backend: GraceBackend,
  compileValueStep: GraceBackend['compileValueStep'],
): GraceBackend {
  // Over an empty target: a frozen backend's own properties could not be hidden (proxy invariants).
  return new Proxy({} as GraceBackend, {
    get: (_target, property) => {
      if (property === 'compileValueStep') return compileValueStep;
      const found: unknown = Reflect.get(backend, property, backend);
      return typeof found === 'function' ? found.bind(backend) : found;
    },
  });
}

function perOpOnly(backend: GraceBackend): GraceBackend {
  return withCompiledStep(backend, undefined);
}

/**
 * A value `[T·Dv]` trained as a span over every token of a `[1, T, Dv]` row (the value is then the whole
 * activation, so training may use the compiled step); `compiledSteps` counts the steps the backend compiled.
 */
async function trainedSpan(backend: GraceBackend, iterations: number) {
  const graph = squashedErrorTail();
  const [tokens, width] = squashedErrorShape;
  const random = new SeededRandom(29);
  const executor = new SuffixExecutor(backend, graph);
  const frozenOutput = backend.upload(random.floats(tokens * width, -1, 1), [1, tokens, width]);
  const target = backend.upload(random.floats(tokens * width, -0.8, 0.8), [1, tokens, width]);
  let compiledSteps = 0;
  const counting = withCompiledStep(
    backend,
    backend.compileValueStep === undefined
      ? undefined
      : (program, parameter) => {
          const step = backend.compileValueStep?.(program, parameter);
          if (step !== undefined) compiledSteps++;
          return step;
        },
  );
  try {
    const result = await trainValue(
      {
        backend: counting,
        executor,
        activationInput: 'tokens',
        lossOutput: 'loss',
        feeds: { target },
        initialValue: random.floats(tokens * width, 0, 1),
        placement: { kind: 'span', frozenOutput, keyPosition: 0 },
      },
      { iterations },
    );
    return { ...result, compiledSteps };
  } finally {
    for (const tensor of [frozenOutput, target]) backend.dispose(tensor);
    executor.dispose();
  }
}

async function trained(backend: GraceBackend, graph: SuffixGraph, iterations: number, checkEvery: number) {
  const executor = new SuffixExecutor(backend, graph);
  const target = backend.upload(new Int32Array([2]), [1]);
  try {
    return await trainValue(
      {
        backend,
        executor,
        activationInput: 'value',
        lossOutput: 'loss',
        feeds: { target },
        initialValue: Float32Array.from(new SeededRandom(9).floats(6, 0, 1)),
        placement: { kind: 'row' },
      },
      { iterations, checkEvery },
    );
  } finally {
    backend.dispose(target);
    executor.dispose();
  }
}

export function compiledValueStepCases(options: ResolvedConformanceOptions): ConformanceCase[] {
  return [
    defineConformanceCase(
      suite,
      'trains the same value and loss curve as the per-op path',
      async (backend) => {
        if (backend.compileValueStep === undefined) return;
        const graph = transformerTail();
        for (const checkEvery of [1, 3]) {
          const compiled = await trained(backend, graph, 12, checkEvery);
          const reference = await trained(perOpOnly(backend), graph, 12, checkEvery);
          assertClose(
            compiled.value,
            reference.value,
            options.tolerance,
            `trained value (checkEvery ${checkEvery})`,
          );
          assertClose(
            compiled.loss,
            reference.loss,
            options.tolerance,
            `loss curve (checkEvery ${checkEvery})`,
          );
          assertTrue(compiled.loss.length === reference.loss.length, 'as many losses recorded');
        }
      },
    ),
    defineConformanceCase(
      suite,
      'a span over the whole row trains through the compiled step like the per-op path',
      async (backend) => {
        if (backend.compileValueStep === undefined) return;
        const compiled = await trainedSpan(backend, 10);
        const reference = await trainedSpan(perOpOnly(backend), 10);
        assertTrue(
          compiled.compiledSteps === 1,
          `the span was trained per op (${compiled.compiledSteps} compiled)`,
        );
        assertClose(compiled.value, reference.value, options.tolerance, 'trained span value');
        assertClose(compiled.loss, reference.loss, options.tolerance, 'loss curve');
      },
    ),
    defineConformanceCase(
      suite,
      'a feed of another shape is SHAPE_MISMATCH and changes nothing',
      async (backend) => {
        const executor = new SuffixExecutor(backend, transformerTail());
        const parameter = backend.upload(new Float32Array(6).fill(0.5), [1, 6]);
        const moments = [
          backend.upload(new Float32Array(6), [1, 6]),
          backend.upload(new Float32Array(6), [1, 6]),
        ];
        const target = backend.upload(new Int32Array([1]), [1]);
        const wideTarget = backend.upload(new Int32Array([1, 1]), [2]);
        try {
          const program = executor.prepare({
            feeds: { value: parameter, target },
            outputs: ['loss'],
            gradient: { of: 'loss', withRespectTo: ['value'] },
          });
          const step = backend.compileValueStep?.(program, 'value');
          if (step === undefined) return;
          await assertThrowsGraceError(
            () =>
              step.step({
                feeds: { value: parameter, target: wideTarget },
                withOutputs: true,
                firstMoment: moments[0] as (typeof moments)[0],
                secondMoment: moments[1] as (typeof moments)[1],
                step: 1,
                hyperparameters: { learningRate: 1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
              }),
            'SHAPE_MISMATCH',
            'a target of another shape',
          );
          assertClose(await backend.download(parameter), new Float32Array(6).fill(0.5), 0, 'the parameter');
          for (const moment of moments)
            assertClose(await backend.download(moment), new Float32Array(6), 0, 'a moment');
        } finally {
          for (const tensor of [parameter, ...moments, target, wideTarget]) backend.dispose(tensor);
          executor.dispose();
        }
      },
    ),
  ];
}
