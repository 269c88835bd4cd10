import { GraceError } from '../errors.js';
import { formatShape, shapeSize } from '../tensor.js';
import type { SuffixValueInfo } from './build-suffix-graph.js';
import type { Dimension, SuffixGraph } from './suffix-graph.js';
import { formatSymbolicShape } from './symbolic-shape.js';

function invalid(message: string, details: Record<string, unknown>): GraceError {
  return new GraceError('GRAPH_INVALID', message, details);
}

function isDimension(dimension: Dimension): boolean {
  return typeof dimension === 'string' ? dimension.length > 0 : Number.isInteger(dimension) && dimension >= 0;
}

/**
 * The checks of a suffix graph that need no op knowledge: names present and unique (a value defined twice
 * names both definitions), graph inputs with a dtype and a well-formed symbolic shape, initializer data that
 * fills its shape, and nodes with exactly one output (every op of set v1 has one; ONNX's optional extra
 * outputs, such as LayerNormalization's Mean, are `UNSUPPORTED_OP`). Returns the graph inputs and
 * initializers as value infos.
 */
export function validateGraphDeclarations(graph: SuffixGraph): Map<string, SuffixValueInfo> {
  const definedBy = new Map<string, string>();
  const define = (name: string, by: string): void => {
    if (typeof name !== 'string' || name === '') throw invalid(`${by} has no name`, { by });
    const earlier = definedBy.get(name);
    if (earlier !== undefined) {
      throw invalid(`value '${name}' is defined twice: by ${earlier} and by ${by}`, {
        value: name,
        by: [earlier, by],
      });
    }
    definedBy.set(name, by);
  };
  const values = new Map<string, SuffixValueInfo>();
  for (const input of graph.inputs) {
    define(input.name, `graph input '${input.name}'`);
    if (input.dtype !== 'float32' && input.dtype !== 'int32') {
      throw invalid(
        `graph input '${input.name}' has dtype ${String(input.dtype)}; float32 or int32 expected`,
        {
          input: input.name,
        },
      );
    }
    if (!Array.isArray(input.shape) || !input.shape.every(isDimension)) {
      throw invalid(
        `graph input '${input.name}' has shape ${formatSymbolicShape(input.shape)}; each dimension must be a ` +
          'natural number or a non-empty name',
        { input: input.name, shape: input.shape },
      );
    }
    values.set(input.name, { dtype: input.dtype, shape: input.shape, producer: 'input' });
  }
  for (const initializer of graph.initializers) {
    define(initializer.name, `initializer '${initializer.name}'`);
    const { data, shape } = initializer;
    if (!(data instanceof Float32Array) && !(data instanceof Int32Array)) {
      throw invalid(`initializer '${initializer.name}' must hold a Float32Array or an Int32Array`, {
        initializer: initializer.name,
      });
    }
    if (
      !shape.every((dimension) => Number.isInteger(dimension) && dimension >= 0) ||
      shapeSize(shape) !== data.length
    ) {
      throw invalid(
        `initializer '${initializer.name}' has shape ${formatShape(shape)} but ${data.length} elements`,
        { initializer: initializer.name, shape, length: data.length },
      );
    }
    values.set(initializer.name, {
      dtype: data instanceof Int32Array ? 'int32' : 'float32',
      shape,
      producer: 'initializer',
    });
  }
  const nodeNames = new Set<string>();
  for (const node of graph.nodes) {
    if (typeof node.name !== 'string' || node.name === '') {
      throw invalid(`a node of op '${node.opType}' has no name; every node needs one for error messages`, {
        opType: node.opType,
      });
    }
    if (nodeNames.has(node.name)) throw invalid(`two nodes are named '${node.name}'`, { node: node.name });
    nodeNames.add(node.name);
    const [output, ...extra] = node.outputs;
    if (output === undefined || output === '') {
      throw invalid(`node '${node.name}' (${node.opType}) has no output`, { node: node.name });
    }
    const listed = extra.filter((name) => name !== '');
    if (listed.length > 0) {
      throw new GraceError(
        'UNSUPPORTED_OP',
        `node '${node.name}' (${node.opType}) lists ${listed.length + 1} outputs ` +
          `(${[output, ...listed].join(', ')}); ` +
          'op set v1 computes only the first output, so the importer should drop the others',
        { node: node.name, opType: node.opType, outputs: node.outputs },
      );
    }
    define(output, `node '${node.name}'`);
  }
  return values;
}
