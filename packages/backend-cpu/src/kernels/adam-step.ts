import { type AdamStepArguments, validateAdamStepArguments } from '@grace/core';
import { readCpuTensor, resolveCpuTensor } from '../cpu-tensor.js';
import { WasmMatrixProducts } from '../wasm/wasm-matrix-products.js';

/**
 * One Adam update in place, in the formulation `backend.ts` documents (PyTorch's):
 * `m = β1 m + (1 - β1) g`, `v = β2 v + (1 - β2) g²`,
 * `p -= lr / (1 - β1^t) * (m / (sqrt(v) / sqrt(1 - β2^t) + ε))`.
 *
 * Arithmetic is float64 per element; `m` and `v` are rounded to float32 before the parameter update uses
 * them, because that is what they are once stored (as in PyTorch, which stores them before reading them
 * back for the update). GRACE trains with learning rate 1.0, where a sloppy update shows at once.
 */
export function adamStep(owner: object, args: AdamStepArguments): void {
  validateAdamStepArguments(args);
  const parameter = readCpuTensor(args.parameter, owner, 'parameter');
  const gradient = readCpuTensor(args.gradient, owner, 'gradient');
  const firstMoment = readCpuTensor(args.firstMoment, owner, 'firstMoment');
  const secondMoment = readCpuTensor(args.secondMoment, owner, 'secondMoment');
  // The parameter changes in place: a resident copy kept for matrix products would go stale.
  WasmMatrixProducts.shared?.unmarkStable(parameter);
  const { learningRate, beta1, beta2, epsilon } = args.hyperparameters;
  const stepSize = learningRate / (1 - beta1 ** args.step);
  const secondCorrectionRoot = Math.sqrt(1 - beta2 ** args.step);
  for (let element = 0; element < parameter.length; element++) {
    const gradientElement = gradient[element];
    const first = Math.fround(beta1 * firstMoment[element] + (1 - beta1) * gradientElement);
    const second = Math.fround(
      beta2 * secondMoment[element] + (1 - beta2) * gradientElement * gradientElement,
    );
    firstMoment[element] = first;
    secondMoment[element] = second;
    parameter[element] =
      parameter[element] - stepSize * (first / (Math.sqrt(second) / secondCorrectionRoot + epsilon));
  }
  for (const written of [args.parameter, args.firstMoment, args.secondMoment]) {
    resolveCpuTensor(written, owner, 'parameter').noteWritten();
  }
}
