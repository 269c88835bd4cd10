import type { ConformanceCase, ResolvedConformanceOptions } from '../conformance-case.js';
import { opCaseTable } from './op-case-table.js';
import { opForwardCase } from './op-forward-cases.js';
import { opGradientCase } from './op-gradient-cases.js';
import { prepareOpCase } from './prepare-op-case.js';

/**
 * The least forward tolerance of the op cases. Unlike the GRACE kernels, whose outputs are copies or one
 * rounding of a float64 result, an op kernel may legitimately compute in float32 (sums over K, exp, erf),
 * so a correct backend differs from the float64 oracle by a few ulps; asking for less would fail it.
 */
export const opForwardToleranceFloor = 1e-5;

/**
 * The least gradient tolerance. The finite differences are accurate to about 1e-12 (see
 * `finiteDifferenceGradient`); what needs room is the backend's float32 VJP, whose formulas
 * (LayerNormalization's, Softmax's) subtract nearly equal terms.
 */
export const opGradientToleranceFloor = 1e-4;

/**
 * Every op of set v1, forward and gradient, on the shapes of the op case table: suites `op <Op> forward` and
 * `op <Op> gradient`. Inputs are drawn and nodes resolved once, when the cases are made.
 */
export function opCases(options: ResolvedConformanceOptions): ConformanceCase[] {
  const forwardTolerance = Math.max(options.tolerance, opForwardToleranceFloor);
  const gradientTolerance = Math.max(options.tolerance, opGradientToleranceFloor);
  const prepared = opCaseTable.map(prepareOpCase);
  return [
    ...prepared.map((testCase) => opForwardCase(testCase, forwardTolerance)),
    ...prepared.map((testCase) => opGradientCase(testCase, gradientTolerance)),
  ];
}
