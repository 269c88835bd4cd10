import {
  type CompiledValueStep,
  type ProgramValueOps,
  type SuffixProgram,
  type SuffixProgramForwardStep,
  type Tensor,
  validateAdamStepArguments,
  walkSuffixProgram,
} from '@grace/core';
import type { TfjsKernelContext } from '../kernel-context.js';
import type { ExplicitOp, InputAccess } from '../ops/explicit-op.js';
import { explicitOps } from '../ops/explicit-ops.js';
import { type AutodiffOpType, autodiffForwards, type OpForward } from '../ops/op-forward.js';
import { autodiffGradients, differentiatedInputs, largestWasmRank } from '../ops/tfjs-op-kernels.js';
import type { TfTensor } from '../tensorflow.js';
import { readHostIntegers, resolveTfjsTensor } from '../tfjs-tensor.js';
import { adamUpdate } from './adam-step.js';

/**
 * The tfjs backend's compiled value-training step: the whole suffix forward, its gradient and the Adam update
 * in ONE `tf.tidy` over raw tfjs tensors — the same tfjs ops as the per-op kernels (so the same values), without
 * a tidy, a handle and an ownership check per op, and without handing each intermediate back to core.
 * `undefined` for a program that differentiates anything besides one fed `parameter`, and on tfjs's wasm
 * backend for tensors above the rank its element-wise kernels compute correctly (the per-op path then refuses
 * them with a clear error).
 */
export function compileTfjsValueStep(
  context: TfjsKernelContext,
  program: SuffixProgram,
  parameter: string,
): CompiledValueStep | undefined {
  const { tf, owner } = context;
  const withRespectTo = program.gradient?.withRespectTo ?? [];
  const fed = program.feedSlots.get(parameter);
  if (withRespectTo.length !== 1 || withRespectTo[0]?.[0] !== parameter || fed === undefined)
    return undefined;
  if (tf.getBackend() === 'wasm' && program.shapes.some((shape) => shape.length > largestWasmRank))
    return undefined;
  return {
    step(args) {
      const parameterTensor = args.feeds[parameter] as Tensor<'float32'>;
      validateAdamStepArguments({ ...args, parameter: parameterTensor, gradient: parameterTensor });
      const handles = program.bind(args.feeds, (tensor) => tensor);
      const parameterHandle = resolveTfjsTensor(parameterTensor, owner, 'parameter');
      const firstMoment = resolveTfjsTensor(args.firstMoment, owner, 'firstMoment');
      const secondMoment = resolveTfjsTensor(args.secondMoment, owner, 'secondMoment');
      const results = tf.tidy(() => {
        const values = handles.map((handle) =>
          handle === undefined ? undefined : context.read(handle, 'feed'),
        );
        const { owned, gradients } = walkSuffixProgram(program, rawOps(context, handles), values);
        const gradient = gradients[fed.slot] ?? tf.zerosLike(parameterHandle.storage);
        const outputs = args.withOutputs
          ? program.outputs.map(([, slot]) => {
              const value = values[slot] as TfTensor;
              return owned[slot] ? value : tf.clone(value);
            })
          : [];
        const update = adamUpdate(
          tf,
          parameterHandle.storage,
          gradient,
          firstMoment.storage,
          secondMoment.storage,
          args,
        );
        return [...update, ...outputs];
      });
      const [nextParameter, nextFirst, nextSecond, ...outputs] = results as TfTensor[];
      parameterHandle.replace(nextParameter as TfTensor);
      firstMoment.replace(nextFirst as TfTensor);
      secondMoment.replace(nextSecond as TfTensor);
      return new Map(
        program.outputs.flatMap(([name, slot], position) => {
          const output = outputs[position];
          return output === undefined
            ? []
            : [[name, context.wrap(output, 'float32', program.shapes[slot] ?? [])]];
        }),
      );
    },
  };
}

/** A result that is one of its sources gets a clone, so that releasing one never frees the other. */
function fresh(
  tf: TfjsKernelContext['tf'],
  result: TfTensor,
  sources: readonly (TfTensor | undefined)[],
): TfTensor {
  return sources.includes(result) ? tf.clone(result) : result;
}

/** The walk's ops: each op's own tfjs forward and gradient, inside the step's one `tidy`. */
function rawOps(
  context: TfjsKernelContext,
  handles: readonly (Tensor | undefined)[],
): ProgramValueOps<TfTensor> {
  const { tf } = context;
  const accessOf = (
    step: SuffixProgramForwardStep,
    values: readonly (TfTensor | undefined)[],
  ): InputAccess => ({
    hostIntegers: (index) => {
      const handle = handles[step.inputs[index] as number];
      return handle === undefined
        ? ((values[index] as TfTensor).dataSync() as Int32Array)
        : readHostIntegers(handle as Tensor<'int32'>, context.owner, `${step.opType} input ${index}`);
    },
    transposed: (index) => {
      const handle = handles[step.inputs[index] as number];
      return handle === undefined
        ? tf.transpose(values[index] as TfTensor)
        : resolveTfjsTensor(handle, context.owner, `${step.opType} input ${index}`).derived(
            'transposed',
            (storage) => tf.transpose(storage),
            tf.keep,
          );
    },
  });
  return {
    forward(step, inputs) {
      const explicit = explicitOps[step.opType as keyof typeof explicitOps] as
        | ExplicitOp<unknown>
        | undefined;
      const result =
        explicit === undefined
          ? (autodiffForwards[step.opType as AutodiffOpType] as OpForward<unknown>)(
              tf,
              inputs,
              step.attributes,
              step.outputShape,
            )
          : explicit.forward(tf, inputs, step.attributes, step.outputShape, accessOf(step, inputs));
      return fresh(tf, result, inputs);
    },
    gradient(step, { inputs, output, outputGradient, needed }) {
      const sources = [...inputs, output, outputGradient];
      const explicit = explicitOps[step.opType as keyof typeof explicitOps] as
        | ExplicitOp<unknown>
        | undefined;
      if (explicit !== undefined) {
        return explicit
          .gradient(tf, {
            inputs,
            output,
            outputGradient,
            attributes: step.attributes,
            needed: needed.map((flag, index) => flag && inputs[index]?.dtype === 'float32'),
            access: accessOf(step, inputs),
          })
          .map((gradient) => (gradient === undefined ? undefined : fresh(tf, gradient, sources)));
      }
      const forward = autodiffForwards[step.opType as AutodiffOpType] as OpForward<unknown>;
      const differentiated = differentiatedInputs(inputs, needed);
      const perInput: (TfTensor | undefined)[] = inputs.map(() => undefined);
      if (differentiated.length === 0) return perInput;
      const computed = autodiffGradients(
        tf,
        forward,
        inputs,
        outputGradient,
        step.attributes,
        differentiated,
      );
      differentiated.forEach((inputIndex, position) => {
        perInput[inputIndex] = fresh(tf, computed[position] as TfTensor, sources);
      });
      return perInput;
    },
    add: (left, right) => tf.add(left, right),
    ones: (shape) => tf.ones([...shape]),
    release: (tensor) => tensor.dispose(),
  };
}
