import { GraceError } from '@grace/core';
import type { OnnxGraphProto, OnnxNodeProto } from './onnx-proto-types.js';
import type { OnnxModel } from './read-onnx-model.js';

/** A MatMul or Gemm inside a control-flow node's subgraph (`If` branches, `Loop` and `Scan` bodies). */
export interface SubgraphLayer {
  /** The layer's name (or its output's). */
  readonly name: string;
  /** The top-level node whose subgraph holds it, e.g. an `If`. */
  readonly holder: string;
  readonly holderOpType: string;
}

function nameOf(node: OnnxNodeProto): string {
  return node.name || (node.output?.[0] ?? '');
}

/** Every MatMul or Gemm that lives inside a subgraph of a top-level node, with the node that holds it. */
export function subgraphLayers(model: OnnxModel): SubgraphLayer[] {
  const found: SubgraphLayer[] = [];
  const visit = (graph: OnnxGraphProto, holder: OnnxNodeProto): void => {
    for (const node of graph.node ?? []) {
      if (node.opType === 'MatMul' || node.opType === 'Gemm')
        found.push({ name: nameOf(node), holder: nameOf(holder), holderOpType: holder.opType ?? '' });
      for (const attribute of node.attribute ?? []) {
        if (attribute.g) visit(attribute.g, holder);
        for (const subgraph of attribute.graphs ?? []) visit(subgraph, holder);
      }
    }
  };
  for (const node of model.proto.graph?.node ?? []) {
    for (const attribute of node.attribute ?? []) {
      if (attribute.g) visit(attribute.g, node);
      for (const subgraph of attribute.graphs ?? []) visit(subgraph, node);
    }
  }
  return found;
}

/**
 * The error for layers GRACE cannot cut: those inside `If` / `Loop` / `Scan` subgraphs run only when (and as often
 * as) the control flow decides, so they have no single per-example input and output to wrap. `editAt` (when
 * given) is the layer asked for.
 */
export function subgraphLayerError(layers: readonly SubgraphLayer[], editAt?: string): GraceError {
  const asked = layers.find((layer) => layer.name === editAt);
  const where = asked ?? layers[0];
  const subject =
    asked === undefined
      ? `the model's MatMul/Gemm layers live inside control flow (e.g. '${where?.name}' in ${where?.holderOpType} '${where?.holder}')`
      : `layer '${asked.name}' lives inside the subgraph of ${asked.holderOpType} node '${asked.holder}'`;
  return new GraceError(
    'UNSUPPORTED_OP',
    `${subject}; GRACE cuts layers of the top-level graph only (export the model without control flow, e.g. with a fixed number of steps)`,
    { editAt, layers: layers.map((layer) => `${layer.holder}/${layer.name}`) },
  );
}
