import { SeededRandom } from '../../random.js';
import { shapeSize, type Tensor } from '../../tensor.js';
import { assertClose, assertTensorLayout, assertTrue, fail } from '../assertions.js';
import type { ConformanceCase } from '../conformance-case.js';
import { defineScopedCase, type TensorScope } from '../tensor-scope.js';
import { finiteDifferenceGradient } from './finite-difference.js';
import { evaluateReference, kernelFor, uploadInputs } from './op-kernel-calls.js';
import { type PreparedOpCase, referenceInputs } from './prepare-op-case.js';

/** Positions of the float inputs that are present: the ones a gradient can be asked for. */
function floatInputPositions(prepared: PreparedOpCase): number[] {
  return prepared.inputs.flatMap((input, position) =>
    input !== undefined && input.data instanceof Float32Array ? [position] : [],
  );
}

/**
 * Calls the kernel's gradient with `needed` and checks each entry: a needed input gets a float32 gradient of
 * its own shape (a broadcast input's gradient summed back to it) equal to the finite-difference one; any
 * other input (not needed, int32 labels, absent) gets `undefined`.
 */
async function checkGradients(
  scope: TensorScope,
  prepared: PreparedOpCase,
  call: { inputs: (Tensor | undefined)[]; output: Tensor<'float32'>; outputGradient: Tensor<'float32'> },
  needed: boolean[],
  expected: ReadonlyMap<number, Float64Array>,
  tolerance: number,
): Promise<void> {
  const gradients = kernelFor(scope.backend, prepared).gradient({
    ...call,
    attributes: prepared.attributes,
    needed,
  });
  for (const gradient of gradients) if (gradient !== undefined) scope.keep(gradient);
  const what = `needed [${needed.join(', ')}]`;
  gradients.slice(prepared.inputs.length).forEach((extra, position) => {
    if (extra !== undefined) fail(`${what}: entry ${prepared.inputs.length + position} is beyond the inputs`);
  });
  for (let position = 0; position < prepared.inputs.length; position++) {
    const gradient = gradients[position];
    const input = prepared.inputs[position];
    if (!needed[position] || input === undefined) {
      assertTrue(gradient === undefined, `${what}: input ${position} is not needed but got a gradient`);
      continue;
    }
    if (gradient === undefined) fail(`${what}: input ${position} is needed but got no gradient`);
    assertTrue(
      !call.inputs.includes(gradient) && gradient !== call.output && gradient !== call.outputGradient,
      `${what}: the gradient of input ${position} is one of the kernel's arguments; it must be a new tensor`,
    );
    assertTensorLayout(gradient, input.shape, 'float32', `gradient of input ${position}`);
    const values = await scope.backend.download(gradient);
    assertClose(
      values,
      expected.get(position) as Float64Array,
      tolerance,
      `${what}: gradient of input ${position}`,
    );
  }
}

/**
 * A kernel's VJP against central finite differences of the float64 reference, for a random output gradient.
 * It runs twice: every float input needed, then only the last one, so a kernel that ignores `needed` (or
 * computes one input's gradient only when another is needed too) fails.
 */
export function opGradientCase(prepared: PreparedOpCase, tolerance: number): ConformanceCase {
  return defineScopedCase(`op ${prepared.type} gradient`, prepared.spec.name, async (scope) => {
    const inputs = uploadInputs(scope, prepared);
    const output = scope.keep(
      kernelFor(scope.backend, prepared).forward(inputs, prepared.attributes, prepared.outputShape),
    );
    const random = new SeededRandom(shapeSize(prepared.outputShape), 17);
    const outputGradientData = random.floats(shapeSize(prepared.outputShape));
    const outputGradient = scope.float32(outputGradientData, prepared.outputShape);
    const positions = floatInputPositions(prepared);
    const references = referenceInputs(prepared);
    const expected = new Map(
      positions.map((position) => [
        position,
        finiteDifferenceGradient(
          (perturbed) => evaluateReference(prepared, perturbed),
          references,
          position,
          outputGradientData,
        ),
      ]),
    );
    const call = { inputs, output, outputGradient };
    const all = prepared.inputs.map((_, position) => positions.includes(position));
    await checkGradients(scope, prepared, call, all, expected, tolerance);
    if (positions.length > 1) {
      const last = positions[positions.length - 1];
      const onlyLast = prepared.inputs.map((_, position) => position === last);
      await checkGradients(scope, prepared, call, onlyLast, expected, tolerance);
    }
  });
}
