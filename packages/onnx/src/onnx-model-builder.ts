import {
  type OnnxModelProto,
  type OnnxNodeProto,
  type OnnxTensorProto,
  type OnnxValueInfoProto,
  onnx,
  onnxDataType,
} from './onnx-proto-types.js';
import { encodeOnnxModel } from './read-onnx-model.js';
import { staticValueToTensor } from './static-value.js';

/** A graph input or output declaration: a name, float32 or int64, and dimensions (names for run-time sizes). */
export interface TensorDeclaration {
  readonly name: string;
  readonly shape: readonly (number | string)[];
  readonly type?: 'float32' | 'int64' | 'bool';
}

/** An ONNX attribute value as the builder takes it. */
export type BuilderAttribute =
  | number
  | string
  | readonly number[]
  | { readonly integers: readonly number[] }
  | { readonly float: number };

/**
 * A small writer of ONNX models, so tests can generate real ONNX files (MLPs, encoder blocks, bad models)
 * without Python, and the exporter can splice the codebook lookup into a graph.
 */
export function onnxNode(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  attributes: Readonly<Record<string, BuilderAttribute>> = {},
  name = outputs[0] ?? opType,
): OnnxNodeProto {
  return onnx.NodeProto.create({
    name,
    opType,
    input: [...inputs],
    output: [...outputs],
    attribute: Object.entries(attributes).map(([attributeName, value]) => {
      if (typeof value === 'string')
        return { name: attributeName, type: 3, s: new TextEncoder().encode(value) };
      if (typeof value === 'number')
        return Number.isInteger(value)
          ? { name: attributeName, type: 2, i: value }
          : { name: attributeName, type: 1, f: value };
      if (Array.isArray(value)) return { name: attributeName, type: 7, ints: [...value] };
      if ('float' in (value as object))
        return { name: attributeName, type: 1, f: (value as { float: number }).float };
      return { name: attributeName, type: 7, ints: [...(value as { integers: readonly number[] }).integers] };
    }),
  });
}

/** A float32 initializer. */
export function floatTensor(
  name: string,
  data: ArrayLike<number>,
  shape: readonly number[],
): OnnxTensorProto {
  return staticValueToTensor(name, { kind: 'float', data: Float32Array.from(data), shape });
}

/** An int64 initializer (shapes, axes, indices). */
export function integerTensor(
  name: string,
  data: readonly number[],
  shape: readonly number[] = [data.length],
): OnnxTensorProto {
  return staticValueToTensor(name, { kind: 'integer', data, shape });
}

/** A bool initializer (masks). */
export function boolTensor(
  name: string,
  data: readonly boolean[],
  shape: readonly number[],
): OnnxTensorProto {
  return {
    name,
    dataType: onnxDataType.bool,
    dims: [...shape],
    rawData: Uint8Array.from(data, (flag) => (flag ? 1 : 0)),
  };
}

/** A value-info declaration. */
export function tensorDeclaration(declaration: TensorDeclaration): OnnxValueInfoProto {
  const elemType =
    declaration.type === 'int64'
      ? onnxDataType.int64
      : declaration.type === 'bool'
        ? onnxDataType.bool
        : onnxDataType.float;
  return onnx.ValueInfoProto.create({
    name: declaration.name,
    type: {
      tensorType: {
        elemType,
        shape: {
          dim: declaration.shape.map((dimension) =>
            typeof dimension === 'number' ? { dimValue: dimension } : { dimParam: dimension },
          ),
        },
      },
    },
  });
}

/** A whole model at one opset of the default domain. */
export function onnxModel(parts: {
  readonly nodes: readonly OnnxNodeProto[];
  readonly inputs: readonly TensorDeclaration[];
  readonly outputs: readonly TensorDeclaration[];
  readonly initializers?: readonly OnnxTensorProto[];
  readonly opset?: number;
  readonly name?: string;
}): OnnxModelProto {
  return onnx.ModelProto.create({
    irVersion: 8,
    producerName: '@grace/onnx',
    opsetImport: [{ domain: '', version: parts.opset ?? 17 }],
    graph: {
      name: parts.name ?? 'graph',
      node: [...parts.nodes],
      input: parts.inputs.map(tensorDeclaration),
      output: parts.outputs.map(tensorDeclaration),
      initializer: [...(parts.initializers ?? [])],
    },
  });
}

/** {@link onnxModel} encoded to bytes. */
export function onnxModelBytes(parts: Parameters<typeof onnxModel>[0]): Uint8Array {
  return encodeOnnxModel(onnxModel(parts));
}
