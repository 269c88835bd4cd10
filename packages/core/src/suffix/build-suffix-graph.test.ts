import { describe, expect, it } from 'vitest';
import { type AnyBuiltSuffixNode, buildSuffixGraph } from './build-suffix-graph.js';
import type { GraphInitializer, GraphNode, SuffixGraph } from './suffix-graph.js';

function weight(name: string, shape: number[]): GraphInitializer {
  const size = shape.reduce((product, dimension) => product * dimension, 1);
  return { name, shape, data: Float32Array.from({ length: size }, (_, index) => (index % 7) / 7 - 0.5) };
}

function node(
  name: string,
  opType: string,
  inputs: string[],
  attributes?: GraphNode['attributes'],
): GraphNode {
  return {
    name,
    opType,
    inputs,
    outputs: [`${name}:out`],
    ...(attributes === undefined ? {} : { attributes }),
  };
}

/** A 4 → 8 → 3 MLP classifier with a softmax cross-entropy loss. */
function mlpGraph(): SuffixGraph {
  return {
    name: 'mlp',
    inputs: [
      { name: 'x', dtype: 'float32', shape: ['batch', 4] },
      { name: 'labels', dtype: 'int32', shape: ['batch'] },
    ],
    initializers: [weight('w1', [4, 8]), weight('b1', [8]), weight('w2', [8, 3]), weight('b2', [3])],
    nodes: [
      node('dense1', 'MatMul', ['x', 'w1']),
      node('bias1', 'Add', ['dense1:out', 'b1']),
      node('relu1', 'Relu', ['bias1:out']),
      node('head', 'Gemm', ['relu1:out', 'w2', 'b2']),
      node('loss', 'SoftmaxCrossEntropyLoss', ['head:out', 'labels']),
    ],
    outputs: ['head:out', 'loss:out'],
  };
}

/**
 * One transformer encoder layer with 2 heads of width 4 over `[batch, tokens, 8]`, mean pooling and a
 * classifier head; its nodes are listed in reverse, so the builder must sort them.
 */
function encoderGraph(): SuffixGraph {
  const heads = { shape: [0, 0, 2, 4] };
  const nodes = [
    node('q', 'MatMul', ['x', 'wq']),
    node('q_bias', 'Add', ['q:out', 'bq']),
    node('k', 'MatMul', ['x', 'wk']),
    node('v', 'MatMul', ['x', 'wv']),
    node('q_heads', 'Reshape', ['q_bias:out'], heads),
    node('q_t', 'Transpose', ['q_heads:out'], { perm: [0, 2, 1, 3] }),
    node('k_heads', 'Reshape', ['k:out'], heads),
    node('k_t', 'Transpose', ['k_heads:out'], { perm: [0, 2, 3, 1] }),
    node('scores', 'MatMul', ['q_t:out', 'k_t:out']),
    node('scaled', 'Div', ['scores:out', 'scale']),
    node('attention', 'Softmax', ['scaled:out'], { axis: -1 }),
    node('v_heads', 'Reshape', ['v:out'], heads),
    node('v_t', 'Transpose', ['v_heads:out'], { perm: [0, 2, 1, 3] }),
    node('context', 'MatMul', ['attention:out', 'v_t:out']),
    node('context_t', 'Transpose', ['context:out'], { perm: [0, 2, 1, 3] }),
    node('merged', 'Reshape', ['context_t:out'], { shape: [0, 0, -1] }),
    node('residual', 'Add', ['merged:out', 'x']),
    node('norm', 'LayerNormalization', ['residual:out', 'gamma', 'beta'], { epsilon: 1e-6 }),
    node('ffn', 'Gelu', ['norm:out']),
    node('pool', 'ReduceMean', ['ffn:out'], { axes: [1], keepdims: 0 }),
    node('head', 'Gemm', ['pool:out', 'wo', 'bo'], { transB: 1 }),
    node('loss', 'SoftmaxCrossEntropyLoss', ['head:out', 'labels']),
  ];
  return {
    inputs: [
      { name: 'x', dtype: 'float32', shape: ['batch', 'tokens', 8] },
      { name: 'labels', dtype: 'int32', shape: ['batch'] },
    ],
    initializers: [
      weight('wq', [8, 8]),
      weight('bq', [8]),
      weight('wk', [8, 8]),
      weight('wv', [8, 8]),
      { name: 'scale', shape: [], data: Float32Array.of(2) },
      weight('gamma', [8]),
      weight('beta', [8]),
      weight('wo', [3, 8]),
      weight('bo', [3]),
    ],
    nodes: nodes.reverse(),
    outputs: ['head:out', 'loss:out'],
  };
}

function expectOrdered(nodes: readonly AnyBuiltSuffixNode[]): void {
  const seen = new Set<string>();
  for (const built of nodes) {
    for (const input of built.inputs) {
      if (input?.endsWith(':out')) expect(seen.has(input)).toBe(true);
    }
    seen.add(built.output);
  }
}

describe('buildSuffixGraph: shape inference', () => {
  it('infers an MLP with a symbolic batch', () => {
    const built = buildSuffixGraph(mlpGraph());
    expect(built.nodes.map((built) => built.node.name)).toEqual(['dense1', 'bias1', 'relu1', 'head', 'loss']);
    expect(built.valueInfo.get('relu1:out')).toEqual({ dtype: 'float32', shape: ['batch', 8], producer: 2 });
    expect(built.valueInfo.get('head:out')?.shape).toEqual(['batch', 3]);
    expect(built.valueInfo.get('loss:out')?.shape).toEqual([]);
    expect(built.valueInfo.get('labels')).toEqual({ dtype: 'int32', shape: ['batch'], producer: 'input' });
    expect(built.valueInfo.get('w1')?.producer).toBe('initializer');
  });

  it('infers a transformer encoder block through the attention reshapes, and sorts its nodes', () => {
    const built = buildSuffixGraph(encoderGraph());
    expectOrdered(built.nodes);
    const shape = (name: string) => built.valueInfo.get(`${name}:out`)?.shape;
    expect(shape('q_bias')).toEqual(['batch', 'tokens', 8]);
    expect(shape('q_heads')).toEqual(['batch', 'tokens', 2, 4]);
    expect(shape('k_t')).toEqual(['batch', 2, 4, 'tokens']);
    expect(shape('scores')).toEqual(['batch', 2, 'tokens', 'tokens']);
    expect(shape('attention')).toEqual(['batch', 2, 'tokens', 'tokens']);
    expect(shape('context')).toEqual(['batch', 2, 'tokens', 4]);
    expect(shape('merged')).toEqual(['batch', 'tokens', 8]);
    expect(shape('norm')).toEqual(['batch', 'tokens', 8]);
    expect(shape('pool')).toEqual(['batch', 8]);
    expect(shape('head')).toEqual(['batch', 3]);
    expect(shape('loss')).toEqual([]);
    const norm = built.nodes.find((built) => built.node.name === 'norm');
    expect(norm?.symbolic.attributes).toEqual({ axis: 2, epsilon: 1e-6 });
  });

  it('resolves nodes for concrete shapes at run time, and binds input names', () => {
    const built = buildSuffixGraph(encoderGraph());
    const index = built.nodes.findIndex((built) => built.node.name === 'merged');
    expect(built.resolveNode(index, [[2, 5, 2, 4]])).toEqual({ attributes: {}, outputShape: [2, 5, 8] });
    const pool = built.nodes.find((built) => built.node.name === 'pool');
    expect(pool?.resolve([[2, 5, 8]])).toEqual({
      attributes: { axes: [1], keepDims: false },
      outputShape: [2, 8],
    });
    // What the names left open at build time is checked at run time.
    const scores = built.nodes.findIndex((built) => built.node.name === 'scores');
    expect(() =>
      built.resolveNode(scores, [
        [2, 2, 5, 4],
        [2, 2, 3, 5],
      ]),
    ).toThrow(
      expect.objectContaining({ code: 'SHAPE_MISMATCH', message: expect.stringContaining("'scores'") }),
    );
    expect(built.bindInputShapes({ x: [2, 5, 8], labels: [2] })).toEqual(
      new Map([
        ['batch', 2],
        ['tokens', 5],
      ]),
    );
    expect(() => built.bindInputShapes({ x: [2, 5, 8], labels: [3] })).toThrow(
      expect.objectContaining({ code: 'SHAPE_MISMATCH', message: expect.stringContaining("'labels'") }),
    );
    expect(() => built.bindInputShapes({ x: [2, 5, 7] })).toThrow(
      expect.objectContaining({ code: 'SHAPE_MISMATCH' }),
    );
  });
});

/** The MLP with one change, for the error cases. */
function mlpWith(change: (graph: SuffixGraph) => Partial<SuffixGraph>): SuffixGraph {
  const graph = mlpGraph();
  return { ...graph, ...change(graph) };
}

function replaceNode(graph: SuffixGraph, name: string, replacement: GraphNode): GraphNode[] {
  return graph.nodes.map((existing) => (existing.name === name ? replacement : existing));
}

function expectBuildError(graph: SuffixGraph, code: string, ...fragments: string[]): void {
  let thrown: unknown;
  try {
    buildSuffixGraph(graph);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toMatchObject({ name: 'GraceError', code });
  for (const fragment of fragments) expect((thrown as Error).message).toContain(fragment);
}

describe('buildSuffixGraph: errors name the node', () => {
  it('an unknown op is UNSUPPORTED_OP listing the supported ops', () => {
    const graph = mlpWith((graph) => ({
      nodes: replaceNode(graph, 'relu1', node('relu1', 'LeakyRelu', ['bias1:out'])),
    }));
    expectBuildError(graph, 'UNSUPPORTED_OP', "'relu1'", "'LeakyRelu'", 'MatMul, Gemm, Add');
  });

  it('incompatible shapes are SHAPE_MISMATCH', () => {
    const graph = mlpWith(() => ({
      initializers: [weight('w1', [5, 8]), weight('b1', [8]), weight('w2', [8, 3]), weight('b2', [3])],
    }));
    expectBuildError(graph, 'SHAPE_MISMATCH', "'dense1'", 'inner dimensions');
  });

  it('an input defined nowhere is GRAPH_INVALID naming the node and the input', () => {
    const graph = mlpWith((graph) => ({
      nodes: replaceNode(graph, 'bias1', node('bias1', 'Add', ['dense1:out', 'bias'])),
    }));
    expectBuildError(graph, 'GRAPH_INVALID', "'bias1'", "'bias'");
  });

  it('a value defined twice is GRAPH_INVALID naming both definitions', () => {
    const twice = mlpWith((graph) => ({
      nodes: replaceNode(graph, 'relu1', {
        ...node('relu1', 'Relu', ['bias1:out']),
        outputs: ['dense1:out'],
      }),
    }));
    expectBuildError(twice, 'GRAPH_INVALID', "'dense1:out'", "node 'dense1'", "node 'relu1'");
    const shadowed = mlpWith((graph) => ({ initializers: [...graph.initializers, weight('x', [1])] }));
    expectBuildError(shadowed, 'GRAPH_INVALID', "graph input 'x'", "initializer 'x'");
  });

  it('a cycle is GRAPH_INVALID naming its nodes', () => {
    const graph: SuffixGraph = {
      inputs: [{ name: 'x', dtype: 'float32', shape: [2] }],
      initializers: [],
      nodes: [node('first', 'Add', ['x', 'second:out']), node('second', 'Relu', ['first:out'])],
      outputs: ['second:out'],
    };
    expectBuildError(graph, 'GRAPH_INVALID', 'cycle', "'first'", "'second'");
    const selfLoop = { ...graph, nodes: [node('loop', 'Add', ['x', 'loop:out'])], outputs: ['loop:out'] };
    expectBuildError(selfLoop, 'GRAPH_INVALID', "'loop'");
  });

  it('a bad attribute is INVALID_ARGUMENT, an unknown one UNSUPPORTED_OP', () => {
    const axis = mlpWith((graph) => ({
      nodes: [...graph.nodes, node('probabilities', 'Softmax', ['head:out'], { axis: 2 })],
    }));
    expectBuildError(axis, 'INVALID_ARGUMENT', "'probabilities'", 'axis 2');
    const unknown = mlpWith((graph) => ({
      nodes: replaceNode(graph, 'head', node('head', 'Gemm', ['relu1:out', 'w2', 'b2'], { broadcast: 1 })),
    }));
    expectBuildError(unknown, 'UNSUPPORTED_OP', "'head'", "'broadcast'");
  });

  it('float labels or int32 activations are DTYPE_MISMATCH', () => {
    const floatLabels = mlpWith((graph) => ({
      inputs: [
        graph.inputs[0] as SuffixGraph['inputs'][0],
        { name: 'labels', dtype: 'float32', shape: ['batch'] },
      ],
    }));
    expectBuildError(floatLabels, 'DTYPE_MISMATCH', "'loss'", "'labels'", 'int32');
    const intInput = mlpWith((graph) => ({
      inputs: [
        { name: 'x', dtype: 'int32', shape: ['batch', 4] },
        graph.inputs[1] as SuffixGraph['inputs'][0],
      ],
    }));
    expectBuildError(intInput, 'DTYPE_MISMATCH', "'dense1'", "'x'", 'float32');
  });

  it('refuses wrong arity, an empty required input, extra outputs and undefined graph outputs', () => {
    expectBuildError(
      mlpWith((graph) => ({
        nodes: replaceNode(graph, 'relu1', node('relu1', 'Relu', ['bias1:out', 'b1'])),
      })),
      'GRAPH_INVALID',
      "'relu1'",
      'takes 1 inputs',
    );
    expectBuildError(
      mlpWith((graph) => ({
        nodes: replaceNode(graph, 'head', node('head', 'Gemm', ['relu1:out', '', 'b2'])),
      })),
      'GRAPH_INVALID',
      "'head'",
      'input 1',
    );
    const statistics = {
      ...node('norm', 'LayerNormalization', ['relu1:out', 'gamma']),
      outputs: ['norm:out', 'norm:mean', 'norm:inverse'],
    };
    expectBuildError(
      mlpWith((graph) => ({
        nodes: [...graph.nodes, statistics],
        initializers: [...graph.initializers, weight('gamma', [8])],
      })),
      'UNSUPPORTED_OP',
      "'norm'",
      'only the first output',
    );
    expectBuildError(
      mlpWith(() => ({ outputs: ['logits'] })),
      'GRAPH_INVALID',
      "'logits'",
    );
  });

  it('refuses initializers whose data does not fill their shape, and malformed inputs', () => {
    expectBuildError(
      mlpWith((graph) => ({
        initializers: [...graph.initializers.slice(1), { ...weight('w1', [4, 8]), shape: [4, 7] }],
      })),
      'GRAPH_INVALID',
      "'w1'",
      '32 elements',
    );
    expectBuildError(
      mlpWith((graph) => ({
        inputs: [
          { name: 'x', dtype: 'float32', shape: ['', 4] },
          graph.inputs[1] as SuffixGraph['inputs'][0],
        ],
      })),
      'GRAPH_INVALID',
      "'x'",
    );
  });
});
