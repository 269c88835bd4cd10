import { assertClose, assertTensorLayout, assertTrue } from '../assertions.js';
import type { ConformanceCase } from '../conformance-case.js';
import { defineScopedCase } from '../tensor-scope.js';
import { evaluateReference, kernelFor, uploadInputs } from './op-kernel-calls.js';
import { type PreparedOpCase, referenceInputs } from './prepare-op-case.js';

/**
 * A kernel's forward against the float64 reference: output shape and dtype as core resolved them, a new
 * tensor (never an input handed back, which the caller would then dispose twice), values within `tolerance`.
 */
export function opForwardCase(prepared: PreparedOpCase, tolerance: number): ConformanceCase {
  return defineScopedCase(`op ${prepared.type} forward`, prepared.spec.name, async (scope) => {
    const inputs = uploadInputs(scope, prepared);
    const output = scope.keep(
      kernelFor(scope.backend, prepared).forward(inputs, prepared.attributes, prepared.outputShape),
    );
    assertTrue(
      !inputs.includes(output),
      'forward returned one of its inputs; a kernel must return a new tensor',
    );
    assertTensorLayout(output, prepared.outputShape, 'float32', 'output');
    const expected = evaluateReference(prepared, referenceInputs(prepared));
    assertClose(await scope.backend.download(output), expected, tolerance, 'output');
  });
}
