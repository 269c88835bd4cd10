import { GraceError } from '../errors.js';
import { type DType, formatShape, type Shape } from '../tensor.js';
import type { OpDefinition, ResolvedOp } from './op-definition.js';
import { opDefinitions } from './op-definitions.js';
import { type SuffixOpAttributes, type SuffixOpType, suffixOpTypes } from './op-types.js';
import type { GraphNode, SuffixGraph, SymbolicShape } from './suffix-graph.js';
import { formatSymbolicShape, isConcreteShape } from './symbolic-shape.js';
import { topologicalOrder } from './topological-order.js';
import { validateGraphDeclarations } from './validate-graph-declarations.js';

/** Where a value comes from: a graph input, an initializer, or the node at this index of the built nodes. */
export type SuffixValueProducer = 'input' | 'initializer' | number;

/** What the builder knows about each value of the graph before any data exists. */
export interface SuffixValueInfo {
  readonly dtype: DType;
  /** Symbolic: graph inputs' names (`batch`) flow through shape inference. */
  readonly shape: SymbolicShape;
  readonly producer: SuffixValueProducer;
}

/** A node resolved for concrete input shapes: what a backend kernel receives. */
export interface ConcreteResolvedOp<Op extends SuffixOpType> {
  readonly attributes: SuffixOpAttributes[Op];
  readonly outputShape: Shape;
}

/** One node of a built graph, typed by its op. */
export interface BuiltSuffixNode<Op extends SuffixOpType> {
  readonly type: Op;
  readonly node: GraphNode;
  readonly definition: OpDefinition<Op>;
  /** The node's inputs in ONNX order, `undefined` for an absent optional input (`''` in the graph). */
  readonly inputs: readonly (string | undefined)[];
  /** The one output every op of set v1 has. */
  readonly output: string;
  /** The resolution on symbolic shapes, made at build time. */
  readonly symbolic: ResolvedOp<Op>;
  /**
   * Resolves the node for the concrete shapes of its inputs (`undefined` for absent ones), rechecking at run
   * time what names in the symbolic shapes left open. Throws the op's GraceError naming the node.
   */
  resolve(inputShapes: readonly (Shape | undefined)[]): ConcreteResolvedOp<Op>;
}

/** A built node of any op; switch on `type` to get the typed node. */
export type AnyBuiltSuffixNode = { [Op in SuffixOpType]: BuiltSuffixNode<Op> }[SuffixOpType];

/** A validated suffix graph with its nodes in execution order and every value's dtype and symbolic shape. */
export interface BuiltSuffixGraph {
  readonly graph: SuffixGraph;
  /** Topological order: each node after the producers of its inputs. */
  readonly nodes: readonly AnyBuiltSuffixNode[];
  readonly valueInfo: ReadonlyMap<string, SuffixValueInfo>;
  /** `nodes[index].resolve(inputShapes)`, for callers that hold an index. */
  resolveNode(index: number, inputShapes: readonly (Shape | undefined)[]): ConcreteResolvedOp<SuffixOpType>;
  /**
   * Checks fed shapes against the graph inputs' declared shapes, binding each name to one size across all
   * inputs (`batch` must be the same everywhere), and returns the bindings. `SHAPE_MISMATCH` names the input.
   */
  bindInputShapes(shapes: Readonly<Record<string, Shape>>): ReadonlyMap<string, number>;
}

function isSuffixOpType(opType: string): opType is SuffixOpType {
  return Object.hasOwn(opDefinitions, opType);
}

function checkOpAndArity(node: GraphNode): SuffixOpType {
  const opType = node.opType;
  if (!isSuffixOpType(opType)) {
    throw new GraceError(
      'UNSUPPORTED_OP',
      `node '${node.name}': op '${opType}' is not in op set v1 (supported: ${suffixOpTypes.join(', ')})`,
      { node: node.name, opType },
    );
  }
  const definition = opDefinitions[opType];
  const count = node.inputs.length;
  if (count < definition.minimumInputs || count > definition.maximumInputs) {
    const range =
      definition.minimumInputs === definition.maximumInputs
        ? `${definition.minimumInputs}`
        : `${definition.minimumInputs} to ${definition.maximumInputs}`;
    throw new GraceError(
      'GRAPH_INVALID',
      `node '${node.name}' (${opType}) takes ${range} inputs, got ${count}`,
      {
        node: node.name,
        opType,
        inputs: node.inputs,
      },
    );
  }
  node.inputs.forEach((input, position) => {
    if (input === '' && position < definition.minimumInputs) {
      throw new GraceError(
        'GRAPH_INVALID',
        `node '${node.name}' (${opType}): input ${position} is required but empty`,
        { node: node.name, opType, input: position },
      );
    }
  });
  return opType;
}

function checkDtypes(node: GraphNode, type: SuffixOpType, dtypes: readonly (DType | undefined)[]): void {
  const integerInputs = opDefinitions[type].integerInputs;
  dtypes.forEach((dtype, position) => {
    if (dtype === undefined) return;
    const expected: DType = integerInputs.includes(position) ? 'int32' : 'float32';
    if (dtype !== expected) {
      throw new GraceError(
        'DTYPE_MISMATCH',
        `node '${node.name}' (${type}): input ${position} '${node.inputs[position]}' must be ${expected}, ` +
          `got ${dtype}`,
        { node: node.name, opType: type, input: node.inputs[position], expected, received: dtype },
      );
    }
  });
}

function makeBuiltNode<Op extends SuffixOpType>(
  type: Op,
  node: GraphNode,
  inputDtypes: readonly (DType | undefined)[],
  inputShapes: readonly (SymbolicShape | undefined)[],
): BuiltSuffixNode<Op> {
  const definition = opDefinitions[type] as OpDefinition<Op>;
  const attributes = node.attributes ?? {};
  const symbolic = definition.resolve({ nodeName: node.name, inputShapes, inputDtypes, attributes });
  return {
    type,
    node,
    definition,
    inputs: node.inputs.map((input) => (input === '' ? undefined : input)),
    output: node.outputs[0] as string,
    symbolic,
    resolve(concreteShapes) {
      const resolved = definition.resolve({
        nodeName: node.name,
        inputShapes: concreteShapes,
        inputDtypes,
        attributes,
      });
      const { outputShape } = resolved;
      if (!isConcreteShape(outputShape)) {
        const described = concreteShapes.map((shape) =>
          shape === undefined ? 'absent' : formatShape(shape),
        );
        throw new GraceError(
          'SHAPE_MISMATCH',
          `node '${node.name}' (${type}): input shapes ${described.join(', ')} leave the output shape ` +
            `${formatSymbolicShape(outputShape)} unknown`,
          { node: node.name, opType: type, inputShapes: concreteShapes },
        );
      }
      return { attributes: resolved.attributes, outputShape };
    },
  };
}

/**
 * Validates a suffix graph and infers every value's shape, so that a bad graph fails once, at load, with an
 * error naming the node, rather than in the middle of value training on some backend. Checks: unique value
 * and node names, known ops and their arity, every input defined somewhere, no cycle, int32 only where an op
 * takes labels, initializer data matching its shape, each op's attributes and shapes, graph outputs defined.
 */
export function buildSuffixGraph(graph: SuffixGraph): BuiltSuffixGraph {
  const declared = validateGraphDeclarations(graph);
  const types = graph.nodes.map(checkOpAndArity);
  const producers = new Map<string, number>();
  graph.nodes.forEach((node, index) => {
    producers.set(node.outputs[0] as string, index);
  });
  for (const node of graph.nodes) {
    for (const input of node.inputs) {
      if (input !== '' && !declared.has(input) && !producers.has(input)) {
        throw new GraceError(
          'GRAPH_INVALID',
          `node '${node.name}' reads '${input}', which no graph input, initializer or node defines`,
          { node: node.name, input },
        );
      }
    }
  }
  const order = topologicalOrder(graph.nodes, producers);
  const valueInfo = new Map<string, SuffixValueInfo>(declared);
  const nodes: AnyBuiltSuffixNode[] = [];
  for (const graphIndex of order) {
    const node = graph.nodes[graphIndex] as GraphNode;
    const type = types[graphIndex] as SuffixOpType;
    const inputInfo = node.inputs.map((input) => (input === '' ? undefined : valueInfo.get(input)));
    const inputDtypes = inputInfo.map((info) => info?.dtype);
    checkDtypes(node, type, inputDtypes);
    const built = makeBuiltNode(
      type,
      node,
      inputDtypes,
      inputInfo.map((info) => info?.shape),
    ) as AnyBuiltSuffixNode;
    valueInfo.set(built.output, {
      dtype: 'float32',
      shape: built.symbolic.outputShape,
      producer: nodes.length,
    });
    nodes.push(built);
  }
  for (const output of graph.outputs) {
    if (!valueInfo.has(output)) {
      throw new GraceError(
        'GRAPH_INVALID',
        `graph output '${output}' is not defined by any node, input or initializer`,
        {
          output,
        },
      );
    }
  }
  return {
    graph,
    nodes,
    valueInfo,
    resolveNode(index, inputShapes) {
      const node = nodes[index];
      if (node === undefined) {
        throw new GraceError('INVALID_ARGUMENT', `node index ${index} is outside [0, ${nodes.length})`, {
          index,
        });
      }
      return node.resolve(inputShapes);
    },
    bindInputShapes: (shapes) => bindInputShapes(graph, shapes),
  };
}

function bindInputShapes(graph: SuffixGraph, shapes: Readonly<Record<string, Shape>>): Map<string, number> {
  const bindings = new Map<string, number>();
  for (const input of graph.inputs) {
    const shape = shapes[input.name];
    if (shape === undefined) continue;
    const mismatch = (reason: string): GraceError =>
      new GraceError(
        'SHAPE_MISMATCH',
        `graph input '${input.name}' is declared ${formatSymbolicShape(input.shape)}, ` +
          `got ${formatShape(shape)}: ${reason}`,
        { input: input.name, declared: input.shape, shape },
      );
    if (shape.length !== input.shape.length) throw mismatch('the ranks differ');
    input.shape.forEach((dimension, axis) => {
      const size = shape[axis] as number;
      if (typeof dimension === 'number') {
        if (size !== dimension) throw mismatch(`dimension ${axis} must be ${dimension}`);
        return;
      }
      const bound = bindings.get(dimension);
      if (bound !== undefined && bound !== size) {
        throw mismatch(`'${dimension}' is ${bound} in another input but ${size} here`);
      }
      bindings.set(dimension, size);
    });
  }
  return bindings;
}
