import type { GraphInitializer, GraphNode, SuffixGraph } from '@grace/core';
import type { UseLiteModel } from './load-use-lite-model.js';

/** Nodes and weights of one piece of the encoder re-expressed in GRACE's graph IR. */
export interface GraphPiece {
  readonly nodes: readonly GraphNode[];
  readonly initializers: readonly GraphInitializer[];
}

/** Prefix of every value and weight name the USE-lite pieces add, so they never clash with a head's names. */
const scope = 'use';

/**
 * The encoder's tail after its hidden dense layer, from `input` (the dense output `[B, 512]`) to `output`:
 * tanh, then L2 normalisation. USE divides by `sqrt(max(sum(x²), floor))`; op set v1 has no Max, so this
 * divides by `sqrt(sum(x²) + floor)`, which differs only for vectors of norm near `sqrt(floor)` (1e-6) that a
 * tanh of a real sentence never produces.
 */
export function useLiteTail(model: UseLiteModel, input: string, output: string): GraphPiece {
  const name = (suffix: string): string => `${scope}.${suffix}`;
  return {
    initializers: [
      { name: name('normalization_floor'), data: Float32Array.of(model.normalizationFloor), shape: [1] },
    ],
    nodes: [
      { name: name('tanh'), opType: 'Tanh', inputs: [input], outputs: [name('tanh.output')] },
      {
        name: name('square'),
        opType: 'Mul',
        inputs: [name('tanh.output'), name('tanh.output')],
        outputs: [name('square.output')],
      },
      {
        name: name('sum'),
        opType: 'ReduceSum',
        inputs: [name('square.output')],
        outputs: [name('sum.output')],
        attributes: { axes: [1], keepdims: 1 },
      },
      {
        name: name('floor'),
        opType: 'Add',
        inputs: [name('sum.output'), name('normalization_floor')],
        outputs: [name('floor.output')],
      },
      { name: name('norm'), opType: 'Sqrt', inputs: [name('floor.output')], outputs: [name('norm.output')] },
      {
        name: name('l2_normalize'),
        opType: 'Div',
        inputs: [name('tanh.output'), name('norm.output')],
        outputs: [output],
      },
    ],
  };
}

/** Initializer names of the hidden dense layer, e.g. for fine-tuning it. */
export const useLiteHiddenParameters = [`${scope}.hidden.weight`, `${scope}.hidden.bias`] as const;

/** The hidden dense layer `[B, 512] → [B, 512]` from `input` to `output` (a Gemm with USE's own weights). */
export function useLiteHidden(model: UseLiteModel, input: string, output: string): GraphPiece {
  const [weight, bias] = useLiteHiddenParameters;
  return {
    initializers: [
      { name: weight, data: model.hidden.weight, shape: [model.width, model.width] },
      { name: bias, data: model.hidden.bias, shape: [model.width] },
    ],
    nodes: [{ name: `${scope}.hidden`, opType: 'Gemm', inputs: [input, weight, bias], outputs: [output] }],
  };
}

/**
 * The part of the encoder after the pooling as a graph: input `pooled` `[batch, 512]`, output `embedding`
 * `[batch, 512]` (hidden dense, tanh, L2 norm). With the transformer on tfjs up to `pooled`, it reproduces the
 * GraphModel's embedding on any GRACE backend.
 */
export function useLiteEmbeddingGraph(model: UseLiteModel): SuffixGraph {
  const hidden = useLiteHidden(model, 'pooled', `${scope}.hidden.output`);
  const tail = useLiteTail(model, `${scope}.hidden.output`, 'embedding');
  return {
    name: 'use-lite-after-pooling',
    inputs: [{ name: 'pooled', dtype: 'float32', shape: ['batch', model.width] }],
    initializers: [...hidden.initializers, ...tail.initializers],
    nodes: [...hidden.nodes, ...tail.nodes],
    outputs: ['embedding'],
  };
}
