import type { Dimension, SymbolicShape } from '@grace/core';
import type { OnnxNodeProto } from './onnx-proto-types.js';
import type { OnnxModel } from './read-onnx-model.js';
import {
  constantNodeValue,
  integerRange,
  nodeAttributes,
  type StaticValue,
  tensorToStaticValue,
} from './static-value.js';

type Folder = (
  inputs: readonly (StaticValue | undefined)[],
  node: OnnxNodeProto,
  opset: number,
) => StaticValue | undefined;

function integers(value: StaticValue | undefined): readonly Dimension[] | undefined {
  if (value === undefined) return undefined;
  return value.kind === 'integer' ? value.data : Array.from(value.data);
}

function numberList(value: StaticValue | undefined): number[] | undefined {
  const entries = integers(value);
  return entries?.every((entry) => typeof entry === 'number') ? (entries as number[]) : undefined;
}

function attributeNumbers(node: OnnxNodeProto, name: string): number[] | undefined {
  const value = nodeAttributes(node).get(name);
  if (typeof value === 'number') return [value];
  return Array.isArray(value) ? (value as number[]) : undefined;
}

function arithmetic(operation: (left: number, right: number) => number): Folder {
  return ([left, right]) => {
    if (left === undefined || right === undefined) return undefined;
    if (left.kind === 'float' || right.kind === 'float') {
      if (left.kind !== 'float' || right.kind !== 'float' || right.data.length !== 1) return undefined;
      const scalar = right.data[0] as number;
      return { kind: 'float', data: left.data.map((entry) => operation(entry, scalar)), shape: left.shape };
    }
    const length = Math.max(left.data.length, right.data.length);
    if (left.data.length !== length && left.data.length !== 1) return undefined;
    if (right.data.length !== length && right.data.length !== 1) return undefined;
    const data: Dimension[] = [];
    for (let index = 0; index < length; index++) {
      const a = left.data[left.data.length === 1 ? 0 : index] as Dimension;
      const b = right.data[right.data.length === 1 ? 0 : index] as Dimension;
      if (typeof a !== 'number' || typeof b !== 'number') {
        // batch * 1, batch / 1 and batch + 0 stay symbolic; anything else is left to run time.
        if (typeof b === 'number' && operation(1, b) === 1 && operation(7, b) === 7) data.push(a);
        else return undefined;
      } else {
        const result = Math.trunc(operation(a, b));
        // Outside the element type (uint8 wrapping below 0, say) or a division by 0 is left unfolded, and so
        // refused, rather than folded to a guess.
        const [lowest, highest] = integerRange(left.dataType);
        if (!Number.isFinite(result) || result < lowest || result > highest) return undefined;
        data.push(result);
      }
    }
    const shape = left.data.length === length ? left.shape : right.shape;
    return left.dataType === undefined
      ? { kind: 'integer', data, shape }
      : { kind: 'integer', data, shape, dataType: left.dataType };
  };
}

/**
 * Host evaluators for the shape arithmetic that exporters emit around Reshape (`Shape`, `Gather`, `Concat`,
 * `Unsqueeze`, `Slice`, `Cast`, ...), on 0-D and 1-D integer tensors. A node whose inputs are all static and
 * whose op is here is folded; the suffix IR then never sees integer tensors.
 */
const folders: Readonly<Record<string, Folder>> = {
  Identity: ([input]) => input,
  Cast: ([input], node) => {
    if (input === undefined) return undefined;
    const to = nodeAttributes(node).get('to');
    if (to === 1 || to === 11) {
      const entries = numberList(input);
      return entries === undefined
        ? undefined
        : { kind: 'float', data: Float32Array.from(entries), shape: input.shape };
    }
    const [lowest, highest] = integerRange(typeof to === 'number' ? to : undefined);
    const data = input.kind === 'integer' ? input.data : Array.from(input.data, Math.trunc);
    // A cast that would wrap or saturate is left to run time (and so refused).
    if (data.some((entry) => typeof entry === 'number' && (entry < lowest || entry > highest)))
      return undefined;
    return typeof to === 'number'
      ? { kind: 'integer', data, shape: input.shape, dataType: to }
      : { kind: 'integer', data, shape: input.shape };
  },
  Gather: ([data, indices], node) => {
    const entries = integers(data);
    const picks = numberList(indices);
    if (entries === undefined || picks === undefined || data === undefined || indices === undefined)
      return undefined;
    if (data.shape.length !== 1 || (nodeAttributes(node).get('axis') ?? 0) !== 0) return undefined;
    const picked = picks.map((index) => entries[index < 0 ? index + entries.length : index] as Dimension);
    return data.kind === 'float'
      ? { kind: 'float', data: Float32Array.from(picked as number[]), shape: indices.shape }
      : { kind: 'integer', data: picked, shape: indices.shape };
  },
  Unsqueeze: ([input]) => input && reshaped(input, input.shape.length === 0 ? [1] : [input.data.length]),
  Squeeze: ([input]) => input && reshaped(input, input.data.length === 1 ? [] : [input.data.length]),
  Concat: (inputs) => {
    const parts: Dimension[][] = [];
    for (const input of inputs) {
      if (input === undefined || input.kind !== 'integer' || input.shape.length > 1) return undefined;
      parts.push([...input.data]);
    }
    const data = parts.flat();
    return { kind: 'integer', data, shape: [data.length] };
  },
  Slice: (inputs, node, opset) => {
    const entries = integers(inputs[0]);
    if (entries === undefined || inputs[0]?.shape.length !== 1) return undefined;
    const starts = opset < 10 ? attributeNumbers(node, 'starts') : numberList(inputs[1]);
    const ends = opset < 10 ? attributeNumbers(node, 'ends') : numberList(inputs[2]);
    const steps = opset < 10 ? [1] : (numberList(inputs[4]) ?? [1]);
    if (starts?.length !== 1 || ends?.length !== 1 || steps[0] !== 1) return undefined;
    const clamp = (value: number): number =>
      Math.min(Math.max(value < 0 ? value + entries.length : value, 0), entries.length);
    const data = entries.slice(clamp(starts[0] as number), clamp(ends[0] as number));
    return inputs[0].kind === 'float'
      ? { kind: 'float', data: Float32Array.from(data as number[]), shape: [data.length] }
      : { kind: 'integer', data, shape: [data.length] };
  },
  Add: arithmetic((left, right) => left + right),
  Sub: arithmetic((left, right) => left - right),
  Mul: arithmetic((left, right) => left * right),
  Div: arithmetic((left, right) => left / right),
  ConstantOfShape: ([shape], node) => {
    const dims = numberList(shape);
    if (dims === undefined) return undefined;
    const fill = nodeAttributes(node).get('value');
    const count = dims.reduce((product, dimension) => product * dimension, 1);
    if (typeof fill === 'object' && fill !== null && 'kind' in fill && fill.kind === 'float')
      return { kind: 'float', data: new Float32Array(count).fill(fill.data[0] ?? 0), shape: dims };
    const integerFill =
      typeof fill === 'object' && fill !== null && 'kind' in fill ? Number(fill.data[0] ?? 0) : 0;
    return { kind: 'integer', data: new Array<number>(count).fill(integerFill), shape: dims };
  },
};

/** Shape-15's `start` and `end`: the slice of the dimensions it returns (clamped, negative from the end). */
function shapeSlice(shape: SymbolicShape, node: OnnxNodeProto): Dimension[] {
  const attributes = nodeAttributes(node);
  const clamp = (value: number): number =>
    Math.min(Math.max(value < 0 ? value + shape.length : value, 0), shape.length);
  const start = attributes.get('start');
  const end = attributes.get('end');
  return shape.slice(
    clamp(typeof start === 'number' ? start : 0),
    clamp(typeof end === 'number' ? end : shape.length),
  );
}

/** Ops whose outputs are folded when their inputs are static (besides `Constant` and `Shape`). */
export const foldedOpTypes: ReadonlySet<string> = new Set([...Object.keys(folders), 'Constant', 'Shape']);

function reshaped(value: StaticValue, shape: readonly number[]): StaticValue {
  return value.kind === 'float'
    ? { kind: 'float', data: value.data, shape }
    : { kind: 'integer', data: value.data, shape };
}

/**
 * Every tensor of the model whose value is known without inputs: initializers, `Constant` outputs, `Shape` of a
 * tensor whose (symbolic) shape was probed, and whatever the folders compute from those.
 */
export function foldStaticValues(
  model: OnnxModel,
  shapes: ReadonlyMap<string, SymbolicShape>,
): Map<string, StaticValue> {
  const graph = model.proto.graph ?? {};
  const values = new Map<string, StaticValue>();
  for (const initializer of graph.initializer ?? []) {
    if (initializer.name)
      values.set(initializer.name, tensorToStaticValue(initializer, `initializer '${initializer.name}'`));
  }
  for (const node of graph.node ?? []) {
    const output = node.output?.[0];
    if (output === undefined) continue;
    if (node.opType === 'Constant') {
      values.set(output, constantNodeValue(node));
      continue;
    }
    if (node.opType === 'Shape') {
      const shape = shapes.get(node.input?.[0] ?? '');
      if (shape !== undefined) {
        const data = shapeSlice(shape, node);
        values.set(output, { kind: 'integer', data, shape: [data.length] });
      }
      continue;
    }
    const folder = folders[node.opType ?? ''];
    if (folder === undefined) continue;
    const inputs = (node.input ?? []).map((name) => (name === '' ? undefined : values.get(name)));
    if (inputs.some((input, index) => input === undefined && node.input?.[index] !== '')) continue;
    const folded = folder(inputs, node, model.opset);
    if (folded !== undefined) values.set(output, folded);
  }
  return values;
}
