import type { Dimension, SymbolicShape } from '@grace/core';
import { onnxNode } from './onnx-model-builder.js';
import type { OnnxNodeProto } from './onnx-proto-types.js';
import { nodeAttributes } from './static-value.js';

/** The size of two leading dimensions merged into one, as the probe names it (`batch*4`) or as a number. */
function mergedSize(first: Dimension | undefined, second: Dimension | undefined): Dimension | undefined {
  if (typeof first === 'number' && typeof second === 'number') return first * second;
  return first === undefined || second === undefined ? undefined : `${first}*${second}`;
}

function sameShape(left: SymbolicShape, right: SymbolicShape): boolean {
  return left.length === right.length && left.every((dimension, axis) => dimension === right[axis]);
}

/**
 * Rewrites `Reshape [B, H, ...] → [B·H, ...]`, a Transpose that keeps axis 0, and `Reshape → [B, H, ...]` into
 * one Transpose of the unmerged tensor: the dynamo exporter's form of `key.transpose(-1, -2)` in attention. Same
 * numbers; the IR's Reshape could not split `B·H` back into two sizes when `B` and the sequence length are both
 * run-time sizes. Applied only where the probed shapes show exactly that round trip and nothing else reads the
 * intermediate tensors.
 */
export function unfoldMergedHeads(
  nodes: readonly OnnxNodeProto[],
  shapeOf: (name: string) => SymbolicShape,
): readonly OnnxNodeProto[] {
  const readers = (name: string) => nodes.filter((node) => node.input?.includes(name));
  const replaced = new Map<OnnxNodeProto, OnnxNodeProto[]>();
  for (const merge of nodes) {
    if (merge.opType !== 'Reshape') continue;
    const input = merge.input?.[0] ?? '';
    const merged = merge.output?.[0] ?? '';
    const [transpose, ...otherReaders] = readers(merged);
    if (transpose?.opType !== 'Transpose' || otherReaders.length > 0) continue;
    const transposed = transpose.output?.[0] ?? '';
    const [split, ...alsoReading] = readers(transposed);
    if (split?.opType !== 'Reshape' || alsoReading.length > 0) continue;
    const perm = nodeAttributes(transpose).get('perm');
    const source = shapeOf(input);
    const mergedShape = shapeOf(merged);
    const transposedShape = shapeOf(transposed);
    const output = split.output?.[0] ?? '';
    const splitShape = shapeOf(output);
    const merges =
      source.length >= 3 &&
      mergedShape[0] === mergedSize(source[0], source[1]) &&
      sameShape(mergedShape.slice(1), source.slice(2));
    const splits =
      sameShape(splitShape.slice(0, 2), source.slice(0, 2)) &&
      sameShape(splitShape.slice(2), transposedShape.slice(1));
    if (!Array.isArray(perm) || perm[0] !== 0 || !merges || !splits) continue;
    const unmerged = [0, 1, ...(perm as number[]).slice(1).map((axis) => axis + 1)];
    replaced.set(merge, []);
    replaced.set(transpose, []);
    replaced.set(split, [
      onnxNode('Transpose', [input], [output], { perm: unmerged }, transpose.name || output),
    ]);
  }
  return replaced.size === 0 ? nodes : nodes.flatMap((node) => replaced.get(node) ?? [node]);
}
