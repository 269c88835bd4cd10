import type { GraceBackend } from '../backend.js';
import { GraceError } from '../errors.js';
import { formatShape, type Shape, type Tensor } from '../tensor.js';
import { type BuiltSuffixGraph, buildSuffixGraph, type ConcreteResolvedOp } from './build-suffix-graph.js';
import type { SuffixOpType } from './op-types.js';
import type { SuffixExecutionRequest, SuffixExecutionResult } from './suffix-execution.js';
import type { SuffixGraph } from './suffix-graph.js';

/**
 * Runs a suffix graph on a backend: forward through the op kernels, and reverse mode from a scalar to the
 * chosen inputs (the replaced activation during value training; the weights during upstream training).
 *
 * Only the nodes a request needs run. Intermediate tensors are freed as soon as nothing later needs them
 * (forward consumers or the backward pass), so a long training loop does not grow device memory. Initializers
 * are uploaded once, when the executor is made.
 */
export class SuffixExecutor {
  readonly backend: GraceBackend;
  readonly built: BuiltSuffixGraph;
  private readonly constants = new Map<string, Tensor>();
  private readonly resolutions = new Map<string, ConcreteResolvedOp<SuffixOpType>>();

  constructor(backend: GraceBackend, graph: SuffixGraph) {
    this.backend = backend;
    this.built = buildSuffixGraph(graph);
    for (const initializer of graph.initializers) {
      this.constants.set(initializer.name, backend.upload(initializer.data, initializer.shape));
    }
  }

  /** One pass; see {@link SuffixExecutionRequest}. Every returned tensor belongs to the caller. */
  run(request: SuffixExecutionRequest): SuffixExecutionResult {
    const plan = this.plan(request);
    const values = new Map<string, Tensor>();
    const made = new Set<Tensor>();
    const keep = new Set<Tensor>();
    try {
      this.bindInputs(request, plan.neededValues, values);
      this.forward(plan, values, made);
      const outputs = new Map<string, Tensor<'float32'>>();
      for (const name of request.outputs)
        outputs.set(name, this.returnable(values.get(name) as Tensor, made, keep));
      const gradients =
        request.gradient === undefined
          ? new Map()
          : this.backward(request.gradient, plan, values, made, keep);
      return { outputs, gradients };
    } catch (error) {
      keep.clear();
      throw error;
    } finally {
      for (const tensor of made) if (!keep.has(tensor)) this.backend.dispose(tensor);
    }
  }

  /** Frees the uploaded initializers. */
  dispose(): void {
    for (const tensor of this.constants.values()) this.backend.dispose(tensor);
    this.constants.clear();
  }

  private plan(request: SuffixExecutionRequest): ExecutionPlan {
    const { nodes, valueInfo } = this.built;
    const targets = [...request.outputs, ...(request.gradient === undefined ? [] : [request.gradient.of])];
    for (const name of targets) {
      if (!valueInfo.has(name))
        throw new GraceError('INVALID_ARGUMENT', `the graph has no value named ${name}`, { name });
    }
    // Nodes needed for the targets, found backwards from them.
    const neededValues = new Set<string>(targets);
    const neededNodes = new Set<number>();
    for (let index = nodes.length - 1; index >= 0; index--) {
      const { node } = nodes[index] as BuiltSuffixGraph['nodes'][number];
      if (!node.outputs.some((output) => neededValues.has(output))) continue;
      neededNodes.add(index);
      for (const input of node.inputs) if (input !== '') neededValues.add(input);
    }
    // Values that depend on what we differentiate with respect to, among the needed nodes.
    const dependent = new Set<string>(request.gradient?.withRespectTo ?? []);
    for (const name of dependent) {
      if (!valueInfo.has(name))
        throw new GraceError('INVALID_ARGUMENT', `cannot differentiate with respect to unknown ${name}`, {
          name,
        });
    }
    const gradientNodes: number[] = [];
    if (request.gradient !== undefined) {
      for (const index of [...neededNodes].sort((left, right) => left - right)) {
        const { node } = nodes[index] as BuiltSuffixGraph['nodes'][number];
        if (node.inputs.some((input) => dependent.has(input))) {
          for (const output of node.outputs) dependent.add(output);
          gradientNodes.push(index);
        }
      }
    }
    // Values the backward pass reads: inputs and output of every node on the gradient path.
    const retained = new Set<string>();
    for (const index of gradientNodes) {
      const { node } = nodes[index] as BuiltSuffixGraph['nodes'][number];
      for (const name of [...node.inputs, ...node.outputs]) if (name !== '') retained.add(name);
    }
    const lastUse = new Map<string, number>();
    for (const index of neededNodes) {
      for (const input of (nodes[index] as BuiltSuffixGraph['nodes'][number]).node.inputs) {
        lastUse.set(input, Math.max(lastUse.get(input) ?? -1, index));
      }
    }
    return {
      neededNodes,
      neededValues,
      dependent,
      gradientNodes,
      retained,
      lastUse,
      requested: new Set(targets),
    };
  }

  private bindInputs(
    request: SuffixExecutionRequest,
    needed: ReadonlySet<string>,
    values: Map<string, Tensor>,
  ): void {
    for (const [name, tensor] of this.constants) values.set(name, tensor);
    for (const [name, tensor] of Object.entries(request.feeds)) {
      const info = this.built.valueInfo.get(name);
      if (info === undefined || (info.producer !== 'input' && info.producer !== 'initializer')) {
        throw new GraceError('INVALID_ARGUMENT', `feed ${name} is not an input or initializer of the graph`, {
          name,
        });
      }
      if (tensor.dtype !== info.dtype) {
        throw new GraceError(
          'DTYPE_MISMATCH',
          `feed ${name} is ${tensor.dtype}, the graph declares ${info.dtype}`,
          { name },
        );
      }
      values.set(name, tensor);
    }
    const fedShapes: Record<string, Shape> = {};
    for (const input of this.built.graph.inputs) {
      const tensor = values.get(input.name);
      if (tensor !== undefined) fedShapes[input.name] = tensor.shape;
      else if (needed.has(input.name)) {
        throw new GraceError('INVALID_ARGUMENT', `graph input ${input.name} is needed but was not fed`, {
          name: input.name,
        });
      }
    }
    this.built.bindInputShapes(fedShapes);
  }

  private forward(plan: ExecutionPlan, values: Map<string, Tensor>, made: Set<Tensor>): void {
    const { nodes } = this.built;
    for (const index of [...plan.neededNodes].sort((left, right) => left - right)) {
      const { node } = nodes[index] as BuiltSuffixGraph['nodes'][number];
      const inputs = node.inputs.map((name) => (name === '' ? undefined : values.get(name)));
      const resolved = this.resolve(index, inputs);
      const kernel = this.backend.ops[node.opType as SuffixOpType] as OpKernelLike;
      const output = kernel.forward(inputs, resolved.attributes, resolved.outputShape);
      made.add(output);
      values.set(node.outputs[0] as string, output);
      // Free inputs nothing later reads (forward or backward) and nobody asked for.
      for (const name of new Set(node.inputs)) {
        const tensor = values.get(name);
        const free =
          tensor !== undefined &&
          made.has(tensor) &&
          plan.lastUse.get(name) === index &&
          !plan.retained.has(name) &&
          !plan.requested.has(name);
        if (free) {
          this.backend.dispose(tensor);
          made.delete(tensor);
          values.delete(name);
        }
      }
    }
  }

  private backward(
    gradient: NonNullable<SuffixExecutionRequest['gradient']>,
    plan: ExecutionPlan,
    values: Map<string, Tensor>,
    made: Set<Tensor>,
    keep: Set<Tensor>,
  ): Map<string, Tensor<'float32'>> {
    const loss = values.get(gradient.of) as Tensor;
    if (loss.shape.length !== 0 && !(loss.shape.length === 1 && loss.shape[0] === 1)) {
      throw new GraceError(
        'INVALID_ARGUMENT',
        `gradients start from a scalar; ${gradient.of} is ${formatShape(loss.shape)}`,
        {
          name: gradient.of,
        },
      );
    }
    const gradients = new Map<string, Tensor<'float32'>>();
    const seed = this.backend.upload(new Float32Array([1]), loss.shape);
    made.add(seed);
    gradients.set(gradient.of, seed);
    const accumulate = (name: string, contribution: Tensor<'float32'>): void => {
      made.add(contribution);
      const existing = gradients.get(name);
      if (existing === undefined) {
        gradients.set(name, contribution);
        return;
      }
      const sum = this.backend.ops.Add.forward([existing, contribution], {}, existing.shape);
      made.add(sum);
      gradients.set(name, sum);
    };
    const { nodes } = this.built;
    for (const index of [...plan.gradientNodes].reverse()) {
      const { node } = nodes[index] as BuiltSuffixGraph['nodes'][number];
      const outputGradient = gradients.get(node.outputs[0] as string);
      if (outputGradient === undefined) continue;
      const inputs = node.inputs.map((name) => (name === '' ? undefined : values.get(name)));
      const needed = node.inputs.map(
        (name, position) => name !== '' && plan.dependent.has(name) && inputs[position]?.dtype === 'float32',
      );
      const kernel = this.backend.ops[node.opType as SuffixOpType] as OpKernelLike;
      const parts = kernel.gradient({
        inputs,
        output: values.get(node.outputs[0] as string) as Tensor<'float32'>,
        outputGradient,
        attributes: this.resolve(index, inputs).attributes,
        needed,
      });
      parts.forEach((part, position) => {
        if (part !== undefined && needed[position]) accumulate(node.inputs[position] as string, part);
        else if (part !== undefined) this.backend.dispose(part);
      });
    }
    const result = new Map<string, Tensor<'float32'>>();
    for (const name of gradient.withRespectTo) {
      const found = gradients.get(name);
      result.set(name, found === undefined ? this.zerosLike(name, values, made) : found);
      keep.add(result.get(name) as Tensor);
    }
    return result;
  }

  /** A tensor that is safe to hand to the caller: ours, or a copy of a feed or constant. */
  private returnable(tensor: Tensor, made: Set<Tensor>, keep: Set<Tensor>): Tensor<'float32'> {
    const own = made.has(tensor) ? tensor : this.backend.ops.Identity.forward([tensor], {}, tensor.shape);
    made.add(own);
    keep.add(own);
    return own as Tensor<'float32'>;
  }

  /** The gradient of a value the scalar does not depend on. */
  private zerosLike(name: string, values: Map<string, Tensor>, made: Set<Tensor>): Tensor<'float32'> {
    const shape = (values.get(name) as Tensor).shape;
    const zeros = this.backend.upload(
      new Float32Array(shape.reduce((size, dimension) => size * dimension, 1)),
      shape,
    );
    made.add(zeros);
    return zeros;
  }

  private resolve(index: number, inputs: readonly (Tensor | undefined)[]): ConcreteResolvedOp<SuffixOpType> {
    const key = `${index}|${inputs.map((tensor) => (tensor === undefined ? '-' : tensor.shape.join('x'))).join(',')}`;
    const cached = this.resolutions.get(key);
    if (cached !== undefined) return cached;
    const resolved = this.built.resolveNode(
      index,
      inputs.map((tensor) => tensor?.shape),
    );
    this.resolutions.set(key, resolved);
    return resolved;
  }
}

/** The kernel interface with the op's attribute type erased, for dispatch by op name. */
interface OpKernelLike {
  forward(
    inputs: readonly (Tensor | undefined)[],
    attributes: unknown,
    outputShape: Shape,
  ): Tensor<'float32'>;
  gradient(args: {
    inputs: readonly (Tensor | undefined)[];
    output: Tensor<'float32'>;
    outputGradient: Tensor<'float32'>;
    attributes: unknown;
    needed: readonly boolean[];
  }): (Tensor<'float32'> | undefined)[];
}

interface ExecutionPlan {
  readonly neededNodes: ReadonlySet<number>;
  readonly neededValues: ReadonlySet<string>;
  /** Values that depend on what is differentiated with respect to. */
  readonly dependent: ReadonlySet<string>;
  /** Needed nodes on the gradient path, in topological order. */
  readonly gradientNodes: readonly number[];
  /** Values the backward pass reads. */
  readonly retained: ReadonlySet<string>;
  /** For each value, the last needed node that reads it in the forward pass. */
  readonly lastUse: ReadonlyMap<string, number>;
  readonly requested: ReadonlySet<string>;
}
