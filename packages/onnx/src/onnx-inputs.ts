import { type Dimension, GraceError } from '@grace/core';
import * as ort from 'onnxruntime-node';
import { longToNumber } from './onnx-proto-types.js';
import type { OnnxModel } from './read-onnx-model.js';

/** One example of a model: its single input's data (batch dimension left out), or each input's by name. */
export type OnnxInput =
  | Float32Array
  | readonly number[]
  | Readonly<Record<string, Float32Array | readonly number[]>>;

/** A graph input with its per-example shape: numbers, and names for sizes known only at run time. */
export interface OnnxInputSpec {
  readonly name: string;
  /** onnxruntime tensor type: `float32`, `int64`, `int32` or `bool`. */
  readonly type: 'float32' | 'int64' | 'int32' | 'bool';
  /**
   * The shape of one example (the leading batch dimension removed). A name (`'sequence'`) is a size each batch
   * sets by its own examples (a batch padded to its longest row), at most one per input.
   */
  readonly exampleShape: readonly Dimension[];
}

const elementTypes: Readonly<Record<number, OnnxInputSpec['type']>> = {
  1: 'float32',
  6: 'int32',
  7: 'int64',
  9: 'bool',
};

/**
 * The model's real inputs (graph inputs that are not initializers). The first dimension is the batch; a named
 * dimension given in `dimensions` is fixed to that size; any other named dimension (a sequence length) stays a
 * name, its size set per batch by the examples. An input with two such names is refused (`INVALID_ARGUMENT`):
 * one example's data could not tell them apart.
 */
export function resolveInputSpecs(
  model: OnnxModel,
  dimensions: Readonly<Record<string, number>> = {},
): OnnxInputSpec[] {
  const graph = model.proto.graph ?? {};
  const initializers = new Set((graph.initializer ?? []).map((initializer) => initializer.name));
  return (graph.input ?? [])
    .filter((input) => !initializers.has(input.name))
    .map((input) => {
      const tensorType = input.type?.tensorType;
      const type = elementTypes[tensorType?.elemType ?? 0];
      if (type === undefined) {
        throw new GraceError(
          'UNSUPPORTED_OP',
          `input '${input.name}' has element type ${tensorType?.elemType}`,
          {
            input: input.name,
          },
        );
      }
      const dims = tensorType?.shape?.dim ?? [];
      const exampleShape = dims.slice(1).map((dimension, position): Dimension => {
        const value = longToNumber(dimension.dimValue);
        if (value > 0) return value;
        return (
          dimensions[dimension.dimParam ?? ''] ?? (dimension.dimParam || `${input.name}:${position + 1}`)
        );
      });
      if (exampleShape.filter((dimension) => typeof dimension === 'string').length > 1) {
        throw new GraceError(
          'INVALID_ARGUMENT',
          `input '${input.name}' [batch, ${exampleShape.join(', ')}] has several run-time dimensions: give all but one in options.dimensions`,
          { input: input.name, exampleShape },
        );
      }
      return { name: input.name ?? '', type, exampleShape };
    });
}

function exampleData(
  example: OnnxInput,
  spec: OnnxInputSpec,
  specs: readonly OnnxInputSpec[],
): ArrayLike<number> {
  if (example instanceof Float32Array || Array.isArray(example)) {
    if (specs.length !== 1) {
      throw new GraceError('INVALID_ARGUMENT', `the model has ${specs.length} inputs: give each by name`, {
        inputs: specs.map((entry) => entry.name),
      });
    }
    return example as ArrayLike<number>;
  }
  const data = (example as Readonly<Record<string, ArrayLike<number>>>)[spec.name];
  if (data === undefined)
    throw new GraceError('INVALID_ARGUMENT', `input '${spec.name}' is missing`, { input: spec.name });
  return data;
}

/** `shape` with each name replaced by its size in `sizes` (names without one stay). */
export function concreteExampleShape(
  shape: readonly Dimension[],
  sizes: ReadonlyMap<string, number>,
): Dimension[] {
  return shape.map((dimension) =>
    typeof dimension === 'number' ? dimension : (sizes.get(dimension) ?? dimension),
  );
}

/**
 * The sizes of the run-time dimensions of a batch, read from its first example: one name per input, so its size
 * is the input's length over the product of its fixed dimensions. Inputs sharing a name must agree.
 */
function runTimeSizes(specs: readonly OnnxInputSpec[], examples: readonly OnnxInput[]): Map<string, number> {
  const sizes = new Map<string, number>();
  const [first] = examples;
  if (first === undefined) return sizes;
  for (const spec of specs) {
    const name = spec.exampleShape.find((dimension): dimension is string => typeof dimension === 'string');
    if (name === undefined) continue;
    const fixed = spec.exampleShape.reduce<number>(
      (product, dimension) => product * (typeof dimension === 'number' ? dimension : 1),
      1,
    );
    const length = exampleData(first, spec, specs).length;
    const size = length / fixed;
    const known = sizes.get(name);
    if (!Number.isInteger(size) || size < 1 || (known !== undefined && known !== size)) {
      throw new GraceError(
        'SHAPE_MISMATCH',
        `example 0: input '${spec.name}' has ${length} values, which is not [${spec.exampleShape.join(', ')}]${known === undefined ? '' : ` with ${name} = ${known}`}`,
        { input: spec.name, dimension: name },
      );
    }
    sizes.set(name, size);
  }
  return sizes;
}

/**
 * onnxruntime feeds for a batch of examples, each checked against its input's example shape. A run-time
 * dimension takes its size from the batch's first example; every other example must have the same (pad a
 * batch of sequences to its longest row).
 */
export function batchFeeds(
  specs: readonly OnnxInputSpec[],
  examples: readonly OnnxInput[],
): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  const sizes = runTimeSizes(specs, examples);
  for (const spec of specs) {
    const exampleShape = concreteExampleShape(spec.exampleShape, sizes) as number[];
    const size = exampleShape.reduce((product, dimension) => product * dimension, 1);
    // float32 inputs are copied straight into the batch; other types go through float64 and are converted.
    const numbers =
      spec.type === 'float32'
        ? new Float32Array(examples.length * size)
        : new Float64Array(examples.length * size);
    examples.forEach((example, row) => {
      const data = exampleData(example, spec, specs);
      if (data.length !== size) {
        throw new GraceError(
          'SHAPE_MISMATCH',
          `example ${row}: input '${spec.name}' has ${data.length} values, expected ${size} ([${exampleShape.join(', ')}])`,
          { row, input: spec.name },
        );
      }
      numbers.set(data, row * size);
    });
    feeds[spec.name] =
      numbers instanceof Float32Array
        ? new ort.Tensor('float32', numbers, [examples.length, ...exampleShape])
        : makeTensor(spec.type, numbers, [examples.length, ...exampleShape]);
  }
  return feeds;
}

function makeTensor(type: OnnxInputSpec['type'], numbers: Float64Array, dims: number[]): ort.Tensor {
  if (type === 'float32') return new ort.Tensor('float32', Float32Array.from(numbers), dims);
  if (type === 'int32') return new ort.Tensor('int32', Int32Array.from(numbers), dims);
  if (type === 'bool')
    return new ort.Tensor(
      'bool',
      Uint8Array.from(numbers, (value) => (value === 0 ? 0 : 1)),
      dims,
    );
  return new ort.Tensor(
    'int64',
    BigInt64Array.from(numbers, (value) => BigInt(Math.trunc(value))),
    dims,
  );
}

/** The size load-time checks give every run-time dimension of synthetic examples. */
export const syntheticRunTimeSize = 6;

/**
 * Deterministic synthetic feeds for shape probing: floats in [0, 1), integers 0; run-time dimensions at the
 * sizes given (default {@link syntheticRunTimeSize}).
 */
export function probeFeeds(
  specs: readonly OnnxInputSpec[],
  batchSize: number,
  sizes: ReadonlyMap<string, number> = new Map(),
): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const spec of specs) {
    const dims = [batchSize, ...spec.exampleShape].map((dimension) =>
      typeof dimension === 'number' ? dimension : (sizes.get(dimension) ?? syntheticRunTimeSize),
    );
    const count = dims.reduce((product, dimension) => product * dimension, 1);
    const numbers = new Float64Array(count);
    if (spec.type === 'float32')
      for (let index = 0; index < count; index++) numbers[index] = ((index * 7919) % 1000) / 1000;
    feeds[spec.name] = makeTensor(spec.type, numbers, dims);
  }
  return feeds;
}

/**
 * Deterministic examples of the model's inputs (values in [0, 1)), for load-time checks; run-time dimensions at
 * {@link syntheticRunTimeSize}.
 */
export function syntheticExamples(specs: readonly OnnxInputSpec[], count: number): OnnxInput[] {
  return Array.from({ length: count }, (_, example) => {
    const record: Record<string, Float32Array> = {};
    for (const spec of specs) {
      const size = spec.exampleShape.reduce<number>(
        (product, dimension) => product * (typeof dimension === 'number' ? dimension : syntheticRunTimeSize),
        1,
      );
      record[spec.name] =
        spec.type === 'float32'
          ? Float32Array.from(
              { length: size },
              (_, index) => (((index + 1) * (example + 3) * 7919) % 1000) / 1000,
            )
          : new Float32Array(size);
    }
    return record;
  });
}

/** The batch dimension's name in every symbolic shape this package builds. */
export const batchDimension = 'batch';
