import { GraceError } from '@grace/core';
import { type FlattenedTokenSpan, flattenedTokenSpan, isTokenSpan } from './flattened-token-span.js';
import { foldStaticValues } from './fold-static-values.js';
import { onnxNode } from './onnx-model-builder.js';
import {
  type OnnxModelProto,
  type OnnxNodeProto,
  type OnnxTensorProto,
  type OnnxValueInfoProto,
  onnx,
} from './onnx-proto-types.js';
import { type ProbedTensor, probeShapes } from './probe-shapes.js';
import type { OnnxModel } from './read-onnx-model.js';
import { type StaticValue, staticValueToTensor } from './static-value.js';
import { subgraphLayerError, subgraphLayers } from './subgraph-layers.js';

/** The suffix's name for the edited layer's output when that output is also the model's. */
export const layerOutputAlias = 'grace:prediction';

/** A MatMul or Gemm node where GRACE can wrap the model. */
export interface EditPoint {
  /** The node's name (or its output's, when the node has none): what `editAt` takes. */
  readonly name: string;
  readonly opType: 'MatMul' | 'Gemm';
  /** The layer input, where keys come from. */
  readonly input: string;
  /** The layer output, which a firing key replaces. */
  readonly output: string;
  readonly inputShape: readonly (number | string)[];
  readonly outputShape: readonly (number | string)[];
  /**
   * For a Gemm on tokens folded into rows (`[B·T, D]` between two Reshapes, as the dynamo exporter writes a
   * transformer's Linear): the Gemm's own input and output. `input` and `output` are then the `[B, T, D]` and
   * `[B, T, D']` tensors around the Reshapes, so keys and replacements act per example and per token.
   */
  readonly flattened?: { readonly input: string; readonly output: string };
}

/** A model cut at one edit point: the prefix model, the suffix nodes, and what crosses between them. */
export interface OnnxCut {
  readonly model: OnnxModel;
  readonly editPoint: EditPoint;
  /** The original graph's nodes after the cut (those that depend on the layer output and reach an output). */
  readonly suffixNodes: readonly OnnxNodeProto[];
  /**
   * Tensors the suffix reads from before the cut, other than the layer output and constants: residual streams,
   * masks, and shape tensors that depend on the batch. The prefix model outputs them.
   */
  readonly crossingTensors: readonly string[];
  /** What the suffix computes: the model's outputs, or {@link layerOutputAlias} for the layer output itself. */
  readonly outputs: readonly string[];
  /** The original model's name of each of `outputs`, in the same order. */
  readonly modelOutputs: readonly string[];
  /** Probed shapes and types of every tensor the suffix touches. */
  readonly tensors: ReadonlyMap<string, ProbedTensor>;
  /** Values known without inputs (weights, folded shape arithmetic). */
  readonly statics: ReadonlyMap<string, StaticValue>;
  /** Outputs: the layer input, the layer output, then the crossing tensors, in that order. */
  readonly prefixModel: OnnxModelProto;
  /** Inputs: the layer output, then the crossing tensors; outputs: `outputs`. */
  readonly suffixModel: OnnxModelProto;
}

/** A node's name, or its first output's when it has none (how edit points are named). */
export function nodeName(node: OnnxNodeProto): string {
  return node.name || (node.output?.[0] ?? '');
}

/** The MatMul and Gemm nodes of the main graph: where GRACE can wrap a model. */
export function candidateNodes(model: OnnxModel): OnnxNodeProto[] {
  return (model.proto.graph?.node ?? []).filter((node) => node.opType === 'MatMul' || node.opType === 'Gemm');
}

/** Candidate edit points with their shapes (probed on onnxruntime; see {@link probeShapes}). */
export async function listEditPoints(
  model: OnnxModel,
  options: { readonly dimensions?: Readonly<Record<string, number>> } = {},
): Promise<EditPoint[]> {
  const nodes = candidateNodes(model);
  if (nodes.length === 0) {
    const nested = subgraphLayers(model);
    if (nested.length > 0) throw subgraphLayerError(nested);
    return [];
  }
  const allNodes = model.proto.graph?.node ?? [];
  const graphOutputs = (model.proto.graph?.output ?? []).map((output) => output.name ?? '');
  const spans = nodes.map((node) => flattenedTokenSpan(allNodes, node, graphOutputs));
  const names = nodes.flatMap((node, index) => [
    node.input?.[0] ?? '',
    node.output?.[0] ?? '',
    spans[index]?.input ?? '',
    spans[index]?.output ?? '',
  ]);
  const probed = await probeShapes(model, names, options.dimensions);
  return nodes.map((node, index) => editPointOf(node, spans[index], probed));
}

/** The edit point of `node`, lifted to `span` when the probed shapes show tokens folded into rows. */
function editPointOf(
  node: OnnxNodeProto,
  span: FlattenedTokenSpan | undefined,
  probed: ReadonlyMap<string, ProbedTensor>,
): EditPoint {
  const flatInput = node.input?.[0] ?? '';
  const flatOutput = node.output?.[0] ?? '';
  const lifted =
    span !== undefined &&
    isTokenSpan({
      input: probed.get(span.input)?.shape,
      flatInput: probed.get(flatInput)?.shape,
      flatOutput: probed.get(flatOutput)?.shape,
      output: probed.get(span.output)?.shape,
    });
  const input = lifted ? span.input : flatInput;
  const output = lifted ? span.output : flatOutput;
  return {
    name: nodeName(node),
    opType: node.opType as 'MatMul' | 'Gemm',
    input,
    output,
    inputShape: probed.get(input)?.shape ?? [],
    outputShape: probed.get(output)?.shape ?? [],
    ...(lifted ? { flattened: { input: flatInput, output: flatOutput } } : {}),
  };
}

/** Nodes needed (backward closure) to compute `targets`, in graph order; tensors in `stopAt` are taken as given. */
export function nodesNeededFor(
  nodes: readonly OnnxNodeProto[],
  targets: Iterable<string>,
  stopAt: ReadonlySet<string> = new Set(),
): OnnxNodeProto[] {
  const producer = new Map<string, number>();
  nodes.forEach((node, index) => {
    for (const output of node.output ?? []) producer.set(output, index);
  });
  const needed = new Set<number>();
  const pending = [...targets];
  while (pending.length > 0) {
    const name = pending.pop() as string;
    if (stopAt.has(name)) continue;
    const index = producer.get(name);
    if (index === undefined || needed.has(index)) continue;
    needed.add(index);
    pending.push(...(nodes[index]?.input ?? []).filter((input) => input !== ''));
  }
  return nodes.filter((_, index) => needed.has(index));
}

/**
 * Cuts a model after the MatMul/Gemm `editAt` (a node name, or its output tensor's name). The suffix is every
 * node downstream of the layer output; everything it reads from upstream that is not a constant crosses the
 * cut and becomes a prefix output, so residual connections around the edited layer keep working.
 */
export async function cutOnnxModel(
  model: OnnxModel,
  editAt: string,
  dimensions: Readonly<Record<string, number>> = {},
): Promise<OnnxCut> {
  const graph = model.proto.graph ?? {};
  const allNodes = graph.node ?? [];
  const candidates = candidateNodes(model);
  const node = candidates.find((entry) => nodeName(entry) === editAt || entry.output?.[0] === editAt);
  if (node === undefined) {
    const nested = subgraphLayers(model).filter((layer) => layer.name === editAt);
    if (nested.length > 0) throw subgraphLayerError(nested, editAt);
    throw new GraceError(
      'INVALID_ARGUMENT',
      `'${editAt}' is not a MatMul or Gemm node of the model (edit points: ${candidates.map(nodeName).join(', ')})`,
      { editAt, editPoints: candidates.map(nodeName) },
    );
  }
  if (
    node.opType === 'Gemm' &&
    (node.attribute ?? []).some((attribute) => attribute.name === 'transA' && Number(attribute.i) !== 0)
  ) {
    throw new GraceError(
      'INVALID_ARGUMENT',
      `node '${nodeName(node)}': a Gemm with transA = 1 has no row-wise key`,
      { editAt },
    );
  }
  if (isInitializer(model, node.input?.[0] ?? '') || isConstantOutput(model, node.input?.[0] ?? '')) {
    throw new GraceError(
      'INVALID_ARGUMENT',
      `node '${nodeName(node)}': its first input '${node.input?.[0]}' is a constant, so it has no per-example key`,
      { editAt },
    );
  }
  const graphOutputNames = (graph.output ?? []).map((output) => output.name ?? '');
  const span = flattenedTokenSpan(allNodes, node, graphOutputNames);
  const point = editPointOf(
    node,
    span,
    span === undefined
      ? new Map()
      : await probeShapes(
          model,
          [span.input, span.output, node.input?.[0] ?? '', node.output?.[0] ?? ''],
          dimensions,
        ),
  );
  const layerInput = point.input;
  const layerOutput = point.output;

  // Forward closure from the layer output, in graph (topological) order.
  const downstream = new Set<string>([layerOutput]);
  const after: OnnxNodeProto[] = [];
  for (const entry of allNodes) {
    if ((entry.input ?? []).some((input) => downstream.has(input))) {
      after.push(entry);
      for (const output of entry.output ?? []) downstream.add(output);
    }
  }
  const dependent = graphOutputNames.filter((name) => downstream.has(name));
  if (dependent.length === 0) {
    throw new GraceError('INVALID_ARGUMENT', `no model output depends on '${editAt}'`, { editAt });
  }
  // When the edited layer's output is itself the model's output (a classifier head), the suffix is an Identity
  // onto an alias, so that the replaced activation and the prediction are different tensors.
  const modelOutputs = dependent.length > 1 ? dependent.filter((name) => name !== layerOutput) : dependent;
  const outputs = modelOutputs.map((name) => (name === layerOutput ? layerOutputAlias : name));
  const suffixNodes = [
    ...nodesNeededFor(after, outputs),
    ...(outputs.includes(layerOutputAlias) ? [onnxNode('Identity', [layerOutput], [layerOutputAlias])] : []),
  ];
  const produced = new Set(suffixNodes.flatMap((entry) => entry.output ?? []));
  const upstreamReads = [...new Set(suffixNodes.flatMap((entry) => entry.input ?? []))].filter(
    (name) => name !== '' && name !== layerOutput && !produced.has(name),
  );
  const shapeSources = allNodes
    .filter((entry) => entry.opType === 'Shape')
    .map((entry) => entry.input?.[0] ?? '');
  const tensors = await probeShapes(
    model,
    [layerInput, layerOutput, ...upstreamReads, ...produced, ...shapeSources].filter(
      (name) => name !== layerOutputAlias && !isInitializer(model, name) && !isConstantOutput(model, name),
    ),
    dimensions,
  );
  const layerOutputProbe = tensors.get(layerOutput);
  if (layerOutputProbe !== undefined) tensors.set(layerOutputAlias, layerOutputProbe);
  const statics = foldStaticValues(
    model,
    new Map([...tensors].map(([name, probed]) => [name, probed.shape])),
  );
  const isNumericStatic = (name: string): boolean => {
    const value = statics.get(name);
    return (
      value !== undefined &&
      (value.kind === 'float' || value.data.every((entry) => typeof entry === 'number'))
    );
  };
  const crossingTensors = upstreamReads.filter((name) => !isNumericStatic(name));
  const editPoint: EditPoint = {
    ...point,
    inputShape: tensors.get(layerInput)?.shape ?? [],
    outputShape: tensors.get(layerOutput)?.shape ?? [],
  };

  const prefixOutputs = [layerInput, layerOutput, ...crossingTensors];
  const prefixNodes = nodesNeededFor(allNodes, prefixOutputs);
  const prefixModel = subModel(model, {
    nodes: prefixNodes,
    inputs: (graph.input ?? []).filter((input) => !isInitializer(model, input.name ?? '')),
    outputs: prefixOutputs,
    initializers: usedInitializers(model, prefixNodes),
  });
  const suffixConstants: OnnxTensorProto[] = upstreamReads
    .filter((name) => isNumericStatic(name))
    .map((name) => staticValueToTensor(name, statics.get(name) as StaticValue));
  const suffixInputs = [layerOutput, ...crossingTensors].map((name) =>
    onnx.ValueInfoProto.create({
      name,
      type: {
        tensorType: {
          elemType: onnxElementType(tensors.get(name)?.type ?? 'float32'),
          shape: {
            dim: (tensors.get(name)?.shape ?? []).map((dimension) =>
              typeof dimension === 'number' ? { dimValue: dimension } : { dimParam: dimension },
            ),
          },
        },
      },
    }),
  );
  const suffixModel = subModel(model, {
    nodes: suffixNodes,
    inputs: suffixInputs,
    outputs,
    initializers: suffixConstants,
  });
  return {
    model,
    editPoint,
    suffixNodes,
    crossingTensors,
    outputs,
    modelOutputs,
    tensors,
    statics,
    prefixModel,
    suffixModel,
  };
}

function onnxElementType(type: string): number {
  return ({ float32: 1, int32: 6, int64: 7, bool: 9 } as Record<string, number>)[type] ?? 1;
}

function isInitializer(model: OnnxModel, name: string): boolean {
  return (model.proto.graph?.initializer ?? []).some((initializer) => initializer.name === name);
}

function isConstantOutput(model: OnnxModel, name: string): boolean {
  return (model.proto.graph?.node ?? []).some(
    (node) => node.opType === 'Constant' && node.output?.[0] === name,
  );
}

/** The initializers that `nodes` read. */
export function usedInitializers(model: OnnxModel, nodes: readonly OnnxNodeProto[]): OnnxTensorProto[] {
  const read = new Set(nodes.flatMap((node) => node.input ?? []));
  return (model.proto.graph?.initializer ?? []).filter((initializer) => read.has(initializer.name ?? ''));
}

/** A model with the original's metadata and opsets around the given nodes, inputs, outputs and initializers. */
export function subModel(
  model: OnnxModel,
  parts: {
    nodes: readonly OnnxNodeProto[];
    inputs: readonly OnnxValueInfoProto[];
    outputs: readonly string[];
    initializers: readonly OnnxTensorProto[];
  },
): OnnxModelProto {
  const original = model.proto.graph ?? {};
  const known = new Map((original.output ?? []).map((output) => [output.name, output]));
  return onnx.ModelProto.create({
    ...model.proto,
    graph: onnx.GraphProto.create({
      name: original.name ?? 'graph',
      node: [...parts.nodes],
      input: [...parts.inputs],
      output: parts.outputs.map((name) => known.get(name) ?? onnx.ValueInfoProto.create({ name })),
      initializer: [...parts.initializers],
    }),
  });
}
