import {
  GraceError,
  type GraphInitializer,
  type GraphNode,
  opDefinitions,
  type SuffixOpType,
  type SymbolicShape,
} from '@grace/core';
import { onnxNodeContext } from './onnx-node-context.js';
import { onnxOpTranslators } from './onnx-op-translators.js';
import type { OnnxNodeProto } from './onnx-proto-types.js';
import { checkedByCore } from './pass-through-translator.js';
import type { StaticValue } from './static-value.js';

/** What the translation of a run of ONNX nodes reads from the graph around it. */
export interface OnnxTranslationScope {
  /** The `ai.onnx` opset of the model. */
  readonly opset: number;
  /** Values known before any input arrives: weights and folded shape arithmetic. */
  readonly statics: ReadonlyMap<string, StaticValue>;
  /** Probed shapes; `GRAPH_INVALID` for a tensor without one. */
  readonly shapeOf: (name: string) => SymbolicShape;
}

/** IR nodes and the constants they read. */
export interface TranslatedNodes {
  readonly nodes: readonly GraphNode[];
  readonly initializers: readonly GraphInitializer[];
}

/**
 * Integer constants an op reads as float data on purpose: Pow's output takes the base's type, so an integer
 * exponent on a float base gives a float result, and its values are exact in float32 up to 2^24; Where's
 * boolean condition is the IR's float mask (0 or 1).
 */
const integerReadAsFloat: Readonly<Record<string, readonly number[]>> = { Pow: [1], Where: [0] };

/** `shapeOf` over probed tensors: `GRAPH_INVALID` for a tensor the probe did not see. */
export function probedShapeLookup(
  tensors: ReadonlyMap<string, { readonly shape: SymbolicShape }>,
): (name: string) => SymbolicShape {
  return (name) => {
    const shape = tensors.get(name)?.shape;
    if (shape === undefined)
      throw new GraceError('GRAPH_INVALID', `no shape known for tensor '${name}'`, { tensor: name });
    return shape;
  };
}

const largestExactInteger = 2 ** 24;

function isDefaultDomain(node: OnnxNodeProto): boolean {
  return (node.domain ?? '') === '' || node.domain === 'ai.onnx';
}

/**
 * Translates ONNX nodes (in graph order) into suffix IR nodes with {@link onnxOpTranslators}. Nodes whose first
 * output is static are folded away. Everything the IR cannot honour is `UNSUPPORTED_OP` naming the node: an op
 * without a translator, an attribute the translator does not know, an output the translation does not compute,
 * an integer tensor read as float data.
 */
export function translateOnnxNodes(
  onnxNodes: readonly OnnxNodeProto[],
  scope: OnnxTranslationScope,
): TranslatedNodes {
  const added = new Map<string, StaticValue>();
  const translated: GraphNode[] = [];
  for (const node of onnxNodes) {
    if (scope.statics.has(node.output?.[0] ?? '')) continue;
    const context = onnxNodeContext(node, scope.opset, scope.statics, scope.shapeOf, (name, value) =>
      added.set(name, value),
    );
    const translator = isDefaultDomain(node) ? onnxOpTranslators[context.opType] : undefined;
    if (translator === undefined) {
      const domain = isDefaultDomain(node) ? '' : ` of domain '${node.domain}'`;
      throw new GraceError(
        'UNSUPPORTED_OP',
        `node '${context.name}': op '${context.opType}'${domain} has no counterpart in core's suffix op set v1`,
        { node: context.name, opType: context.opType },
      );
    }
    for (const attribute of node.attribute ?? []) {
      // Graphs, string lists, sparse tensors: read as nothing, so they would vanish without this check.
      if (!context.attributes.has(attribute.name ?? ''))
        throw context.refuse(`attribute '${attribute.name}' of ONNX type ${attribute.type} cannot be read`, {
          attribute: attribute.name,
        });
    }
    if (translator.attributes !== checkedByCore) {
      for (const attribute of context.attributes.keys()) {
        if (!translator.attributes.includes(attribute))
          throw context.refuse(`attribute '${attribute}' is not supported`, { attribute });
      }
    }
    const produced = translator.translate(context);
    const computed = new Set([...produced.flatMap((entry) => entry.outputs), ...added.keys()]);
    context.outputs.forEach((output, position) => {
      if (output !== '' && !computed.has(output) && !scope.statics.has(output))
        throw context.refuse(`output ${position} '${output}' has no counterpart in the IR`, { output });
    });
    translated.push(...produced);
  }
  return bindConstants(translated, scope.statics, added);
}

function integerData(name: string, value: StaticValue, node: GraphNode): Int32Array {
  const data = value.data as readonly (number | string)[];
  if (!data.every((entry) => typeof entry === 'number' && Math.abs(entry) < 2 ** 31))
    throw new GraceError(
      'UNSUPPORTED_OP',
      `node '${node.name}' (${node.opType}): integer tensor '${name}' has entries outside int32`,
      { node: node.name, opType: node.opType, tensor: name },
    );
  return Int32Array.from(data as number[]);
}

/** Makes initializers of the statics the IR nodes read, as float32 or (where the op takes labels) int32. */
function bindConstants(
  nodes: readonly GraphNode[],
  statics: ReadonlyMap<string, StaticValue>,
  added: ReadonlyMap<string, StaticValue>,
): TranslatedNodes {
  const initializers = new Map<string, GraphInitializer>();
  // Constant outputs of a translation (not only those a node reads) are part of the graph.
  for (const [name, value] of added) {
    const data = value.kind === 'float' ? value.data : Int32Array.from(value.data as readonly number[]);
    initializers.set(name, { name, data, shape: [...value.shape] });
  }
  const bound = nodes.map((node): GraphNode => {
    const inputs = node.inputs.map((name, position) => {
      const value = added.get(name) ?? statics.get(name);
      if (value === undefined) return name;
      if (value.kind === 'float') {
        initializers.set(name, { name, data: value.data, shape: [...value.shape] });
        return name;
      }
      const definition = opDefinitions[node.opType as SuffixOpType];
      if (definition?.integerInputs.includes(position)) {
        initializers.set(name, { name, data: integerData(name, value, node), shape: [...value.shape] });
        return name;
      }
      const exact = integerData(name, value, node);
      if (
        integerReadAsFloat[node.opType]?.includes(position) &&
        exact.every((entry) => Math.abs(entry) <= largestExactInteger)
      ) {
        const floatName = `${name}:float`;
        initializers.set(floatName, {
          name: floatName,
          data: Float32Array.from(exact),
          shape: [...value.shape],
        });
        return floatName;
      }
      throw new GraceError(
        'UNSUPPORTED_OP',
        `node '${node.name}' (${node.opType}): integer tensor '${name}' is read as data; the IR computes in float32`,
        { node: node.name, opType: node.opType, tensor: name },
      );
    });
    return { ...node, inputs };
  });
  return { nodes: bound, initializers: [...initializers.values()] };
}
