import { GraceError, type GraphNode, type SymbolicShape } from '@grace/core';
import {
  booleanAttribute,
  type GraphDefNode,
  integerListAttribute,
  stringAttribute,
} from './graph-model-topology.js';

/** What the node importer asks of the cut: shapes, constant values and the IR names of data inputs. */
export interface GraphNodeContext {
  /** The probed shape of a tensor, with run-time dimensions named. */
  shapeOf(tensor: string): SymbolicShape;
  /** The integers of a tensor read as an attribute (axes, a permutation): constant, or equal in every probe. */
  integersOf(tensor: string, node: GraphDefNode): number[];
  /** Registers a tensor read as data (a constant becomes an initializer, an upstream value crosses the cut). */
  dataInput(tensor: string): string;
  /** A new float constant (an exponent, a floor) as an initializer; returns its name. */
  constant(name: string, values: readonly number[]): string;
}

const elementwise: Readonly<Record<string, string>> = {
  BiasAdd: 'Add',
  Add: 'Add',
  AddV2: 'Add',
  Sub: 'Sub',
  Mul: 'Mul',
  RealDiv: 'Div',
  Div: 'Div',
  Pow: 'Pow',
};
const unary: Readonly<Record<string, string>> = {
  Relu: 'Relu',
  Tanh: 'Tanh',
  Sigmoid: 'Sigmoid',
  Sqrt: 'Sqrt',
  Identity: 'Identity',
  Snapshot: 'Identity',
  StopGradient: 'Identity',
};
const fusedActivations: Readonly<Record<string, string>> = { Relu: 'Relu', Tanh: 'Tanh', Sigmoid: 'Sigmoid' };
const reshaping = new Set(['Reshape', 'ExpandDims', 'Squeeze']);

export function unsupportedNode(node: GraphDefNode, why: string): GraceError {
  return new GraceError('UNSUPPORTED_OP', `node '${node.name}' (${node.op}): ${why}`, {
    node: node.name,
    opType: node.op,
  });
}

/**
 * A Reshape target for a probed output shape: a run-time dimension becomes `0` (copy) where the input has the
 * same name at that position, else `-1` (inferred, allowed once); so the IR works at any batch and length.
 */
function reshapeTarget(node: GraphDefNode, input: SymbolicShape, output: SymbolicShape): number[] {
  let inferred = false;
  return output.map((dimension, position) => {
    if (typeof dimension === 'number') return dimension;
    if (input[position] === dimension) return 0;
    if (inferred)
      throw unsupportedNode(node, `output [${output.join(', ')}] has two run-time dimensions not copied`);
    inferred = true;
    return -1;
  });
}

/** The list-of-strings attribute `fused_ops` of a `_FusedMatMul`. */
function fusedOps(node: GraphDefNode): string[] {
  const raw = (node.attributes.fused_ops as { list?: { s?: readonly string[] } } | undefined)?.list?.s ?? [];
  return raw.map((entry) => {
    try {
      return atob(entry);
    } catch {
      return entry;
    }
  });
}

/** Swaps the last two axes of `tensor` when `transpose` is set (MatMul's transpose_a/b, BatchMatMul's adj_x/y). */
function maybeTransposed(
  node: GraphDefNode,
  context: GraphNodeContext,
  tensor: string,
  transpose: boolean,
  role: string,
): { name: string; nodes: GraphNode[] } {
  const name = context.dataInput(tensor);
  if (!transpose) return { name, nodes: [] };
  const rank = context.shapeOf(tensor).length;
  const perm = Array.from({ length: rank }, (_, axis) => axis);
  [perm[rank - 2], perm[rank - 1]] = [rank - 1, rank - 2];
  const transposed = `${node.name}/grace:transpose_${role}`;
  return {
    name: transposed,
    nodes: [
      { name: transposed, opType: 'Transpose', inputs: [name], outputs: [transposed], attributes: { perm } },
    ],
  };
}

function matMul(node: GraphDefNode, context: GraphNodeContext, output: string): GraphNode[] {
  const batched = node.op.startsWith('BatchMatMul');
  const left = maybeTransposed(
    node,
    context,
    node.inputs[0] as string,
    booleanAttribute(node, batched ? 'adj_x' : 'transpose_a'),
    'a',
  );
  const right = maybeTransposed(
    node,
    context,
    node.inputs[1] as string,
    booleanAttribute(node, batched ? 'adj_y' : 'transpose_b'),
    'b',
  );
  const product: GraphNode = {
    name: node.name,
    opType: 'MatMul',
    inputs: [left.name, right.name],
    outputs: [output],
  };
  if (node.op !== '_FusedMatMul') return [...left.nodes, ...right.nodes, product];
  const [bias, activation, ...rest] = fusedOps(node);
  if (
    bias !== 'BiasAdd' ||
    rest.length > 0 ||
    (activation !== undefined && !(activation in fusedActivations))
  ) {
    throw unsupportedNode(
      node,
      `fused ops [${fusedOps(node).join(', ')}] are not BiasAdd + Relu/Tanh/Sigmoid`,
    );
  }
  const multiplied = `${node.name}/grace:matmul`;
  const biased = activation === undefined ? output : `${node.name}/grace:bias_add`;
  const nodes: GraphNode[] = [
    ...left.nodes,
    ...right.nodes,
    { ...product, outputs: [multiplied] },
    {
      name: `${node.name}/grace:bias_add`,
      opType: 'Add',
      inputs: [multiplied, context.dataInput(node.inputs[2] as string)],
      outputs: [biased],
    },
  ];
  if (activation !== undefined)
    nodes.push({
      name: `${node.name}/grace:${activation}`,
      opType: fusedActivations[activation] as string,
      inputs: [biased],
      outputs: [output],
    });
  return nodes;
}

/**
 * Translates one TensorFlow op of a GraphModel into core's suffix IR (ONNX semantics). Decomposed patterns
 * map op by op: layer norm's Mean / Sub / Square / Rsqrt / Mul becomes ReduceMean / Sub / Mul / Pow / Mul, and
 * `Maximum(x, y)` becomes `Relu(x − y) + y` (exact, with Maximum's gradient). Shapes for Reshape, ExpandDims
 * and Squeeze come from the probes, so they work at any batch size and sequence length. Anything else is
 * `UNSUPPORTED_OP`, naming the node.
 */
export function importGraphNode(node: GraphDefNode, context: GraphNodeContext, output: string): GraphNode[] {
  const input = (position: number): string => context.dataInput(node.inputs[position] as string);
  const helper = (suffix: string): string => `${node.name}/grace:${suffix}`;
  const op = node.op;
  if (op === 'BiasAdd' && (stringAttribute(node, 'data_format') ?? 'NHWC') !== 'NHWC')
    throw unsupportedNode(node, 'only the NHWC data format is imported');
  if (op in elementwise)
    return [
      { name: node.name, opType: elementwise[op] as string, inputs: [input(0), input(1)], outputs: [output] },
    ];
  if (op in unary)
    return [{ name: node.name, opType: unary[op] as string, inputs: [input(0)], outputs: [output] }];
  switch (op) {
    case 'MatMul':
    case 'BatchMatMul':
    case 'BatchMatMulV2':
    case 'BatchMatMulV3':
    case '_FusedMatMul':
      return matMul(node, context, output);
    case 'Cast': {
      const from = Number(node.attributes.SrcT?.type);
      const to = Number(node.attributes.DstT?.type);
      if (from !== 1 || to !== 1)
        throw unsupportedNode(node, 'only a float32 → float32 cast carries values after the cut');
      return [{ name: node.name, opType: 'Identity', inputs: [input(0)], outputs: [output] }];
    }
    case 'Square': {
      const value = input(0);
      return [{ name: node.name, opType: 'Mul', inputs: [value, value], outputs: [output] }];
    }
    case 'Rsqrt':
    case 'Reciprocal': {
      const exponent = context.constant(helper('exponent'), [op === 'Rsqrt' ? -0.5 : -1]);
      return [{ name: node.name, opType: 'Pow', inputs: [input(0), exponent], outputs: [output] }];
    }
    case 'Neg': {
      const minusOne = context.constant(helper('minus_one'), [-1]);
      return [{ name: node.name, opType: 'Mul', inputs: [input(0), minusOne], outputs: [output] }];
    }
    case 'Maximum':
    case 'Minimum': {
      // max(x, y) = relu(x − y) + y; min(x, y) = x − relu(x − y).
      const [x, y] = [input(0), input(1)];
      const nodes: GraphNode[] = [
        { name: helper('difference'), opType: 'Sub', inputs: [x, y], outputs: [helper('difference')] },
        { name: helper('relu'), opType: 'Relu', inputs: [helper('difference')], outputs: [helper('relu')] },
      ];
      nodes.push(
        op === 'Maximum'
          ? { name: node.name, opType: 'Add', inputs: [helper('relu'), y], outputs: [output] }
          : { name: node.name, opType: 'Sub', inputs: [x, helper('relu')], outputs: [output] },
      );
      return nodes;
    }
    case 'Softmax':
    case 'LogSoftmax':
      return [
        { name: node.name, opType: op, inputs: [input(0)], outputs: [output], attributes: { axis: -1 } },
      ];
    case 'Mean':
    case 'Sum': {
      const rank = context.shapeOf(node.inputs[0] as string).length;
      const axes = context
        .integersOf(node.inputs[1] as string, node)
        .map((axis) => (axis < 0 ? axis + rank : axis));
      return [
        {
          name: node.name,
          opType: op === 'Mean' ? 'ReduceMean' : 'ReduceSum',
          inputs: [input(0)],
          outputs: [output],
          attributes: { axes, keepdims: booleanAttribute(node, 'keep_dims') ? 1 : 0 },
        },
      ];
    }
    case 'ConcatV2': {
      // Inputs: the N values, then the axis.
      const values = node.inputs.slice(0, -1);
      const rank = context.shapeOf(values[0] as string).length;
      const [axis = 0] = context.integersOf(node.inputs.at(-1) as string, node);
      return [
        {
          name: node.name,
          opType: 'Concat',
          inputs: values.map((value) => context.dataInput(value)),
          outputs: [output],
          attributes: { axis: axis < 0 ? axis + rank : axis },
        },
      ];
    }
    case 'Transpose': {
      const perm = context.integersOf(node.inputs[1] as string, node);
      return [
        { name: node.name, opType: 'Transpose', inputs: [input(0)], outputs: [output], attributes: { perm } },
      ];
    }
    default:
      if (reshaping.has(op)) {
        const source = node.inputs[0] as string;
        if (op === 'Squeeze' && integerListAttribute(node, 'squeeze_dims')?.length === 0)
          throw unsupportedNode(node, 'a Squeeze of every unit axis depends on run-time shapes');
        const shape = reshapeTarget(node, context.shapeOf(source), context.shapeOf(output));
        return [
          {
            name: node.name,
            opType: 'Reshape',
            inputs: [input(0)],
            outputs: [output],
            attributes: { shape },
          },
        ];
      }
      throw unsupportedNode(node, "the op has no counterpart in core's suffix op set");
  }
}
