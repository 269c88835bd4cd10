import type { Dimension, SymbolicShape } from '@grace/core';
import { flattenedTokenSpan, isTokenSpan } from './flattened-token-span.js';
import { onnxNode } from './onnx-model-builder.js';
import type { OnnxNodeProto } from './onnx-proto-types.js';
import { nodeAttributes, type StaticValue } from './static-value.js';

/** ONNX nodes and the constants they read, after {@link liftTokenGemms}. */
export interface LiftedNodes {
  readonly nodes: readonly OnnxNodeProto[];
  readonly statics: ReadonlyMap<string, StaticValue>;
  /** Shapes of the tensors the rewrite adds, then the probed ones. */
  readonly shapeOf: (name: string) => SymbolicShape;
}

/**
 * Rewrites each Gemm on tokens folded into rows (`Reshape [B, T, D] → [B·T, D]`, Gemm, `Reshape → [B, T, D']`,
 * the dynamo exporter's Linear) into `MatMul([B, T, D], W)` and `Add(bias)` onto the second Reshape's output:
 * the same numbers, but the IR's Reshape could not restore two run-time sizes (`batch` and `sequence`) from
 * `[B·T, D']`. An input `[B, T, H, Dh]` (attention heads folded with tokens) is first reshaped to `[B, T, H·Dh]`.
 * `W` is the Gemm's constant weight, transposed for `transB` and scaled by `alpha`; the bias is its
 * constant `[D']` (or scalar) third input scaled by `beta`. A Gemm whose weight or bias is not constant, or whose
 * bias varies by row, is left as it is. The first Reshape is dropped when nothing else reads its output.
 */
export function liftTokenGemms(
  nodes: readonly OnnxNodeProto[],
  statics: ReadonlyMap<string, StaticValue>,
  shapeOf: (name: string) => SymbolicShape,
): LiftedNodes {
  const added = new Map<string, StaticValue>();
  const shapes = new Map<string, SymbolicShape>();
  const replaced = new Map<OnnxNodeProto, OnnxNodeProto[]>();
  for (const gemm of nodes) {
    if (gemm.opType !== 'Gemm') continue;
    const span = flattenedTokenSpan(nodes, gemm, []);
    const attributes = nodeAttributes(gemm);
    const weight = statics.get(gemm.input?.[1] ?? '');
    const bias = (gemm.input?.[2] ?? '') === '' ? undefined : statics.get(gemm.input?.[2] ?? '');
    if (
      span === undefined ||
      (attributes.get('transA') ?? 0) !== 0 ||
      weight?.kind !== 'float' ||
      weight.shape.length !== 2 ||
      ((gemm.input?.[2] ?? '') !== '' &&
        (bias?.kind !== 'float' ||
          bias.shape.some((size, axis, shape) => axis < shape.length - 1 && size !== 1)))
    )
      continue;
    const flatInput = gemm.input?.[0] ?? '';
    const flatOutput = gemm.output?.[0] ?? '';
    const name = gemm.name || flatOutput;
    const source = shapeOf(span.input);
    // Heads folded with tokens (`[B, T, H, Dh]` → `[B·T, H·Dh]`) are first merged to `[B, T, H·Dh]`.
    const tokenInput = source.length > 3 ? `${name}:token-input` : span.input;
    const tokenInputShape =
      source.length > 3 ? [...source.slice(0, 2), shapeOf(flatInput)[1] as Dimension] : source;
    const spanShapes = {
      input: tokenInputShape,
      flatInput: shapeOf(flatInput),
      flatOutput: shapeOf(flatOutput),
      output: shapeOf(span.output),
    };
    const trailing = source.slice(2);
    const mergesHeads =
      source.length <= 3 ||
      (trailing.every((size): size is number => typeof size === 'number') &&
        trailing.reduce((product, size) => product * size, 1) === spanShapes.flatInput[1]);
    if (!mergesHeads || !isTokenSpan(spanShapes)) continue;
    const alpha = Number(attributes.get('alpha') ?? 1);
    const beta = Number(attributes.get('beta') ?? 1);
    const weightName = `${name}:token-weight`;
    added.set(weightName, tokenWeight(weight, attributes.get('transB') === 1, alpha));
    const product = bias === undefined ? span.output : `${name}:token-product`;
    const lifted = [onnxNode('MatMul', [tokenInput, weightName], [product], {}, `${name}:tokens`)];
    if (tokenInput !== span.input) {
      const target = `${name}:token-shape`;
      added.set(target, { kind: 'integer', data: [0, 0, -1], shape: [3] });
      shapes.set(tokenInput, tokenInputShape);
      lifted.unshift(onnxNode('Reshape', [span.input, target], [tokenInput], {}, `${name}:merge-heads`));
    }
    if (bias?.kind === 'float') {
      const biasName = `${name}:token-bias`;
      added.set(biasName, {
        kind: 'float',
        data: bias.data.map((value) => value * beta),
        shape: [bias.data.length],
      });
      lifted.push(onnxNode('Add', [product, biasName], [span.output], {}, `${name}:token-bias-add`));
    }
    replaced.set(gemm, lifted);
    const flatten = nodes.find((entry) => entry.output?.includes(flatInput));
    const unflatten = nodes.find((entry) => entry.output?.includes(span.output));
    const flatRead = nodes.filter((entry) => entry !== gemm && entry.input?.includes(flatInput)).length;
    if (flatten !== undefined && flatRead === 0) replaced.set(flatten, []);
    if (unflatten !== undefined) replaced.set(unflatten, []);
  }
  if (replaced.size === 0) return { nodes, statics, shapeOf };
  return {
    nodes: nodes.flatMap((node) => replaced.get(node) ?? [node]),
    statics: new Map([...statics, ...added]),
    shapeOf: (tensor) => shapes.get(tensor) ?? shapeOf(tensor),
  };
}

/** The Gemm's `[K, N]` weight for a MatMul on `[B, T, K]`: transposed when `transB`, scaled by `alpha`. */
function tokenWeight(
  weight: Extract<StaticValue, { kind: 'float' }>,
  transposed: boolean,
  alpha: number,
): StaticValue {
  const [rows = 0, columns = 0] = weight.shape;
  if (!transposed)
    return { kind: 'float', data: weight.data.map((value) => value * alpha), shape: [rows, columns] };
  const data = new Float32Array(rows * columns);
  for (let row = 0; row < rows; row++)
    for (let column = 0; column < columns; column++)
      data[column * rows + row] = (weight.data[row * columns + column] as number) * alpha;
  return { kind: 'float', data, shape: [columns, rows] };
}
