import onnxProto from 'onnx-proto';

/**
 * The generated ONNX protobuf classes (onnx-proto, compiled from onnx.proto with protobufjs). One re-export, so
 * the rest of the package never touches the CommonJS default-import shape of that package.
 */
export const onnx = onnxProto.onnx;

export type OnnxModelProto = onnxProto.onnx.IModelProto;
export type OnnxGraphProto = onnxProto.onnx.IGraphProto;
export type OnnxNodeProto = onnxProto.onnx.INodeProto;
export type OnnxTensorProto = onnxProto.onnx.ITensorProto;
export type OnnxAttributeProto = onnxProto.onnx.IAttributeProto;
export type OnnxValueInfoProto = onnxProto.onnx.IValueInfoProto;

/** ONNX `TensorProto.DataType` codes this package reads or writes. */
export const onnxDataType = {
  float: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  double: 11,
} as const;

/** An int64 field as protobufjs decodes it: a number, or a Long-like object when it does not fit. */
export type LongLike = number | { toNumber(): number } | null | undefined;

/** Reads a protobuf int64 as a JavaScript number (ONNX dims and indices fit in 2^53). */
export function longToNumber(value: LongLike): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}
