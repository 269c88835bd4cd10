import type { GraceBackend } from '../backend.js';
import { GraceError } from '../errors.js';
import { formatShape, type Shape, type Tensor } from '../tensor.js';
import type { BuiltSuffixGraph } from './build-suffix-graph.js';
import type { SuffixOpType } from './op-types.js';
import type { SuffixExecutionRequest } from './suffix-execution.js';
import { SuffixProgram, type SuffixProgramForwardStep } from './suffix-program.js';

/**
 * Plans `request` over `built` for the shapes and dtypes of its feeds: the planning half of
 * {@link SuffixExecutor.prepare}. `constants` are the executor's uploaded initializers.
 */
export function planSuffixProgram(
  backend: GraceBackend,
  built: BuiltSuffixGraph,
  constants: ReadonlyMap<string, Tensor>,
  request: SuffixExecutionRequest,
): SuffixProgram {
  const { nodes, valueInfo } = built;
  const targets = [...request.outputs, ...(request.gradient === undefined ? [] : [request.gradient.of])];
  for (const name of targets) {
    if (!valueInfo.has(name))
      throw new GraceError('INVALID_ARGUMENT', `the graph has no value named ${name}`, { name });
  }
  // Nodes needed for the targets, found backwards from them.
  const neededValues = new Set<string>(targets);
  const neededNodes: number[] = [];
  for (let index = nodes.length - 1; index >= 0; index--) {
    const { node } = nodes[index] as BuiltSuffixGraph['nodes'][number];
    if (!node.outputs.some((output) => neededValues.has(output))) continue;
    neededNodes.unshift(index);
    for (const input of node.inputs) if (input !== '') neededValues.add(input);
  }
  const dependent = new Set<string>(request.gradient?.withRespectTo ?? []);
  for (const name of dependent) {
    if (!valueInfo.has(name))
      throw new GraceError('INVALID_ARGUMENT', `cannot differentiate with respect to unknown ${name}`, {
        name,
      });
  }
  const gradientNodes: number[] = [];
  if (request.gradient !== undefined) {
    for (const index of neededNodes) {
      const { node } = nodes[index] as BuiltSuffixGraph['nodes'][number];
      if (node.inputs.some((input) => dependent.has(input))) {
        for (const output of node.outputs) dependent.add(output);
        gradientNodes.push(index);
      }
    }
  }
  const retained = new Set<string>();
  for (const index of gradientNodes) {
    const { node } = nodes[index] as BuiltSuffixGraph['nodes'][number];
    for (const name of [...node.inputs, ...node.outputs]) if (name !== '') retained.add(name);
  }
  const lastUse = new Map<string, number>();
  for (const index of neededNodes) {
    for (const input of (nodes[index] as BuiltSuffixGraph['nodes'][number]).node.inputs)
      lastUse.set(input, index);
  }

  // Slots, shapes and feeds.
  const slots = new Map<string, number>();
  const shapes: Shape[] = [];
  const fixed: (Tensor | undefined)[] = [];
  const slotOf = (name: string, shape?: Shape, tensor?: Tensor): number => {
    let slot = slots.get(name);
    if (slot === undefined) {
      slot = shapes.length;
      slots.set(name, slot);
      shapes.push([]);
      fixed.push(undefined);
    }
    if (shape !== undefined) shapes[slot] = shape;
    if (tensor !== undefined) fixed[slot] = tensor;
    return slot;
  };
  for (const [name, tensor] of constants) slotOf(name, tensor.shape, tensor);
  const feedSlots = new Map<string, { slot: number; shape: Shape; dtype: Tensor['dtype'] }>();
  const fedShapes: Record<string, Shape> = {};
  for (const [name, tensor] of Object.entries(request.feeds)) {
    const info = valueInfo.get(name);
    if (info === undefined || (info.producer !== 'input' && info.producer !== 'initializer')) {
      throw new GraceError('INVALID_ARGUMENT', `feed ${name} is not an input or initializer of the graph`, {
        name,
      });
    }
    if (tensor.dtype !== info.dtype) {
      throw new GraceError(
        'DTYPE_MISMATCH',
        `feed ${name} is ${tensor.dtype}, the graph declares ${info.dtype}`,
        {
          name,
        },
      );
    }
    const slot = slotOf(name, tensor.shape);
    fixed[slot] = undefined;
    feedSlots.set(name, { slot, shape: [...tensor.shape], dtype: tensor.dtype });
    if (info.producer === 'input') fedShapes[name] = tensor.shape;
  }
  for (const input of built.graph.inputs) {
    if (fedShapes[input.name] === undefined && neededValues.has(input.name)) {
      throw new GraceError('INVALID_ARGUMENT', `graph input ${input.name} is needed but was not fed`, {
        name: input.name,
      });
    }
  }
  built.bindInputShapes(fedShapes);

  const requested = new Set(targets);
  const stepsByNode = new Map<number, SuffixProgramForwardStep>();
  const forwardSteps = neededNodes.map((index) => {
    const { node } = nodes[index] as BuiltSuffixGraph['nodes'][number];
    const inputs = node.inputs.map((name) => (name === '' ? -1 : slotOf(name)));
    const resolved = built.resolveNode(
      index,
      inputs.map((slot) => (slot < 0 ? undefined : shapes[slot])),
    );
    const output = slotOf(node.outputs[0] as string, resolved.outputShape);
    const frees = [...new Set(node.inputs)]
      .filter(
        (name) =>
          name !== '' &&
          valueInfo.get(name)?.producer !== 'input' &&
          valueInfo.get(name)?.producer !== 'initializer' &&
          !feedSlots.has(name) &&
          lastUse.get(name) === index &&
          !retained.has(name) &&
          !requested.has(name),
      )
      .map((name) => slotOf(name));
    const step = {
      opType: node.opType as SuffixOpType,
      inputs,
      output,
      attributes: resolved.attributes,
      outputShape: resolved.outputShape,
      frees,
    };
    stepsByNode.set(index, step);
    return step;
  });
  const backwardSteps = [...gradientNodes].reverse().map((index) => {
    const forward = stepsByNode.get(index) as SuffixProgramForwardStep;
    const { node } = nodes[index] as BuiltSuffixGraph['nodes'][number];
    const needed = node.inputs.map(
      (name) => name !== '' && dependent.has(name) && valueInfo.get(name)?.dtype === 'float32',
    );
    return { forward, needed };
  });
  const gradient =
    request.gradient === undefined
      ? undefined
      : {
          of: checkedScalar(request.gradient.of, slotOf(request.gradient.of), shapes),
          withRespectTo: request.gradient.withRespectTo.map((name) => [name, slotOf(name)] as const),
        };
  return new SuffixProgram({
    backend,
    slots,
    feedSlots,
    forwardSteps,
    backwardSteps,
    outputs: request.outputs.map((name) => [name, slotOf(name)] as const),
    gradient,
    shapes,
    fixed,
  });
}

function checkedScalar(name: string, slot: number, shapes: readonly Shape[]): number {
  const shape = shapes[slot] as Shape;
  if (shape.length !== 0 && !(shape.length === 1 && shape[0] === 1)) {
    throw new GraceError(
      'INVALID_ARGUMENT',
      `gradients start from a scalar; ${name} is ${formatShape(shape)}`,
      {
        name,
      },
    );
  }
  return slot;
}
