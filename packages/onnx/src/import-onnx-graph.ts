import {
  buildSuffixGraph,
  type DType,
  GraceError,
  type GraphInitializer,
  type GraphInput,
  type SuffixGraph,
} from '@grace/core';
import * as ort from 'onnxruntime-node';
import { foldedOpTypes, foldStaticValues } from './fold-static-values.js';
import { onnxOpTranslators } from './onnx-op-translators.js';
import {
  longToNumber,
  type OnnxModelProto,
  type OnnxTensorProto,
  onnx,
  onnxDataType,
} from './onnx-proto-types.js';
import { encodeOnnxModel, type OnnxModel } from './read-onnx-model.js';
import { probedShapeLookup, translateOnnxNodes } from './translate-onnx-nodes.js';

/** How to import a whole graph. */
export interface ImportOnnxGraphOptions {
  /**
   * Graph inputs whose values are fixed at import, as ONNX tensors by input name: they become constants, so a
   * Reshape's shape, a reduction's axes or a loss's labels given as inputs can be folded into the IR.
   */
  readonly constants?: Readonly<Record<string, OnnxTensorProto>>;
  /** Sizes of named input dimensions: the whole-graph import works on one concrete shape per input. */
  readonly dimensions?: Readonly<Record<string, number>>;
}

/** A whole ONNX graph in core's IR: inputs are the graph's inputs not given as constants, outputs its outputs. */
export interface ImportedOnnxGraph {
  readonly graph: SuffixGraph;
  /** The ONNX element type of each graph output, in order (the IR holds integers as int32). */
  readonly outputTypes: readonly number[];
}

const irInputTypes: Readonly<Record<number, DType>> = {
  [onnxDataType.float]: 'float32',
  [onnxDataType.int32]: 'int32',
  [onnxDataType.int64]: 'int32',
};

function inputShape(
  name: string,
  dims: readonly { dimValue?: unknown; dimParam?: string | null }[],
  dimensions: Readonly<Record<string, number>>,
): number[] {
  return dims.map((dimension, axis) => {
    const value = longToNumber(dimension.dimValue as number);
    if (value > 0 || (value === 0 && !dimension.dimParam)) return value;
    const named = dimensions[dimension.dimParam ?? ''];
    if (named === undefined)
      throw new GraceError(
        'INVALID_ARGUMENT',
        `input '${name}' dimension ${axis} ('${dimension.dimParam ?? '?'}') is not fixed: give its size in dimensions`,
        { input: name, dimension: dimension.dimParam },
      );
    return named;
  });
}

function syntheticTensor(type: DType, shape: readonly number[], onnxType: number): ort.Tensor {
  const count = shape.reduce((product, dimension) => product * dimension, 1);
  if (type === 'float32')
    return new ort.Tensor(
      'float32',
      Float32Array.from({ length: count }, (_, index) => (((index + 1) * 7919) % 1000) / 1000),
      [...shape],
    );
  return onnxType === onnxDataType.int64
    ? new ort.Tensor('int64', new BigInt64Array(count), [...shape])
    : new ort.Tensor('int32', new Int32Array(count), [...shape]);
}

/**
 * Imports a whole small ONNX graph (no edit point, no loss added) into core's suffix IR, through the same
 * translation as the suffix after a cut: constants and shape arithmetic folded, every node translated or
 * refused with `UNSUPPORTED_OP` naming it, folded values that are graph outputs kept as outputs (constant
 * initializers). Shapes come from one onnxruntime run on synthetic inputs of the declared shapes, after every
 * op has been checked, so a graph with an op the IR lacks is refused without running anything. Inputs must be
 * float32, or int32/int64 read only where the IR takes labels; the graph is built once before it is returned.
 */
export async function importOnnxGraph(
  model: OnnxModel,
  options: ImportOnnxGraphOptions = {},
): Promise<ImportedOnnxGraph> {
  const original = model.proto.graph ?? {};
  for (const node of original.node ?? []) {
    const opType = node.opType ?? '';
    const known = foldedOpTypes.has(opType) || Object.hasOwn(onnxOpTranslators, opType);
    if (!known || ((node.domain ?? '') !== '' && node.domain !== 'ai.onnx'))
      throw new GraceError(
        'UNSUPPORTED_OP',
        `node '${node.name || node.output?.[0]}': op '${opType}' has no counterpart in core's suffix op set v1`,
        { node: node.name, opType },
      );
  }
  const constants = options.constants ?? {};
  const runtimeInputs = (original.input ?? []).filter(
    (input) =>
      !Object.hasOwn(constants, input.name ?? '') &&
      !(original.initializer ?? []).some((initializer) => initializer.name === input.name),
  );
  const inputs: GraphInput[] = runtimeInputs.map((input) => {
    const name = input.name ?? '';
    const tensorType = input.type?.tensorType;
    const dtype = irInputTypes[tensorType?.elemType ?? -1];
    if (tensorType === null || tensorType === undefined || dtype === undefined)
      throw new GraceError(
        'UNSUPPORTED_OP',
        `input '${name}' is ${tensorType ? `a tensor of ONNX element type ${tensorType.elemType}` : 'not a tensor'}; the IR takes float32 (and int32 labels)`,
        { input: name },
      );
    return { name, dtype, shape: inputShape(name, tensorType.shape?.dim ?? [], options.dimensions ?? {}) };
  });
  const proto = onnx.ModelProto.create({
    ...model.proto,
    graph: onnx.GraphProto.create({
      ...original,
      input: runtimeInputs,
      initializer: [
        ...(original.initializer ?? []),
        ...Object.entries(constants).map(([name, tensor]) => onnx.TensorProto.create({ ...tensor, name })),
      ],
    }),
  });
  const tensors = await probeTensors(proto, inputs);
  const folding = { ...model, proto };
  const statics = foldStaticValues(
    folding,
    new Map([...tensors].map(([name, probed]) => [name, probed.shape])),
  );
  const translated = translateOnnxNodes(original.node ?? [], {
    opset: model.opset,
    statics,
    shapeOf: probedShapeLookup(tensors),
  });
  const initializers = new Map<string, GraphInitializer>(
    translated.initializers.map((initializer) => [initializer.name, initializer]),
  );
  const outputs = (original.output ?? []).map((output) => output.name ?? '');
  for (const output of outputs) {
    const value = statics.get(output);
    if (value === undefined || initializers.has(output)) continue;
    const data =
      value.kind === 'float'
        ? value.data
        : Int32Array.from(value.data, (entry) => {
            if (typeof entry !== 'number' || Math.abs(entry) >= 2 ** 31)
              throw new GraceError('UNSUPPORTED_OP', `output '${output}' has entries outside int32`, {
                output,
              });
            return entry;
          });
    initializers.set(output, { name: output, data, shape: [...value.shape] });
  }
  const graph: SuffixGraph = {
    name: original.name ?? 'graph',
    inputs,
    initializers: [...initializers.values()],
    nodes: translated.nodes,
    outputs,
  };
  buildSuffixGraph(graph);
  const outputTypes = (original.output ?? []).map(
    (output) => output.type?.tensorType?.elemType ?? onnxDataType.float,
  );
  return { graph, outputTypes };
}

/** Every tensor's shape and type, from one onnxruntime run with every tensor added as an output. */
async function probeTensors(
  proto: OnnxModelProto,
  inputs: readonly GraphInput[],
): Promise<Map<string, { shape: number[]; type: string }>> {
  const graph = proto.graph ?? {};
  const names = [
    ...new Set([
      ...(graph.node ?? []).flatMap((node) => node.output ?? []),
      ...inputs.map((input) => input.name),
    ]),
  ].filter((name) => name !== '');
  const existing = new Set((graph.output ?? []).map((output) => output.name));
  const probing = onnx.ModelProto.create({
    ...proto,
    graph: onnx.GraphProto.create({
      ...graph,
      output: [
        ...(graph.output ?? []),
        ...names.filter((name) => !existing.has(name)).map((name) => onnx.ValueInfoProto.create({ name })),
      ],
    }),
  });
  let session: ort.InferenceSession | undefined;
  try {
    session = await ort.InferenceSession.create(encodeOnnxModel(probing));
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of inputs) {
      const declared = (graph.input ?? []).find((entry) => entry.name === input.name);
      feeds[input.name] = syntheticTensor(
        input.dtype,
        input.shape as number[],
        declared?.type?.tensorType?.elemType ?? onnxDataType.float,
      );
    }
    const results = await session.run(feeds, names);
    return new Map(
      names.map((name) => {
        const tensor = results[name] as ort.Tensor;
        return [name, { shape: [...tensor.dims], type: tensor.type }];
      }),
    );
  } catch (error) {
    throw new GraceError(
      'GRAPH_INVALID',
      `onnxruntime could not run the graph to learn its shapes: ${(error as Error).message}`,
      {},
      { cause: error },
    );
  } finally {
    await session?.release();
  }
}
