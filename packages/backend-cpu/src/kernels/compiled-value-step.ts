import {
  type CompiledValueStep,
  type ProgramValueOps,
  type SuffixProgram,
  shapeSize,
  type Tensor,
  walkSuffixProgram,
} from '@grace/core';
import { CpuTensor, readCpuTensor } from '../cpu-tensor.js';
import { hostOps } from '../ops/host-ops.js';
import type { HostOp, HostTensor } from '../ops/host-tensor.js';
import { adamStep } from './adam-step.js';

/** The walk over raw host arrays: the reference host ops, no tensor handles in between. */
const hostValueOps: ProgramValueOps<HostTensor> = {
  forward: (step, inputs) =>
    (hostOps[step.opType] as HostOp<unknown>).forward(inputs, step.attributes, step.outputShape),
  gradient: (step, args) =>
    (hostOps[step.opType] as HostOp<unknown>).gradient({
      ...args,
      output: args.output as HostTensor<Float32Array>,
      outputGradient: args.outputGradient as HostTensor<Float32Array>,
      attributes: step.attributes,
    }),
  add: (left, right) => hostOps.Add.forward([left, right], {}, left.shape),
  ones: (shape) => ({ data: new Float32Array([1]), shape }),
  // Host arrays go to the garbage collector.
  release: () => undefined,
};

/**
 * The cpu backend's compiled value-training step: a program walked over the host arrays behind the handles
 * with the same reference ops the kernels use (so the same values), then `adamStep` on the trained input —
 * without a handle, an ownership check or a copy per op. `undefined` for a program that differentiates
 * anything besides one fed `parameter`.
 */
export function compileCpuValueStep(
  owner: object,
  program: SuffixProgram,
  parameter: string,
): CompiledValueStep | undefined {
  const withRespectTo = program.gradient?.withRespectTo ?? [];
  const fed = program.feedSlots.get(parameter);
  if (withRespectTo.length !== 1 || withRespectTo[0]?.[0] !== parameter || fed === undefined)
    return undefined;
  return {
    step(args) {
      const values = program.bind(
        args.feeds,
        (tensor): HostTensor => ({
          data: readCpuTensor(tensor, owner, 'feed'),
          shape: tensor.shape,
        }),
      );
      const { gradients } = walkSuffixProgram(program, hostValueOps, values);
      const outputs = new Map<string, CpuTensor<'float32'>>();
      if (args.withOutputs) {
        // Copies: an output may share the parameter's array, which the update below changes in place.
        for (const [name, slot] of program.outputs) {
          const { data, shape } = values[slot] as HostTensor;
          outputs.set(name, new CpuTensor(owner, 'float32', (data as Float32Array).slice(), shape));
        }
      }
      const gradient = new CpuTensor(
        owner,
        'float32',
        (gradients[fed.slot]?.data as Float32Array | undefined) ?? new Float32Array(shapeSize(fed.shape)),
        fed.shape,
      );
      try {
        adamStep(owner, {
          parameter: args.feeds[parameter] as Tensor<'float32'>,
          gradient,
          firstMoment: args.firstMoment,
          secondMoment: args.secondMoment,
          step: args.step,
          hyperparameters: args.hyperparameters,
        });
      } catch (error) {
        for (const tensor of outputs.values()) tensor.release();
        throw error;
      } finally {
        gradient.release();
      }
      return outputs;
    },
  };
}
