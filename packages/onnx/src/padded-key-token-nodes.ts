import type { KeyToken, ReplacementMode } from '@grace/core';
import { floatTensor, integerTensor, onnxNode } from './onnx-model-builder.js';
import type { OnnxNodeProto, OnnxTensorProto } from './onnx-proto-types.js';

/** A reduction over one axis with keepdims 0, in the form of the model's opset (made by the export). */
export type AxisReduction = (
  op: string,
  input: string,
  output: string,
  axis: number,
  since: number,
) => OnnxNodeProto;

/** What the single graph needs for a right-padded batch: the query rows and the replaced-token mask. */
export interface PaddedKeyTokenNodes {
  readonly nodes: readonly OnnxNodeProto[];
  readonly initializers: readonly OnnxTensorProto[];
}

/**
 * ONNX nodes that read each row's length from the attention mask `[B, T]` (the position after its last non-zero
 * entry: `ReduceMax(Cast(mask ≠ 0) · [1..T])`), as `runPrefix` does, and from it the key position per row, the
 * query rows `[B, D]` of `layerInput` (`[B, T, D]`) at that position (a one-hot product, exact) or their mean over
 * the real tokens, and the boolean mask `[B, T, 1]` of the tokens the replacement mode replaces. Outputs:
 * `${prefix}query.rows` and `${prefix}token.mask`.
 */
export function paddedKeyTokenNodes(parts: {
  readonly attentionMask: string;
  readonly layerInput: string;
  readonly tokens: number;
  readonly keyToken: KeyToken;
  readonly replacement: ReplacementMode;
  readonly reduce: AxisReduction;
  readonly opset: number;
  readonly prefix: string;
}): PaddedKeyTokenNodes {
  const { attentionMask, layerInput, tokens, keyToken, replacement, reduce, opset, prefix } = parts;
  const name = (suffix: string): string => `${prefix}${suffix}`;
  // Unsqueeze takes its axes as an input from opset 13 on, as an attribute before.
  const unsqueeze = (input: string, axis: 1 | 2, output: string): OnnxNodeProto =>
    opset < 13
      ? onnxNode('Unsqueeze', [input], [output], { axes: [axis] })
      : onnxNode('Unsqueeze', [input, name(`axis.${axis}`)], [output]);
  const counting = Float32Array.from({ length: tokens }, (_, token) => token + 1);
  const positions = Float32Array.from({ length: tokens }, (_, token) => token);
  const index = typeof keyToken === 'object' ? keyToken.index : -1;
  const nodes: OnnxNodeProto[] = [
    onnxNode('Cast', [attentionMask], [name('mask.float')], { to: 1 }),
    onnxNode('Sign', [name('mask.float')], [name('mask.real')]),
    onnxNode('Mul', [name('mask.real'), name('counting')], [name('mask.counted')]),
    reduce('ReduceMax', name('mask.counted'), name('length'), 1, 18),
    unsqueeze(name('length'), 1, name('length.column')),
    // The key position: `index` from the start, or from the end (`last`, `mean`, a negative index).
    ...(index >= 0
      ? [onnxNode('Identity', [name('key.index')], [name('key.position')])]
      : [onnxNode('Add', [name('length.column'), name('key.index')], [name('key.position')])]),
    onnxNode('Equal', [name('positions'), name('key.position')], [name('key.onehot.bool')]),
    onnxNode('Cast', [name('key.onehot.bool')], [name('key.onehot')], { to: 1 }),
    onnxNode('Less', [name('positions'), name('length.column')], [name('real.bool')]),
    onnxNode('Cast', [name('real.bool')], [name('real')], { to: 1 }),
    unsqueeze(keyToken === 'mean' ? name('real') : name('key.onehot'), 2, name('weights')),
    onnxNode('Mul', [layerInput, name('weights')], [name('weighted')]),
    reduce('ReduceSum', name('weighted'), name('weighted.sum'), 1, 13),
    ...(keyToken === 'mean'
      ? [onnxNode('Div', [name('weighted.sum'), name('length.column')], [name('query.rows')])]
      : [onnxNode('Identity', [name('weighted.sum')], [name('query.rows')])]),
    ...(replacement === 'all'
      ? [onnxNode('Equal', [name('positions.column'), name('positions.column')], [name('token.mask')])]
      : [
          onnxNode(
            replacement === 'last' ? 'Equal' : 'Less',
            [name('positions'), name('key.position')],
            [name('replaced')],
          ),
          unsqueeze(name('replaced'), 2, name('token.mask')),
        ]),
  ];
  const initializers = [
    floatTensor(name('counting'), counting, [1, tokens]),
    floatTensor(name('positions'), positions, [1, tokens]),
    floatTensor(name('positions.column'), positions, [1, tokens, 1]),
    floatTensor(name('key.index'), [index], []),
    ...(opset < 13 ? [] : [integerTensor(name('axis.1'), [1]), integerTensor(name('axis.2'), [2])]),
  ];
  return { nodes, initializers };
}
