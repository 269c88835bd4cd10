import { GraceError } from '@grace/core';
import { candidateNodes, nodeName } from './cut-onnx-model.js';
import { type OnnxModelProto, onnx, onnxDataType } from './onnx-proto-types.js';
import type { OnnxModel } from './read-onnx-model.js';

/** Input of {@link replaceableLayerModel}: the replacement of the layer output, the layer output's shape. */
export const replacementValuesInput = 'grace:replacement';
/** Input of {@link replaceableLayerModel}: bool, the layer output's shape with the last axis 1; true = replace. */
export const replacementMaskInput = 'grace:replaced';

/**
 * The whole model with the output of the MatMul/Gemm `editAt` replaceable from outside:
 * `Where(grace:replaced, grace:replacement, frozen output)`. A cached decoding step that must replace the new
 * tokens' layer output (`all` mode) then runs one session, like the plain model, instead of a prefix and a
 * suffix; tokens whose mask is false keep the frozen output bit for bit.
 */
export function replaceableLayerModel(model: OnnxModel, editAt: string): OnnxModelProto {
  const graph = model.proto.graph ?? {};
  const nodes = graph.node ?? [];
  const node = candidateNodes(model).find(
    (entry) => nodeName(entry) === editAt || entry.output?.[0] === editAt,
  );
  if (node === undefined) {
    throw new GraceError('INVALID_ARGUMENT', `'${editAt}' is not a MatMul or Gemm node of the decoder`, {
      editAt,
    });
  }
  const output = node.output?.[0] ?? '';
  const frozen = `${output}:frozen`;
  const position = nodes.indexOf(node);
  const renamed = onnx.NodeProto.create({ ...node, output: [frozen] });
  const where = onnx.NodeProto.create({
    name: 'grace:replace-layer-output',
    opType: 'Where',
    input: [replacementMaskInput, replacementValuesInput, frozen],
    output: [output],
  });
  const input = (name: string, elemType: number) =>
    onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType } } });
  return onnx.ModelProto.create({
    ...model.proto,
    graph: onnx.GraphProto.create({
      ...graph,
      node: [...nodes.slice(0, position), renamed, where, ...nodes.slice(position + 1)],
      input: [
        ...(graph.input ?? []),
        input(replacementMaskInput, onnxDataType.bool),
        input(replacementValuesInput, onnxDataType.float),
      ],
    }),
  });
}
