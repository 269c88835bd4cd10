import type { ConformanceCase, ResolvedConformanceOptions } from '../conformance-case.js';
import { opCaseTable } from './op-case-table.js';
import { opForwardCase } from './op-forward-cases.js';
import { opGradientCase } from './op-gradient-cases.js';
import { prepareOpCase } from './prepare-op-case.js';

/**
 * The least forward tolerance of the op cases, used when a backend asks for less (the CPU backend asks for 0).
 * Unlike the GRACE kernels, whose outputs are copies or one rounding of a float64 result, an op's result
 * depends on how a kernel sums and which exp or erf it calls, so even a backend that computes in float64 and
 * rounds once can differ from the oracle by an ulp of float32 (6e-8 relative; the CPU backend stays within
 * that). 1e-6 leaves room for that and still catches any real mistake; a backend that computes in float32
 * should ask for its own tolerance (the default is 1e-4).
 */
export const opForwardToleranceFloor = 1e-6;

/**
 * The least gradient tolerance. The finite differences are accurate to far better than 1e-8 (see
 * `finiteDifferenceGradient`); the room is for the backend's VJP, whose formulas (LayerNormalization's,
 * Softmax's) subtract nearly equal terms, so it is ten times the forward floor.
 */
export const opGradientToleranceFloor = 1e-5;

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
