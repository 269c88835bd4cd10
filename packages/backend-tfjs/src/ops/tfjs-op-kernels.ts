import {
  formatShape,
  GraceError,
  type OpKernel,
  type Shape,
  type SuffixKernels,
  type SuffixOpType,
  shapesEqual,
  suffixOpTypes,
  type Tensor,
} from '@grace/core';
import type { TfjsKernelContext } from '../kernel-context.js';
import type { TensorFlow, TfTensor } from '../tensorflow.js';
import { readHostIntegers, resolveTfjsTensor } from '../tfjs-tensor.js';
import type { ExplicitOp, InputAccess } from './explicit-op.js';
import { explicitOps } from './explicit-ops.js';
import { type AutodiffOpType, autodiffForwards, type OpForward } from './op-forward.js';

/**
 * A result that is the very tfjs tensor of an input (autodiff may hand `dy` straight back) must not become a
 * second handle on the same storage, or disposing one handle would free the other's data.
 */
function fresh(
  context: TfjsKernelContext,
  result: TfTensor,
  sources: readonly (TfTensor | undefined)[],
): TfTensor {
  return sources.includes(result) ? context.tf.clone(result) : result;
}

/** The largest rank tfjs's wasm backend computes element-wise ops on correctly (tfjs 4.22). */
export const largestWasmRank = 6;

/**
 * Reads each handle (`FOREIGN_TENSOR` / `DISPOSED_TENSOR` as every kernel reports them). On tfjs's wasm backend
 * an input of rank above 6 is `UNSUPPORTED_OP`: its element-wise kernels (`mul`, `sub`, ...) silently give wrong
 * values from rank 7 on, even for operands of one shape, and a refusal beats a wrong gradient.
 */
function readInputs(
  context: TfjsKernelContext,
  type: SuffixOpType,
  inputs: readonly (Tensor | undefined)[],
): (TfTensor | undefined)[] {
  const tooHigh = inputs.find((input) => input !== undefined && input.shape.length > largestWasmRank);
  if (tooHigh !== undefined && context.tf.getBackend() === 'wasm') {
    throw new GraceError(
      'UNSUPPORTED_OP',
      `${type}: an input of rank ${tooHigh.shape.length} ${formatShape(tooHigh.shape)}; tfjs's wasm backend ` +
        `computes element-wise ops above rank ${largestWasmRank} wrongly (use the tfjs cpu backend)`,
      { op: type, shape: tooHigh.shape },
    );
  }
  return inputs.map((input, index) =>
    input === undefined ? undefined : context.read(input, `${type} input ${index}`),
  );
}

function inputAccessOf(
  context: TfjsKernelContext,
  type: SuffixOpType,
  inputs: readonly (Tensor | undefined)[],
): InputAccess {
  const name = (index: number) => `${type} input ${index}`;
  return {
    hostIntegers: (index) => readHostIntegers(inputs[index] as Tensor<'int32'>, context.owner, name(index)),
    transposed: (index) =>
      resolveTfjsTensor(inputs[index] as Tensor, context.owner, name(index)).derived(
        'transposed',
        (storage) => context.tf.transpose(storage),
        context.tf.keep,
      ),
  };
}

/** Core's shape inference and the kernel must agree; a disagreement is a bug worth reporting at once. */
function checkedOutput(
  context: TfjsKernelContext,
  type: SuffixOpType,
  result: TfTensor,
  outputShape: Shape,
): Tensor<'float32'> {
  if (!shapesEqual(result.shape, outputShape)) {
    result.dispose();
    throw new GraceError(
      'SHAPE_MISMATCH',
      `${type} computed ${formatShape(result.shape)} where core inferred ${formatShape(outputShape)}`,
      {
        op: type,
        computed: result.shape,
        inferred: outputShape,
      },
    );
  }
  return context.wrap(result, 'float32', outputShape);
}

/** Wraps per-input gradients as handles shaped like their inputs; `undefined` stays `undefined`. */
function wrapGradients(
  context: TfjsKernelContext,
  inputs: readonly (Tensor | undefined)[],
  gradients: readonly (TfTensor | undefined)[],
): (Tensor<'float32'> | undefined)[] {
  return inputs.map((input, index) => {
    const gradient = gradients[index];
    if (gradient === undefined || input === undefined) {
      gradient?.dispose();
      return undefined;
    }
    return context.wrap(gradient, 'float32', input.shape);
  });
}

/**
 * The gradients of an autodiff op for the `differentiated` input indices: `tf.grads` of its forward, each
 * reshaped like its input. Call inside `tf.tidy`.
 */
export function autodiffGradients<Attributes>(
  tf: TensorFlow,
  forward: OpForward<Attributes>,
  storages: readonly (TfTensor | undefined)[],
  dy: TfTensor,
  attributes: Attributes,
  differentiated: readonly number[],
): TfTensor[] {
  const of = tf.grads((...variables: TfTensor[]) => {
    const all = [...storages];
    differentiated.forEach((inputIndex, position) => {
      all[inputIndex] = variables[position];
    });
    return forward(tf, all, attributes, dy.shape);
  });
  // Each differentiated input gets its own clone: an op fed one tensor twice (Mul(x, x)) must report a
  // gradient per input slot, while the tape would give both slots the total.
  const computed = of(
    differentiated.map((index) => tf.clone(storages[index] as TfTensor)),
    dy,
  );
  return computed.map((gradient, position) =>
    tf.reshape(gradient, (storages[differentiated[position] as number] as TfTensor).shape),
  );
}

/** The inputs an autodiff op differentiates: needed, present and float. */
export function differentiatedInputs(
  storages: readonly (TfTensor | undefined)[],
  needed: readonly boolean[],
): number[] {
  return storages.flatMap((storage, index) =>
    needed[index] === true && storage !== undefined && storage.dtype === 'float32' ? [index] : [],
  );
}

/** An op whose gradient is `tf.grads` of its forward, taken only with respect to the needed inputs. */
function autodiffKernel<Attributes>(
  context: TfjsKernelContext,
  type: SuffixOpType,
  forward: OpForward<Attributes>,
): OpKernel<Attributes> {
  const { tf } = context;
  return {
    forward(inputs, attributes, outputShape) {
      const storages = readInputs(context, type, inputs);
      const result = tf.tidy(() => fresh(context, forward(tf, storages, attributes, outputShape), storages));
      return checkedOutput(context, type, result, outputShape);
    },
    gradient({ inputs, outputGradient, attributes, needed }) {
      const storages = readInputs(context, type, inputs);
      const dy = context.read(outputGradient, `${type} output gradient`);
      const differentiated = differentiatedInputs(storages, needed);
      if (differentiated.length === 0) return inputs.map(() => undefined);
      const gradients = tf.tidy(() =>
        autodiffGradients(tf, forward, storages, dy, attributes, differentiated).map((gradient) =>
          fresh(context, gradient, [...storages, dy]),
        ),
      );
      const perInput: (TfTensor | undefined)[] = inputs.map(() => undefined);
      differentiated.forEach((inputIndex, position) => {
        perInput[inputIndex] = gradients[position];
      });
      return wrapGradients(context, inputs, perInput);
    },
  };
}

/** An op with a hand-written gradient. */
function explicitKernel<Attributes>(
  context: TfjsKernelContext,
  type: SuffixOpType,
  op: ExplicitOp<Attributes>,
): OpKernel<Attributes> {
  const { tf } = context;
  return {
    forward(inputs, attributes, outputShape) {
      const storages = readInputs(context, type, inputs);
      const access = inputAccessOf(context, type, inputs);
      const result = tf.tidy(() =>
        fresh(context, op.forward(tf, storages, attributes, outputShape, access), storages),
      );
      return checkedOutput(context, type, result, outputShape);
    },
    gradient(args) {
      const storages = readInputs(context, type, args.inputs);
      const output = context.read(args.output, `${type} output`);
      const outputGradient = context.read(args.outputGradient, `${type} output gradient`);
      const needed = args.needed.map((flag, index) => flag && storages[index]?.dtype === 'float32');
      const access = inputAccessOf(context, type, args.inputs);
      const gradients = tf.tidy(() =>
        op
          .gradient(tf, {
            inputs: storages,
            output,
            outputGradient,
            attributes: args.attributes,
            needed,
            access,
          })
          .map((gradient) =>
            gradient === undefined
              ? undefined
              : fresh(context, gradient, [...storages, output, outputGradient]),
          ),
      );
      return wrapGradients(context, args.inputs, gradients);
    },
  };
}

/**
 * The suffix kernels of the tfjs backend: every op of set v1 with tfjs ops, gradients by `tf.grads` of the
 * forward or by hand (see `explicit-ops.ts`), each call one `tf.tidy` so that only the returned tensors live.
 */
export function createTfjsOpKernels(context: TfjsKernelContext): SuffixKernels {
  const entries = suffixOpTypes.map((type) => {
    const kernel =
      type in explicitOps
        ? explicitKernel(context, type, explicitOps[type as keyof typeof explicitOps] as ExplicitOp<unknown>)
        : autodiffKernel(context, type, autodiffForwards[type as AutodiffOpType] as OpForward<unknown>);
    return [type, kernel] as const;
  });
  return Object.freeze(Object.fromEntries(entries)) as unknown as SuffixKernels;
}
