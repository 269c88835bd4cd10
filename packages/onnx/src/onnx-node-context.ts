import { type AttributeValue, GraceError, type GraphNode, type SymbolicShape } from '@grace/core';
import type { OnnxNodeProto } from './onnx-proto-types.js';
import { nodeAttributes, type StaticValue } from './static-value.js';

/** What a translator knows about one ONNX node while turning it into suffix IR nodes. */
export interface OnnxNodeContext {
  readonly node: OnnxNodeProto;
  /** The node's name, or its first output's when it has none: what every error names. */
  readonly name: string;
  readonly opType: string;
  /** Input names in ONNX order; `''` for an absent optional input. */
  readonly inputs: readonly string[];
  /** Output names in ONNX order; `''` for an output the graph does not ask for. */
  readonly outputs: readonly string[];
  readonly attributes: ReadonlyMap<string, AttributeValue | StaticValue>;
  /** The `ai.onnx` opset of the model, which decides several ops' semantics. */
  readonly opset: number;
  /** The probed (symbolic) shape of a tensor; `GRAPH_INVALID` when none is known. */
  shapeOf(name: string): SymbolicShape;
  /** The value of input `position` when it is known before any input arrives (a weight, a folded shape). */
  staticInput(position: number): StaticValue | undefined;
  /** Whether input `position` is given (present and not `''`). */
  hasInput(position: number): boolean;
  /**
   * Adds a constant the translation needs (an epsilon, a 1, reshaped labels) as an initializer named after the
   * node and `role`, and returns that name.
   */
  constant(role: string, value: StaticValue): string;
  /** Gives ONNX output `output` a value known at import (Dropout's mask at inference: every element kept). */
  constantOutput(output: string, value: StaticValue): void;
  /** `UNSUPPORTED_OP` naming the node and its op: what the IR cannot honour is refused, never rewritten. */
  refuse(reason: string, details?: Readonly<Record<string, unknown>>): GraceError;
}

/** Turns one ONNX node into suffix IR nodes (usually one), or throws what `context.refuse` makes. */
export interface OnnxOpTranslator {
  /**
   * The ONNX attributes this translator reads or knows to be harmless; any other attribute on the node is
   * refused before `translate` runs, because an ignored attribute would compute something else silently.
   */
  readonly attributes: readonly string[];
  translate(context: OnnxNodeContext): GraphNode[];
}

/** The context of `node`, over the statics and probed shapes of the graph it belongs to. */
export function onnxNodeContext(
  node: OnnxNodeProto,
  opset: number,
  statics: ReadonlyMap<string, StaticValue>,
  shapeOf: (name: string) => SymbolicShape,
  addConstant: (name: string, value: StaticValue) => void,
): OnnxNodeContext {
  const inputs = [...(node.input ?? [])];
  const outputs = [...(node.output ?? [])];
  const name = node.name || (outputs[0] ?? '');
  const opType = node.opType ?? '';
  return {
    node,
    name,
    opType,
    inputs,
    outputs,
    attributes: nodeAttributes(node),
    opset,
    shapeOf,
    staticInput: (position) => statics.get(inputs[position] ?? ''),
    hasInput: (position) => (inputs[position] ?? '') !== '',
    constant(role, value) {
      const constantName = `${name}:${role}`;
      addConstant(constantName, value);
      return constantName;
    },
    constantOutput(output, value) {
      addConstant(output, value);
    },
    refuse: (reason, details = {}) =>
      new GraceError('UNSUPPORTED_OP', `node '${name}' (${opType}): ${reason}`, {
        node: name,
        opType,
        ...details,
      }),
  };
}
