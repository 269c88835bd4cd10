import { type AdamStepArguments, validateAdamStepArguments } from '@grace/core';
import { elementDispatch, elementShader, type GpuProgram, input, output, Params } from '../gpu-program.js';
import type { WebGpuContext } from '../webgpu-context.js';

/**
 * params: [count, β1, 1-β1, β2, 1-β2, stepSize, √(1-β2^t), ε] (floats as bits): PyTorch's Adam in place.
 * The bias corrections are computed on the host in float64, once per step, rather than per element.
 */
export const adamStepProgram: GpuProgram = {
  shaderKey: 'adamStep',
  workgroupSize: 64,
  bindings: [output('parameter'), input('gradient'), output('firstMoment'), output('secondMoment')],
  wgsl: () =>
    elementShader({
      bindings: adamStepProgram.bindings,
      workgroupSize: 64,
      body: `
  let beta1 = bitcast<f32>(params[1]);
  let oneMinusBeta1 = bitcast<f32>(params[2]);
  let beta2 = bitcast<f32>(params[3]);
  let oneMinusBeta2 = bitcast<f32>(params[4]);
  let stepSize = bitcast<f32>(params[5]);
  let correctionRoot = bitcast<f32>(params[6]);
  let epsilon = bitcast<f32>(params[7]);
  let g = gradient[index];
  let first = beta1 * firstMoment[index] + oneMinusBeta1 * g;
  let second = beta2 * secondMoment[index] + oneMinusBeta2 * g * g;
  firstMoment[index] = first;
  secondMoment[index] = second;
  parameter[index] = parameter[index] - stepSize * (first / (sqrt(second) / correctionRoot + epsilon));`,
    }),
};

/** One Adam update of parameter and moments, in place on the device. */
export function adamStep(context: WebGpuContext, args: AdamStepArguments): void {
  validateAdamStepArguments(args);
  const parameter = context.read(args.parameter, 'parameter');
  const gradient = context.read(args.gradient, 'gradient');
  const firstMoment = context.read(args.firstMoment, 'firstMoment');
  const secondMoment = context.read(args.secondMoment, 'secondMoment');
  const { learningRate, beta1, beta2, epsilon } = args.hyperparameters;
  const count = parameter.size;
  if (count === 0) return;
  context.run([
    {
      program: adamStepProgram,
      buffers: [parameter.buffer, gradient.buffer, firstMoment.buffer, secondMoment.buffer],
      params: new Params()
        .u32(count)
        .f32(beta1)
        .f32(1 - beta1)
        .f32(beta2)
        .f32(1 - beta2)
        .f32(learningRate / (1 - beta1 ** args.step))
        .f32(Math.sqrt(1 - beta2 ** args.step))
        .f32(epsilon),
      groups: elementDispatch(count),
    },
  ]);
}
