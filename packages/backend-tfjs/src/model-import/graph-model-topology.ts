import { GraceError } from '@grace/core';
import type * as tfjs from '@tensorflow/tfjs-core';

/** The parts of a `tf.GraphModel` the loader uses (structural, so no tfjs-converter import is needed). */
export interface GraphModelLike {
  readonly outputNodes: readonly string[];
  readonly weights: Readonly<Record<string, readonly tfjs.Tensor[]>>;
  executeAsync(
    inputs: tfjs.NamedTensorMap,
    outputs?: string | string[],
  ): Promise<tfjs.Tensor | tfjs.Tensor[]>;
  save(handler: tfjs.io.IOHandler): Promise<tfjs.io.SaveResult>;
}

/** A TensorFlow attribute value as the converter's JSON stores it. */
export interface GraphAttribute {
  readonly b?: boolean;
  readonly i?: string | number;
  readonly f?: number;
  readonly s?: string | readonly number[];
  readonly type?: string | number;
  readonly list?: { readonly i?: readonly (string | number)[] };
}

/** One node of the GraphDef: data inputs only (control inputs `^name` dropped), as tensor names. */
export interface GraphDefNode {
  readonly name: string;
  readonly op: string;
  readonly inputs: readonly string[];
  readonly attributes: Readonly<Record<string, GraphAttribute>>;
}

interface RawNode {
  readonly name: string;
  readonly op: string;
  readonly input?: readonly string[];
  readonly attr?: Record<string, GraphAttribute>;
}

/**
 * `node:0` and `node` name the same tensor; the IR and tfjs's `executeAsync` take the short form for output 0.
 */
export function tensorName(reference: string): string {
  return reference.endsWith(':0') ? reference.slice(0, -2) : reference;
}

/**
 * The GraphDef of a loaded GraphModel. tfjs keeps it private, so it is read back through the public `save` with
 * a handler that only captures the artifacts (nothing is written).
 */
export async function readGraphModelTopology(model: GraphModelLike): Promise<GraphDefNode[]> {
  let topology: unknown;
  await model.save({
    save: async (artifacts) => {
      topology = artifacts.modelTopology;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' as const } };
    },
  });
  const nodes = (topology as { node?: readonly RawNode[] } | undefined)?.node;
  if (!Array.isArray(nodes)) {
    throw new GraceError(
      'INVALID_ARGUMENT',
      'the GraphModel has no GraphDef topology (is it a converted graph model?)',
      {},
    );
  }
  return (nodes as readonly RawNode[]).map((node) => ({
    name: node.name,
    op: node.op,
    inputs: (node.input ?? []).filter((input) => !input.startsWith('^')).map(tensorName),
    attributes: node.attr ?? {},
  }));
}

/** The producing node's name of a tensor name (`node:1` → `node`). */
export function producerName(tensor: string): string {
  const colon = tensor.lastIndexOf(':');
  return colon > 0 && /^\d+$/.test(tensor.slice(colon + 1)) ? tensor.slice(0, colon) : tensor;
}

/** A boolean attribute (`transpose_a`, `keep_dims`), false when absent. */
export function booleanAttribute(node: GraphDefNode, name: string): boolean {
  return node.attributes[name]?.b === true;
}

/** A string attribute (`data_format`), stored as text or as its bytes. */
export function stringAttribute(node: GraphDefNode, name: string): string | undefined {
  const value = node.attributes[name]?.s;
  if (value === undefined) return undefined;
  if (typeof value !== 'string') return String.fromCharCode(...value);
  // The converter stores strings base64-encoded.
  try {
    return atob(value);
  } catch {
    return value;
  }
}

/** An integer-list attribute (`squeeze_dims`). */
export function integerListAttribute(node: GraphDefNode, name: string): number[] | undefined {
  return node.attributes[name]?.list?.i?.map(Number);
}

/** Nodes in an order where every node comes after the producers of its inputs. */
export function topologicalNodes(nodes: readonly GraphDefNode[]): GraphDefNode[] {
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const placed = new Set<string>();
  // Nodes on the current path: a loop (NextIteration) is not followed back.
  const visiting = new Set<string>();
  const ordered: GraphDefNode[] = [];
  const visit = (node: GraphDefNode): void => {
    const stack: [GraphDefNode, number][] = [[node, 0]];
    visiting.add(node.name);
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as [GraphDefNode, number];
      const [current, next] = top;
      if (placed.has(current.name)) {
        stack.pop();
        continue;
      }
      if (next < current.inputs.length) {
        top[1] = next + 1;
        const producer = byName.get(producerName(current.inputs[next] as string));
        if (producer !== undefined && !placed.has(producer.name) && !visiting.has(producer.name)) {
          visiting.add(producer.name);
          stack.push([producer, 0]);
        }
        continue;
      }
      placed.add(current.name);
      visiting.delete(current.name);
      ordered.push(current);
      stack.pop();
    }
  };
  for (const node of nodes) visit(node);
  return ordered;
}
