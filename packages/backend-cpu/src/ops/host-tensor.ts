import { formatShape, GraceError, type Shape, shapeSize } from '@grace/core';

/**
 * A tensor in host memory as the host op implementations see it: a row-major typed array and its shape.
 *
 * It is a plain structure rather than a backend's tensor class so that every backend keeping its data on the
 * host (this one, a custom one, a worker) can run the same reference kernels through a thin adapter.
 */
export interface HostTensor<Data extends Float32Array | Int32Array = Float32Array | Int32Array> {
  readonly data: Data;
  readonly shape: readonly number[];
}

/** Arguments of {@link HostOp.gradient}: core's `OpGradientArguments`, over host tensors. */
export interface HostGradientArguments<Attributes> {
  readonly inputs: readonly (HostTensor | undefined)[];
  readonly output: HostTensor;
  readonly outputGradient: HostTensor;
  readonly attributes: Attributes;
  readonly needed: readonly boolean[];
}

/**
 * The forward and the vector-Jacobian product of one op over host arrays. Arithmetic runs in float64 and each
 * stored element is rounded to float32 once, so results are as close to the exact value as float32 allows.
 */
export interface HostOp<Attributes> {
  /** `outputShape` is core's inference; ops that cannot know their shape otherwise (Reshape) take it. */
  forward(
    inputs: readonly (HostTensor | undefined)[],
    attributes: Attributes,
    outputShape: Shape,
  ): HostTensor<Float32Array>;
  /** Per input: its gradient (shaped like it) where `needed`, `undefined` elsewhere. */
  gradient(args: HostGradientArguments<Attributes>): (HostTensor<Float32Array> | undefined)[];
}

/**
 * A float32 host tensor of `data`: a float32 array is taken as is (the caller made it fresh), anything else
 * (a float64 accumulator) is rounded to float32 element by element, to nearest, by the typed-array copy.
 */
export function floatTensor(data: ArrayLike<number>, shape: Shape): HostTensor<Float32Array> {
  return { data: data instanceof Float32Array ? data : new Float32Array(data), shape: [...shape] };
}

/**
 * Input `index` of a node. Core validates arity before any kernel runs, so a missing required input here
 * means a caller bypassed core; it fails loudly rather than computing on nothing.
 */
export function requireInput(inputs: readonly (HostTensor | undefined)[], index: number): HostTensor {
  const input = inputs[index];
  if (input === undefined) {
    throw new GraceError('INVALID_ARGUMENT', `required input ${index} is missing`, { index });
  }
  if (input.data.length !== shapeSize(input.shape)) {
    throw new GraceError(
      'SHAPE_MISMATCH',
      `input ${index} holds ${input.data.length} elements but its shape is ${formatShape(input.shape)}`,
      { index, shape: input.shape, length: input.data.length },
    );
  }
  return input;
}

/** The single element of a scalar (or one-element) gradient, e.g. a loss's `[]` output gradient. */
export function scalarOf(tensor: HostTensor): number {
  return tensor.data[0] as number;
}

/**
 * Gradients for the inputs that need them: `compute(index)` runs only for needed inputs, so a frozen weight's
 * gradient (often the most expensive, e.g. a MatMul weight) is never computed.
 */
export function neededGradients(
  needed: readonly boolean[],
  count: number,
  compute: (index: number) => HostTensor<Float32Array> | undefined,
): (HostTensor<Float32Array> | undefined)[] {
  const gradients: (HostTensor<Float32Array> | undefined)[] = [];
  for (let index = 0; index < count; index++) gradients.push(needed[index] ? compute(index) : undefined);
  return gradients;
}
