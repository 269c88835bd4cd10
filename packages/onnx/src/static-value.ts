import { type AttributeValue, type Dimension, GraceError } from '@grace/core';
import {
  longToNumber,
  type OnnxAttributeProto,
  type OnnxNodeProto,
  type OnnxTensorProto,
  onnxDataType,
} from './onnx-proto-types.js';

/**
 * A value known before any input arrives: a frozen weight, or a small integer tensor computed from shapes. Integer
 * entries may be symbolic (`'batch'`), which is how `Shape → Gather → Concat → Reshape` chains fold into a
 * Reshape whose target copies the batch dimension.
 */
export type StaticValue =
  | { readonly kind: 'float'; readonly data: Float32Array; readonly shape: readonly number[] }
  | {
      readonly kind: 'integer';
      readonly data: readonly Dimension[];
      readonly shape: readonly number[];
      /** The ONNX element type when it is known (a tensor read from the model); folded results keep it. */
      readonly dataType?: number;
    };

/** The values an ONNX integer element type holds (int64 as far as a double is exact). */
export function integerRange(dataType: number | undefined): readonly [number, number] {
  switch (dataType) {
    case onnxDataType.uint8:
      return [0, 255];
    case onnxDataType.int8:
      return [-128, 127];
    case onnxDataType.int32:
      return [-(2 ** 31), 2 ** 31 - 1];
    case onnxDataType.bool:
      return [0, 1];
    case 4: // uint16
      return [0, 65_535];
    case 5: // int16
      return [-32_768, 32_767];
    case 12: // uint32
      return [0, 2 ** 32 - 1];
    case 13: // uint64
      return [0, 2 ** 53];
    default:
      return [-(2 ** 53), 2 ** 53];
  }
}

function rawView(raw: Uint8Array): DataView {
  return new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
}

/** Decodes an ONNX tensor (typed fields or little-endian `raw_data`) into a static value. */
export function tensorToStaticValue(tensor: OnnxTensorProto, where: string): StaticValue {
  const shape = (tensor.dims ?? []).map((dimension) => longToNumber(dimension));
  const count = shape.reduce((product, dimension) => product * dimension, 1);
  const raw =
    tensor.rawData !== null && tensor.rawData !== undefined && tensor.rawData.length > 0
      ? tensor.rawData
      : undefined;
  const dataType = tensor.dataType ?? 0;
  if (dataType === onnxDataType.float || dataType === onnxDataType.double) {
    const data = new Float32Array(count);
    if (raw !== undefined) {
      const view = rawView(raw);
      for (let index = 0; index < count; index++)
        data[index] =
          dataType === onnxDataType.float
            ? view.getFloat32(index * 4, true)
            : view.getFloat64(index * 8, true);
    } else {
      data.set(dataType === onnxDataType.float ? (tensor.floatData ?? []) : (tensor.doubleData ?? []));
    }
    return { kind: 'float', data, shape };
  }
  if (
    [
      onnxDataType.int64,
      onnxDataType.int32,
      onnxDataType.bool,
      onnxDataType.int8,
      onnxDataType.uint8,
    ].includes(dataType as 7)
  ) {
    const data: number[] = new Array(count);
    if (raw !== undefined) {
      const view = rawView(raw);
      for (let index = 0; index < count; index++) {
        if (dataType === onnxDataType.int64) data[index] = Number(view.getBigInt64(index * 8, true));
        else if (dataType === onnxDataType.int32) data[index] = view.getInt32(index * 4, true);
        else if (dataType === onnxDataType.int8) data[index] = view.getInt8(index);
        else data[index] = view.getUint8(index);
      }
    } else {
      const listed = dataType === onnxDataType.int64 ? (tensor.int64Data ?? []) : (tensor.int32Data ?? []);
      listed.forEach((value, index) => {
        data[index] = longToNumber(value);
      });
    }
    return { kind: 'integer', data, shape, dataType };
  }
  throw new GraceError('UNSUPPORTED_OP', `${where}: tensor data type ${dataType} is not supported`, {
    where,
    dataType,
  });
}

const int64Max = 2n ** 63n - 1n;

/** Encodes a static value as an ONNX tensor (float32 or int64); symbolic entries cannot be written. */
export function staticValueToTensor(name: string, value: StaticValue): OnnxTensorProto {
  const dims = [...value.shape];
  if (value.kind === 'float') {
    return {
      name,
      dataType: onnxDataType.float,
      dims,
      rawData: new Uint8Array(
        value.data.buffer.slice(value.data.byteOffset, value.data.byteOffset + value.data.byteLength),
      ),
    };
  }
  const raw = new Uint8Array(value.data.length * 8);
  const view = rawView(raw);
  value.data.forEach((entry, index) => {
    if (typeof entry !== 'number')
      throw new GraceError('INVALID_ARGUMENT', `tensor '${name}' has a symbolic entry '${entry}'`, { name });
    // int64's extremes (INT64_MAX, an exporter's "to the end" in Slice) read as ±2^63 in a double: clamp them
    // back, or BigInt(2^63) would wrap to INT64_MIN and turn "to the end" into "to the start".
    const clamped =
      BigInt.asIntN(64, BigInt(entry)) === BigInt(entry)
        ? BigInt(entry)
        : entry > 0
          ? int64Max
          : -int64Max - 1n;
    view.setBigInt64(index * 8, clamped, true);
  });
  return { name, dataType: onnxDataType.int64, dims, rawData: raw };
}

/** Reads an ONNX attribute as the suffix IR's plain value (ints and floats as numbers, strings decoded). */
export function readAttribute(attribute: OnnxAttributeProto): AttributeValue | StaticValue | undefined {
  switch (attribute.type) {
    case 1:
      return attribute.f ?? 0;
    case 2:
      return longToNumber(attribute.i);
    case 3:
      return new TextDecoder().decode(attribute.s ?? new Uint8Array());
    case 4:
      return attribute.t === null || attribute.t === undefined
        ? undefined
        : tensorToStaticValue(attribute.t, `attribute '${attribute.name}'`);
    case 6:
      return [...(attribute.floats ?? [])];
    case 7:
      return (attribute.ints ?? []).map((value) => longToNumber(value));
    default:
      return undefined;
  }
}

/** A node's attributes by name, read with {@link readAttribute}. */
export function nodeAttributes(node: OnnxNodeProto): Map<string, AttributeValue | StaticValue> {
  const attributes = new Map<string, AttributeValue | StaticValue>();
  for (const attribute of node.attribute ?? []) {
    const value = readAttribute(attribute);
    if (value !== undefined && attribute.name) attributes.set(attribute.name, value);
  }
  return attributes;
}

/** The value of a `Constant` node (its `value`, `value_float(s)` or `value_int(s)` attribute). */
export function constantNodeValue(node: OnnxNodeProto): StaticValue {
  const attributes = nodeAttributes(node);
  const value = attributes.get('value');
  if (typeof value === 'object' && value !== null && 'kind' in value) return value;
  const floatValue = attributes.get('value_float') ?? attributes.get('value_floats');
  if (typeof floatValue === 'number') return { kind: 'float', data: Float32Array.of(floatValue), shape: [] };
  if (Array.isArray(floatValue))
    return { kind: 'float', data: Float32Array.from(floatValue as number[]), shape: [floatValue.length] };
  const integerValue = attributes.get('value_int') ?? attributes.get('value_ints');
  if (typeof integerValue === 'number') return { kind: 'integer', data: [integerValue], shape: [] };
  if (Array.isArray(integerValue))
    return { kind: 'integer', data: [...(integerValue as number[])], shape: [integerValue.length] };
  throw new GraceError('UNSUPPORTED_OP', `node '${node.name}' (Constant): no supported value attribute`, {
    node: node.name,
    opType: 'Constant',
  });
}
