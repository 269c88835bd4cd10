import { GraceError, type GraphInitializer, type GraphNode, type SymbolicShape } from '@grace/core';
import type * as tfjs from '@tensorflow/tfjs-core';
import {
  type GraphModelLike,
  producerName,
  readGraphModelTopology,
  topologicalNodes,
} from './graph-model-topology.js';
import { type GraphNodeContext, importGraphNode, unsupportedNode } from './import-graph-node.js';

/**
 * Where GraphModel editing happens: a MatMul-family node's name (its first input is the layer input), or a
 * span of the graph given by its input and output tensors, for a layer that is several ops (a transformer
 * block's whole feed-forward sub-layer, say).
 */
export type TfjsGraphEditAt = string | { readonly input: string; readonly output: string };

/** Ops whose output depends on their input's shape only, so a value replaced at the cut does not change them. */
const shapeOnlyOps = new Set(['Shape', 'ShapeN', 'Size', 'Rank', 'ZerosLike', 'OnesLike']);
const editableOps = new Set(['MatMul', '_FusedMatMul', 'BatchMatMul', 'BatchMatMulV2', 'BatchMatMulV3']);

/** A GraphModel cut at an edit point, with the tail translated into core's IR. */
export interface TfjsGraphCut {
  readonly editName: string;
  readonly input: string;
  readonly output: string;
  /** The model output read as the prediction. */
  readonly prediction: string;
  /** Upstream tensors the suffix reads as data (residual streams, masks, lengths); the prefix fetches them. */
  readonly crossingTensors: readonly string[];
  /** The IR nodes (without the loss) and weights of the tail. */
  readonly nodes: readonly GraphNode[];
  readonly initializers: readonly GraphInitializer[];
  /** Probed shapes of the tensors the suffix touches; run-time dimensions named. */
  readonly shapes: ReadonlyMap<string, SymbolicShape>;
  /** Concrete shapes of the layer input and output on the larger probe. */
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
}

interface Probe {
  readonly shapes: Map<string, readonly number[]>;
  readonly values: Map<string, Float32Array>;
}

/** Runs the graph on one batch and reads the shape (and, for integer or small tensors, the value) of each name. */
async function probe(
  model: GraphModelLike,
  feeds: tfjs.NamedTensorMap,
  names: readonly string[],
): Promise<Probe> {
  const outputs = await model.executeAsync(feeds, [...names]);
  const tensors = Array.isArray(outputs) ? outputs : [outputs];
  const shapes = new Map<string, readonly number[]>();
  const values = new Map<string, Float32Array>();
  try {
    for (const [index, tensor] of tensors.entries()) {
      const name = names[index] as string;
      shapes.set(name, [...tensor.shape]);
      if (tensor.dtype === 'int32' || tensor.size <= 16)
        values.set(name, Float32Array.from(await tensor.data()));
    }
  } finally {
    for (const tensor of tensors) tensor.dispose();
  }
  return { shapes, values };
}

/**
 * Names a shape's run-time dimensions by comparing two probes of different batches: a dimension equal in both is
 * fixed, one that differs is named by its two sizes (`d3x1`), so the same run-time size gets the same name
 * across tensors (the batch, the padded length).
 */
function symbolicShape(name: string, larger: readonly number[], smaller: readonly number[]): SymbolicShape {
  if (larger.length !== smaller.length) {
    throw new GraceError(
      'UNSUPPORTED_OP',
      `tensor '${name}' changes rank with the batch ([${larger}] vs [${smaller}])`,
      {
        tensor: name,
      },
    );
  }
  return larger.map((size, axis) => (size === smaller[axis] ? size : `d${size}x${smaller[axis]}`));
}

/**
 * Cuts a GraphModel after `editAt` and imports the tail. A tensor is in the tail when its value depends on the
 * layer output; shape arithmetic (Shape, StridedSlice, Range, a sequence mask built from them) only depends on
 * the layer output's shape, which an edit never changes, so it stays in the prefix and crosses as data.
 * `probes` are two batches of different sizes (and lengths): the shapes seen on both name the run-time
 * dimensions.
 */
export async function cutTfjsGraphModel(
  model: GraphModelLike,
  editAt: TfjsGraphEditAt,
  prediction: string,
  probes: readonly [tfjs.NamedTensorMap, tfjs.NamedTensorMap],
): Promise<TfjsGraphCut> {
  const nodes = topologicalNodes(await readGraphModelTopology(model));
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const span = typeof editAt === 'string' ? undefined : editAt;
  const editNode = typeof editAt === 'string' ? byName.get(editAt) : undefined;
  if (typeof editAt === 'string' && (editNode === undefined || !editableOps.has(editNode.op))) {
    const candidates = nodes.filter((node) => editableOps.has(node.op)).map((node) => node.name);
    throw new GraceError(
      'INVALID_ARGUMENT',
      `'${editAt}' is not a MatMul node of the graph (edit points: ${candidates.join(', ')}); a span { input, output } names any layer`,
      { editAt, editPoints: candidates },
    );
  }
  const input = span?.input ?? (editNode?.inputs[0] as string);
  const output = span?.output ?? (editNode?.name as string);
  for (const tensor of [input, output, prediction]) {
    if (!byName.has(producerName(tensor)))
      throw new GraceError('INVALID_ARGUMENT', `the graph has no tensor '${tensor}'`, { tensor });
  }

  // Value dependence on the layer output, in topological order.
  const dependentNodes = new Set<string>();
  const isDependent = (tensor: string): boolean =>
    tensor === output || dependentNodes.has(producerName(tensor));
  for (const node of nodes) {
    if (node.name === producerName(output) || shapeOnlyOps.has(node.op)) continue;
    if (node.inputs.some(isDependent)) dependentNodes.add(node.name);
  }
  if (!isDependent(prediction)) {
    throw new GraceError('INVALID_ARGUMENT', `the output '${prediction}' does not depend on '${output}'`, {
      prediction,
      output,
    });
  }
  // The tail: dependent nodes the prediction needs.
  const needed = new Set<string>();
  const pending = [producerName(prediction)];
  while (pending.length > 0) {
    const name = pending.pop() as string;
    if (needed.has(name) || !dependentNodes.has(name)) continue;
    needed.add(name);
    for (const tensor of byName.get(name)?.inputs ?? []) pending.push(producerName(tensor));
  }
  const tail = nodes.filter((node) => needed.has(node.name));
  for (const node of tail) {
    if (
      node.name !== producerName(prediction) &&
      tail.some((other) =>
        other.inputs.some((tensor) => tensor.startsWith(`${node.name}:`) && !tensor.endsWith(':0')),
      )
    )
      throw unsupportedNode(node, 'a node with several outputs after the cut is not imported');
  }

  const isConstant = (tensor: string): boolean => byName.get(producerName(tensor))?.op === 'Const';
  const probed = [...new Set([input, output, ...tail.flatMap((node) => [...node.inputs, node.name])])].filter(
    (tensor) => !isConstant(tensor),
  );
  const [larger, smaller] = await Promise.all([
    probe(model, probes[0], probed),
    probe(model, probes[1], probed),
  ]);
  const shapes = new Map<string, SymbolicShape>();
  for (const tensor of probed)
    shapes.set(
      tensor,
      symbolicShape(tensor, larger.shapes.get(tensor) ?? [], smaller.shapes.get(tensor) ?? []),
    );

  const initializers = new Map<string, GraphInitializer>();
  const crossing: string[] = [];
  const constantTensor = (tensor: string): tfjs.Tensor => {
    const value = model.weights[producerName(tensor)]?.[0];
    if (value === undefined)
      throw new GraceError('GRAPH_INVALID', `constant '${tensor}' has no weight`, { tensor });
    return value;
  };
  const context: GraphNodeContext = {
    shapeOf: (tensor) => {
      if (isConstant(tensor)) return [...constantTensor(tensor).shape];
      const shape = shapes.get(tensor);
      if (shape === undefined)
        throw new GraceError('GRAPH_INVALID', `no shape probed for '${tensor}'`, { tensor });
      return shape;
    },
    integersOf: (tensor, node) => {
      if (isConstant(tensor)) return Array.from(constantTensor(tensor).dataSync(), Number);
      const [first, second] = [larger.values.get(tensor), smaller.values.get(tensor)];
      if (
        isDependent(tensor) ||
        first === undefined ||
        second === undefined ||
        first.join() !== second.join()
      )
        throw unsupportedNode(node, `its attribute input '${tensor}' is not constant`);
      return Array.from(first);
    },
    dataInput: (tensor) => {
      if (tensor === output || isDependent(tensor)) return tensor;
      if (isConstant(tensor)) {
        if (!initializers.has(tensor)) {
          const value = constantTensor(tensor);
          if (value.dtype !== 'float32')
            throw new GraceError(
              'UNSUPPORTED_OP',
              `the ${value.dtype} constant '${tensor}' is read as data after the cut`,
              {
                tensor,
              },
            );
          initializers.set(tensor, {
            name: tensor,
            data: value.dataSync() as Float32Array,
            shape: [...value.shape],
          });
        }
        return tensor;
      }
      if (!crossing.includes(tensor)) crossing.push(tensor);
      return tensor;
    },
    constant: (name, values) => {
      initializers.set(name, { name, data: Float32Array.from(values), shape: [1] });
      return name;
    },
  };
  const imported = tail.flatMap((node) => importGraphNode(node, context, node.name));
  return {
    editName: typeof editAt === 'string' ? editAt : `${editAt.input}→${editAt.output}`,
    input,
    output,
    prediction,
    crossingTensors: crossing,
    nodes: imported,
    initializers: [...initializers.values()],
    shapes,
    inputShape: larger.shapes.get(input) ?? [],
    outputShape: larger.shapes.get(output) ?? [],
  };
}
