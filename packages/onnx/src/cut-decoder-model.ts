import { GraceError } from '@grace/core';
import { candidateNodes, nodeName, nodesNeededFor, subModel, usedInitializers } from './cut-onnx-model.js';
import { type OnnxModelProto, type OnnxNodeProto, onnx } from './onnx-proto-types.js';
import type { OnnxModel } from './read-onnx-model.js';

/**
 * A causal LM cut at one layer for decoding: two graphs that together compute one decoding step of the whole
 * model, each taking the past keys/values of the attention layers on its side of the cut and returning their
 * present ones, so the cache is carried across steps through both.
 */
export interface DecoderCut {
  /** The MatMul/Gemm node wrapped by GRACE. */
  readonly editPoint: { readonly name: string; readonly input: string; readonly output: string };
  /** Graph inputs the prefix reads (token ids, mask, positions, the past of its layers). */
  readonly prefixInputs: readonly string[];
  /** Outputs: the layer input, the layer output, `crossingTensors`, then `prefixPresents`. */
  readonly prefixModel: OnnxModelProto;
  /** Present keys/values the prefix computes (layers before the cut: GRACE cannot change them). */
  readonly prefixPresents: readonly string[];
  /** Tensors computed before the cut that the suffix reads (a residual stream, a mask built from the input). */
  readonly crossingTensors: readonly string[];
  /** Graph inputs the suffix reads directly (the past of its layers, the attention mask). */
  readonly suffixInputs: readonly string[];
  /** Inputs: the layer output, `crossingTensors`, `suffixInputs`; outputs: `logits`, then `suffixPresents`. */
  readonly suffixModel: OnnxModelProto;
  /** Present keys/values the suffix computes (layers after the cut: they see the replaced activation). */
  readonly suffixPresents: readonly string[];
}

/**
 * Cuts a decoder graph after the MatMul/Gemm `editAt` into a prefix and a suffix that each carry their own
 * layers' cache. `logits` names the logits output; every other output is a present key/value. `elementTypes`
 * gives the ONNX element type of each crossing tensor (the suffix declares them as inputs), see
 * {@link crossingTensorsOf}.
 */
export function cutDecoderModel(
  model: OnnxModel,
  editAt: string,
  logits: string,
  elementTypes: ReadonlyMap<string, number>,
): DecoderCut {
  const plan = planDecoderCut(model, editAt, logits);
  const { node, graphInputs, suffixNodes, crossingTensors, suffixInputs, prefixPresents, suffixPresents } =
    plan;
  const allNodes = model.proto.graph?.node ?? [];
  const layerInput = node.input?.[0] ?? '';
  const layerOutput = node.output?.[0] ?? '';
  const prefixOutputs = [layerInput, layerOutput, ...crossingTensors, ...prefixPresents];
  const prefixNodes = nodesNeededFor(allNodes, prefixOutputs);
  const prefixReads = new Set(prefixNodes.flatMap((entry) => entry.input ?? []));
  const prefixInputs = [...graphInputs.keys()].filter((name) => prefixReads.has(name));
  const valueInfo = (name: string) =>
    graphInputs.get(name) ??
    onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: elementTypes.get(name) ?? 1 } } });
  const prefixModel = subModel(model, {
    nodes: prefixNodes,
    inputs: prefixInputs.map(valueInfo),
    outputs: prefixOutputs,
    initializers: usedInitializers(model, prefixNodes),
  });
  const suffixModel = subModel(model, {
    nodes: suffixNodes,
    inputs: [layerOutput, ...crossingTensors, ...suffixInputs].map(valueInfo),
    outputs: [logits, ...suffixPresents],
    initializers: usedInitializers(model, suffixNodes),
  });
  return {
    editPoint: { name: nodeName(node), input: layerInput, output: layerOutput },
    prefixInputs,
    prefixModel,
    prefixPresents,
    crossingTensors,
    suffixInputs,
    suffixModel,
    suffixPresents,
  };
}

/**
 * The tensors computed before the cut that the suffix of `editAt` reads: the prefix must output them, so their
 * element types are needed to declare them as suffix inputs (read them from one run of the model).
 */
export function crossingTensorsOf(model: OnnxModel, editAt: string, logits: string): readonly string[] {
  return planDecoderCut(model, editAt, logits).crossingTensors;
}

type GraphInput = NonNullable<NonNullable<OnnxModelProto['graph']>['input']>[number];

/** Which nodes and presents fall on each side of the cut, and what the suffix reads from outside itself. */
function planDecoderCut(
  model: OnnxModel,
  editAt: string,
  logits: string,
): {
  node: OnnxNodeProto;
  graphInputs: Map<string, GraphInput>;
  suffixNodes: OnnxNodeProto[];
  crossingTensors: string[];
  suffixInputs: string[];
  prefixPresents: string[];
  suffixPresents: string[];
} {
  const { node, graphInputs, downstream } = decoderCutPoint(model, editAt);
  const graph = model.proto.graph ?? {};
  const outputs = (graph.output ?? []).map((output) => output.name ?? '');
  if (!downstream.has(logits)) {
    throw new GraceError('INVALID_ARGUMENT', `the logits '${logits}' do not depend on '${editAt}'`, {
      editAt,
      logits,
    });
  }
  const presents = outputs.filter((name) => name !== logits);
  const suffixPresents = presents.filter((name) => downstream.has(name));
  const prefixPresents = presents.filter((name) => !downstream.has(name));
  // Downstream of the layer output, the edited node itself excluded (its output is the suffix's input).
  const suffixNodes = nodesNeededFor(graph.node ?? [], [logits, ...suffixPresents]).filter(
    (entry) => entry !== node && (entry.output ?? []).some((output) => downstream.has(output)),
  );
  const reads = suffixReads(suffixNodes, node.output?.[0] ?? '', graphInputs, model);
  return { node, graphInputs, suffixNodes, ...reads, prefixPresents, suffixPresents };
}

function decoderCutPoint(
  model: OnnxModel,
  editAt: string,
): { node: OnnxNodeProto; graphInputs: Map<string, GraphInput>; downstream: Set<string> } {
  const graph = model.proto.graph ?? {};
  const candidates = candidateNodes(model);
  const node = candidates.find((entry) => nodeName(entry) === editAt || entry.output?.[0] === editAt);
  if (node === undefined) {
    throw new GraceError(
      'INVALID_ARGUMENT',
      `'${editAt}' is not a MatMul or Gemm node of the decoder (edit points: ${candidates.map(nodeName).join(', ')})`,
      { editAt, editPoints: candidates.map(nodeName) },
    );
  }
  const initializers = new Set((graph.initializer ?? []).map((initializer) => initializer.name ?? ''));
  const graphInputs = new Map(
    (graph.input ?? [])
      .filter((input) => !initializers.has(input.name ?? ''))
      .map((input) => [input.name ?? '', input] as const),
  );
  const downstream = new Set<string>([node.output?.[0] ?? '']);
  for (const entry of graph.node ?? []) {
    if ((entry.input ?? []).some((input) => downstream.has(input))) {
      for (const output of entry.output ?? []) downstream.add(output);
    }
  }
  return { node, graphInputs, downstream };
}

/** What the suffix nodes read from outside themselves: prefix-computed tensors and graph inputs. */
function suffixReads(
  suffixNodes: readonly OnnxNodeProto[],
  layerOutput: string,
  graphInputs: ReadonlyMap<string, unknown>,
  model: OnnxModel,
): { crossingTensors: string[]; suffixInputs: string[] } {
  const produced = new Set(suffixNodes.flatMap((entry) => entry.output ?? []));
  const initializers = new Set(
    (model.proto.graph?.initializer ?? []).map((initializer) => initializer.name ?? ''),
  );
  const reads = [...new Set(suffixNodes.flatMap((entry) => entry.input ?? []))].filter(
    (name) => name !== '' && name !== layerOutput && !produced.has(name) && !initializers.has(name),
  );
  return {
    crossingTensors: reads.filter((name) => !graphInputs.has(name)),
    suffixInputs: reads.filter((name) => graphInputs.has(name)),
  };
}
