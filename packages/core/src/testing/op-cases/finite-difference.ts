import type { ReferenceArray } from '../reference-kernels.js';

/**
 * The expected input gradient of an op, with no analytic derivative to get wrong:
 * `∂/∂x Σ_j g_j f(x)_j` by a fourth-order central stencil,
 * `(8 (S(x+h) − S(x−h)) − (S(x+2h) − S(x−2h))) / 12h`, in float64 on the reference forward.
 *
 * The step is `h = 1e-3 · max(|x|, rms)`, where `rms` is the root mean square of the perturbed input: the
 * scale on which an op's output varies follows its input's scale (LayerNormalization of values of size 0.01
 * varies over 0.01, not over 1), and the error is O((h / scale)⁴) ≈ 1e-12 for truncation plus about
 * 1e-16 · |S| / h for rounding, far below any float32 backend's own error, so a gradient case can use a
 * tolerance suited to float32 rather than to the finite difference. Inputs must keep 2h away from kinks
 * (Relu at 0) and from domain edges (Sqrt, Pow's base at 0); the case table's value generators do.
 */
export function finiteDifferenceGradient(
  evaluate: (inputs: readonly (ReferenceArray | undefined)[]) => ArrayLike<number>,
  inputs: readonly (ReferenceArray | undefined)[],
  inputIndex: number,
  outputGradient: ArrayLike<number>,
  relativeStep = 1e-3,
): Float64Array {
  const input = inputs[inputIndex];
  if (input === undefined) throw new RangeError(`finite differences: input ${inputIndex} is absent`);
  const perturbed = Float64Array.from(input.data);
  const withPerturbed = inputs.map((other, index) =>
    index === inputIndex ? { data: perturbed, shape: input.shape } : other,
  );
  const weightedSum = (): number => {
    const output = evaluate(withPerturbed);
    let sum = 0;
    for (let index = 0; index < output.length; index++) {
      sum += (outputGradient[index] as number) * (output[index] as number);
    }
    return sum;
  };
  // Over the finite entries: a NaN or an infinity (IsNaN's inputs) stays itself under any step, so its
  // difference is that of a constant, and it must not make every other step NaN.
  let squares = 0;
  let finite = 0;
  for (const value of perturbed) {
    if (!Number.isFinite(value)) continue;
    squares += value * value;
    finite++;
  }
  const rms = Math.sqrt(squares / Math.max(1, finite)) || 1;
  const gradient = new Float64Array(perturbed.length);
  for (let index = 0; index < perturbed.length; index++) {
    const original = perturbed[index] as number;
    const step = relativeStep * (Number.isFinite(original) ? Math.max(Math.abs(original), rms) : rms);
    const at = (offset: number): number => {
      perturbed[index] = original + offset * step;
      return weightedSum();
    };
    const near = at(1) - at(-1);
    const far = at(2) - at(-2);
    perturbed[index] = original;
    gradient[index] = (8 * near - far) / (12 * step);
  }
  return gradient;
}
