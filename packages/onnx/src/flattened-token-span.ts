import type { Dimension, SymbolicShape } from '@grace/core';
import type { OnnxNodeProto } from './onnx-proto-types.js';

/**
 * A Gemm that works on tokens folded into rows: `Reshape [B, T, D] → [B·T, D]`, the Gemm, `Reshape [B·T, D'] →
 * [B, T, D']`. The dynamo exporter writes every `nn.Linear` of a transformer this way. GRACE needs one row per
 * example, so such an edit point is lifted to the tensors around the two Reshapes: the layer input is the
 * `[B, T, D]` tensor before the first, the layer output the `[B, T, D']` tensor after the second.
 */
export interface FlattenedTokenSpan {
  /** The `[B, T, D]` tensor the first Reshape flattens: the lifted layer input. */
  readonly input: string;
  /** The `[B, T, D']` tensor the second Reshape makes: the lifted layer output. */
  readonly output: string;
}

/**
 * The span around `node` when it sits between a Reshape that makes its first input and a Reshape that is the
 * only reader of its output; `undefined` otherwise. Whether the Reshapes really fold tokens into rows is
 * checked on probed shapes with {@link isTokenSpan}.
 */
export function flattenedTokenSpan(
  nodes: readonly OnnxNodeProto[],
  node: OnnxNodeProto,
  graphOutputs: readonly string[],
): FlattenedTokenSpan | undefined {
  const flatInput = node.input?.[0] ?? '';
  const flatOutput = node.output?.[0] ?? '';
  const before = nodes.find((entry) => entry.output?.includes(flatInput));
  const readers = nodes.filter((entry) => entry.input?.includes(flatOutput));
  const after = readers[0];
  if (before?.opType !== 'Reshape' || readers.length !== 1 || after?.opType !== 'Reshape') return undefined;
  if (graphOutputs.includes(flatOutput)) return undefined;
  const input = before.input?.[0] ?? '';
  const output = after.output?.[0] ?? '';
  return input === '' || output === '' ? undefined : { input, output };
}

/**
 * Whether probed shapes show a token fold: `[B, T, D]` → `[N, D]` → `[N, D']` → `[B, T, D']`, with the same
 * `B` and `T` on both sides and the Gemm's widths at the ends.
 */
export function isTokenSpan(shapes: {
  readonly input: SymbolicShape | undefined;
  readonly flatInput: SymbolicShape | undefined;
  readonly flatOutput: SymbolicShape | undefined;
  readonly output: SymbolicShape | undefined;
}): boolean {
  const { input, flatInput, flatOutput, output } = shapes;
  if (input?.length !== 3 || output?.length !== 3 || flatInput?.length !== 2 || flatOutput?.length !== 2)
    return false;
  const same = (left: Dimension | undefined, right: Dimension | undefined): boolean => left === right;
  return (
    same(input[0], output[0]) &&
    same(input[1], output[1]) &&
    same(input[2], flatInput[1]) &&
    same(output[2], flatOutput[1]) &&
    same(flatInput[0], flatOutput[0]) &&
    typeof input[2] === 'number' &&
    typeof output[2] === 'number'
  );
}
