import type { SuffixGraph } from '../suffix/suffix-graph.js';

/** `[T, Dv]` of {@link squashedErrorTail}'s tokens. */
export const squashedErrorShape = [5, 3] as const;
const [tokens, width] = squashedErrorShape;

/** `[1, T, Dv]` → Tanh → mean squared error against a `[1, T, Dv]` target: each token's gradient differs. */
export function squashedErrorTail(): SuffixGraph {
  return {
    inputs: [
      { name: 'tokens', dtype: 'float32', shape: [1, tokens, width] },
      { name: 'target', dtype: 'float32', shape: [1, tokens, width] },
    ],
    initializers: [],
    nodes: [
      { name: 'squash', opType: 'Tanh', inputs: ['tokens'], outputs: ['squashed'] },
      { name: 'loss', opType: 'MeanSquaredErrorLoss', inputs: ['squashed', 'target'], outputs: ['loss'] },
    ],
    outputs: ['loss'],
  };
}
