import { type Dimension, GraceError, type SymbolicShape } from '@grace/core';
import * as ort from 'onnxruntime-node';
import { longToNumber } from './onnx-proto-types.js';
import type { OnnxModel } from './read-onnx-model.js';

/** One example of a model: its single input's data (batch dimension left out), or each input's by name. */
export type OnnxInput =
  | Float32Array
  | readonly number[]
  | Readonly<Record<string, Float32Array | readonly number[]>>;

/** A graph input with its per-example shape resolved (every dimension but the batch one is a number). */
export interface OnnxInputSpec {
  readonly name: string;
  /** onnxruntime tensor type: `float32`, `int64`, `int32` or `bool`. */
  readonly type: 'float32' | 'int64' | 'int32' | 'bool';
  /** The shape of one example (the leading batch dimension removed). */
  readonly exampleShape: readonly number[];
}

const elementTypes: Readonly<Record<number, OnnxInputSpec['type']>> = {
  1: 'float32',
  6: 'int32',
  7: 'int64',
  9: 'bool',
};

/**
 * The model's real inputs (graph inputs that are not initializers). The first dimension is the batch; other
 * symbolic dimensions (an image's height and width, a sequence length) must be given in `dimensions`, because
 * the suffix graph is built once, for one shape per example.
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
      const exampleShape = dims.slice(1).map((dimension, position) => {
        const value = longToNumber(dimension.dimValue);
        if (value > 0) return value;
        const named = dimensions[dimension.dimParam ?? ''];
        if (named === undefined) {
          throw new GraceError(
            'INVALID_ARGUMENT',
            `input '${input.name}' dimension ${position + 1} ('${dimension.dimParam ?? '?'}') is not fixed: give its size in options.dimensions`,
            { input: input.name, dimension: dimension.dimParam },
          );
        }
        return named;
      });
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

/** onnxruntime feeds for a batch of examples, each checked against its input's example shape. */
export function batchFeeds(
  specs: readonly OnnxInputSpec[],
  examples: readonly OnnxInput[],
): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const spec of specs) {
    const size = spec.exampleShape.reduce((product, dimension) => product * dimension, 1);
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
          `example ${row}: input '${spec.name}' has ${data.length} values, expected ${size} ([${spec.exampleShape.join(', ')}])`,
          { row, input: spec.name },
        );
      }
      numbers.set(data, row * size);
    });
    feeds[spec.name] =
      numbers instanceof Float32Array
        ? new ort.Tensor('float32', numbers, [examples.length, ...spec.exampleShape])
        : makeTensor(spec.type, numbers, [examples.length, ...spec.exampleShape]);
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

/** Deterministic synthetic feeds for shape probing: floats in [0, 1), integers 0. */
export function probeFeeds(specs: readonly OnnxInputSpec[], batchSize: number): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const spec of specs) {
    const dims = [batchSize, ...spec.exampleShape];
    const count = dims.reduce((product, dimension) => product * dimension, 1);
    const numbers = new Float64Array(count);
    if (spec.type === 'float32')
      for (let index = 0; index < count; index++) numbers[index] = ((index * 7919) % 1000) / 1000;
    feeds[spec.name] = makeTensor(spec.type, numbers, dims);
  }
  return feeds;
}

/** Deterministic examples of the model's inputs (values in [0, 1)), for load-time checks. */
export function syntheticExamples(specs: readonly OnnxInputSpec[], count: number): OnnxInput[] {
  return Array.from({ length: count }, (_, example) => {
    const record: Record<string, Float32Array> = {};
    for (const spec of specs) {
      const size = spec.exampleShape.reduce((product, dimension) => product * dimension, 1);
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

/**
 * A symbolic shape from the same tensor's shapes at two batch sizes: a dimension that grows with the batch is
 * `batch` (or `batch*k` when it is k times the batch, e.g. batch × heads), every other one is a number.
 */
export function symbolicShapeFromProbes(
  first: readonly number[],
  second: readonly number[],
  firstBatch: number,
  secondBatch: number,
): SymbolicShape {
  return first.map((dimension, axis): Dimension => {
    const other = second[axis] as number;
    if (other === dimension) return dimension;
    const factor = dimension / firstBatch;
    return factor === 1
      ? batchDimension
      : `${batchDimension}*${factor === other / secondBatch ? factor : '?'}`;
  });
}
