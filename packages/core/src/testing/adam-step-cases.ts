import { type AdamHyperparameters, defaultAdamHyperparameters } from '../backend.js';
import { SeededRandom } from '../random.js';
import type { Shape } from '../tensor.js';
import { assertBitsEqual, assertClose, assertThrowsGraceError } from './assertions.js';
import type { ConformanceCase, ResolvedConformanceOptions } from './conformance-case.js';
import { referenceAdamStep } from './reference-kernels.js';
import { defineScopedCase } from './tensor-scope.js';

const suite = 'adamStep';

/**
 * Runs `steps` Adam updates from step `firstStep` on the backend and on the reference side by side, with
 * fresh random gradients each step, and compares parameter and both moments after every step through the
 * same tensor handles: the update must happen in place. The reference's state is rounded to float32
 * between steps, as the tensors store it.
 */
function multiStepCase(
  name: string,
  seed: number,
  shape: Shape,
  steps: number,
  firstStep: number,
  hyperparameters: AdamHyperparameters,
  startMoments: boolean,
  tolerance: number,
): ConformanceCase {
  return defineScopedCase(suite, name, async (scope) => {
    const { backend } = scope;
    const random = new SeededRandom(seed);
    const size = shape.reduce((product, dimension) => product * dimension, 1);
    let parameter = random.floats(size);
    let firstMoment = startMoments ? random.floats(size, -0.1, 0.1) : new Float32Array(size);
    let secondMoment = startMoments ? random.floats(size, 0, 0.01) : new Float32Array(size);
    const parameterTensor = scope.float32(parameter, shape);
    const firstTensor = scope.float32(firstMoment, shape);
    const secondTensor = scope.float32(secondMoment, shape);
    for (let step = firstStep; step < firstStep + steps; step++) {
      const gradient = random.floats(size, -2, 2);
      const gradientTensor = scope.float32(gradient, shape);
      backend.adamStep({
        parameter: parameterTensor,
        gradient: gradientTensor,
        firstMoment: firstTensor,
        secondMoment: secondTensor,
        step,
        hyperparameters,
      });
      const expected = referenceAdamStep(
        { parameter, gradient, firstMoment, secondMoment },
        step,
        hyperparameters,
      );
      parameter = Float32Array.from(expected.parameter);
      firstMoment = Float32Array.from(expected.firstMoment);
      secondMoment = Float32Array.from(expected.secondMoment);
      assertClose(
        await backend.download(parameterTensor),
        parameter,
        tolerance,
        `parameter after step ${step}`,
      );
      assertClose(
        await backend.download(firstTensor),
        firstMoment,
        tolerance,
        `firstMoment after step ${step}`,
      );
      assertClose(
        await backend.download(secondTensor),
        secondMoment,
        tolerance,
        `secondMoment after step ${step}`,
      );
      assertBitsEqual(await backend.download(gradientTensor), gradient, `gradient after step ${step}`);
    }
  });
}

/** Value training: GRACE runs 100 of these at learning rate 1.0 per edit, so errors would compound. */
export function adamStepCases(options: ResolvedConformanceOptions): ConformanceCase[] {
  const { tolerance } = options;
  const custom: AdamHyperparameters = { learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-6 };
  return [
    defineScopedCase(
      suite,
      'first step moves each parameter by about the learning rate, against the gradient',
      async (scope) => {
        // With zero moments, step 1 gives m̂ = g and v̂ = g², so the update is lr · g / (|g| + ε) ≈ lr · sign(g).
        const { backend } = scope;
        const parameter = scope.float32([0, 0, 3], [3]);
        const firstMoment = scope.float32([0, 0, 0], [3]);
        const secondMoment = scope.float32([0, 0, 0], [3]);
        backend.adamStep({
          parameter,
          gradient: scope.float32([0.5, -2, 1e-3], [3]),
          firstMoment,
          secondMoment,
          step: 1,
          hyperparameters: defaultAdamHyperparameters,
        });
        assertClose(await backend.download(parameter), [-1, 1, 2], Math.max(tolerance, 1e-5), 'parameter');
        assertClose(
          await backend.download(firstMoment),
          [0.05, -0.2, 1e-4],
          Math.max(tolerance, 1e-7),
          'firstMoment',
        );
        assertClose(
          await backend.download(secondMoment),
          [0.00025, 0.004, 1e-9],
          Math.max(tolerance, 1e-9),
          'secondMoment',
        );
      },
    ),
    multiStepCase(
      'five steps from zero moments, default hyper-parameters',
      51,
      [3, 4],
      5,
      1,
      defaultAdamHyperparameters,
      false,
      tolerance,
    ),
    multiStepCase(
      'custom hyper-parameters from step 10 with non-zero moments',
      52,
      [7],
      4,
      10,
      custom,
      true,
      tolerance,
    ),
    multiStepCase('scalar parameter', 53, [], 3, 1, defaultAdamHyperparameters, false, tolerance),
    multiStepCase('zero-size parameter', 54, [0, 5], 2, 1, defaultAdamHyperparameters, false, tolerance),
    defineScopedCase(suite, 'a refused step leaves the parameter and moments unchanged', async (scope) => {
      const { backend } = scope;
      const initial = Float32Array.from([0.5, -0.25]);
      const parameter = scope.float32(initial, [2]);
      const firstMoment = scope.float32([0.1, 0.2], [2]);
      const secondMoment = scope.float32([0.01, 0.02], [2]);
      await assertThrowsGraceError(
        () =>
          backend.adamStep({
            parameter,
            gradient: scope.float32([1, 1], [2]),
            firstMoment,
            secondMoment,
            step: 0,
            hyperparameters: defaultAdamHyperparameters,
          }),
        'INVALID_ARGUMENT',
        'step 0',
      );
      assertBitsEqual(await backend.download(parameter), initial, 'parameter');
      assertBitsEqual(await backend.download(firstMoment), Float32Array.from([0.1, 0.2]), 'firstMoment');
      assertBitsEqual(await backend.download(secondMoment), Float32Array.from([0.01, 0.02]), 'secondMoment');
    }),
  ];
}
