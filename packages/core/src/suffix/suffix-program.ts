import type { GraceBackend } from '../backend.js';
import { GraceError } from '../errors.js';
import { formatShape, type Shape, shapesEqual, type Tensor } from '../tensor.js';
import type { SuffixOpType } from './op-types.js';
import type { SuffixExecutionResult } from './suffix-execution.js';
import { type ProgramValueOps, walkSuffixProgram } from './walk-suffix-program.js';

/** One forward kernel call of a program: which slots it reads and writes, all resolved in advance. */
export interface SuffixProgramForwardStep {
  readonly opType: SuffixOpType;
  /** Slot per input in ONNX order, -1 for an absent optional input. */
  readonly inputs: readonly number[];
  readonly output: number;
  readonly attributes: unknown;
  readonly outputShape: Shape;
  /** Slots nothing reads after this step (and nobody asked for): freed right after it. */
  readonly frees: readonly number[];
}

/** One gradient kernel call: its forward step, and where each needed input's gradient accumulates. */
export interface SuffixProgramBackwardStep {
  readonly forward: SuffixProgramForwardStep;
  readonly needed: readonly boolean[];
}

/**
 * A suffix pass planned once for one request shape (which outputs, which gradient, which feeds at which
 * shapes) and run again and again: the node order, each node's resolved attributes and output shape, and when
 * each intermediate is freed are all fixed, so a training step only calls kernels. Values live in numbered
 * slots instead of maps keyed by name.
 *
 * Made by `SuffixExecutor.prepare`; `run` refuses feeds whose names, dtypes or shapes differ from the
 * ones it was planned for (`SHAPE_MISMATCH`). It holds no backend tensor of its own (the executor's
 * initializers are read, not copied), so it needs no disposal; it must not outlive its executor.
 */
export class SuffixProgram {
  readonly backend: GraceBackend;
  /** Slot of every value the program touches, by name. */
  readonly slots: ReadonlyMap<string, number>;
  /** Feed name → slot and the shape and dtype it was planned for. */
  readonly feedSlots: ReadonlyMap<string, { slot: number; shape: Shape; dtype: Tensor['dtype'] }>;
  readonly forwardSteps: readonly SuffixProgramForwardStep[];
  readonly backwardSteps: readonly SuffixProgramBackwardStep[];
  /** Requested outputs: name and slot. */
  readonly outputs: readonly (readonly [string, number])[];
  /** The scalar differentiated and the slots of what it is differentiated with respect to. */
  readonly gradient:
    | { readonly of: number; readonly withRespectTo: readonly (readonly [string, number])[] }
    | undefined;
  /** Shape of every slot. */
  readonly shapes: readonly Shape[];
  /** The executor's uploaded initializers by slot (`undefined` for every other slot and for fed ones). */
  readonly constants: readonly (Tensor | undefined)[];

  constructor(parts: {
    backend: GraceBackend;
    slots: ReadonlyMap<string, number>;
    feedSlots: SuffixProgram['feedSlots'];
    forwardSteps: readonly SuffixProgramForwardStep[];
    backwardSteps: readonly SuffixProgramBackwardStep[];
    outputs: SuffixProgram['outputs'];
    gradient: SuffixProgram['gradient'];
    shapes: readonly Shape[];
    /** Constants (uploaded initializers) by slot; `undefined` for every other slot. */
    fixed: readonly (Tensor | undefined)[];
  }) {
    this.backend = parts.backend;
    this.slots = parts.slots;
    this.feedSlots = parts.feedSlots;
    this.forwardSteps = parts.forwardSteps;
    this.backwardSteps = parts.backwardSteps;
    this.outputs = parts.outputs;
    this.gradient = parts.gradient;
    this.shapes = parts.shapes;
    this.constants = parts.fixed;
  }

  /**
   * The values of every slot for these feeds: constants and feeds filled in, the rest `undefined`.
   * `SHAPE_MISMATCH` for a feed that is missing or differs from what the program was planned for.
   */
  bind<Value>(
    feeds: Readonly<Record<string, Tensor>>,
    read: (tensor: Tensor) => Value,
  ): (Value | undefined)[] {
    const values = this.constants.map((tensor) => (tensor === undefined ? undefined : read(tensor)));
    for (const [name, { slot, shape, dtype }] of this.feedSlots) {
      const tensor = feeds[name];
      if (tensor === undefined || tensor.dtype !== dtype || !shapesEqual(tensor.shape, shape)) {
        throw new GraceError(
          'SHAPE_MISMATCH',
          `feed ${name} is ${tensor === undefined ? 'missing' : `${tensor.dtype} ${formatShape(tensor.shape)}`}; ` +
            `the program was prepared for ${dtype} ${formatShape(shape)}`,
          { name },
        );
      }
      values[slot] = read(tensor);
    }
    return values;
  }

  /** One pass over the planned request with these feeds; every returned tensor belongs to the caller. */
  run(feeds: Readonly<Record<string, Tensor>>): SuffixExecutionResult {
    const { backend } = this;
    const values = this.bind(feeds, (tensor) => tensor);
    const { owned, gradients } = walkSuffixProgram(this, handleOps(backend), values);
    const results = { outputs: new Map<string, Tensor<'float32'>>(), gradients: new Map() };
    const handed = new Set<Tensor>();
    try {
      for (const [name, slot] of this.outputs) {
        const tensor = values[slot] as Tensor;
        // A feed or constant asked for comes back as a copy the caller may dispose.
        const own = owned[slot] ? tensor : backend.ops.Identity.forward([tensor], {}, tensor.shape);
        results.outputs.set(name, own as Tensor<'float32'>);
        handed.add(own);
      }
      for (const [name, slot] of this.gradient?.withRespectTo ?? []) {
        const found = gradients[slot] ?? this.zeros(slot);
        results.gradients.set(name, found);
        handed.add(found);
      }
      return results;
    } catch (error) {
      for (const tensor of handed)
        if (!values.includes(tensor) && !gradients.includes(tensor)) backend.dispose(tensor);
      handed.clear();
      throw error;
    } finally {
      values.forEach((tensor, slot) => {
        if (owned[slot] && tensor !== undefined && !handed.has(tensor)) backend.dispose(tensor);
      });
      for (const tensor of gradients) {
        if (tensor !== undefined && !handed.has(tensor)) backend.dispose(tensor);
      }
    }
  }

  /** The gradient of a value the scalar does not depend on. */
  private zeros(slot: number): Tensor<'float32'> {
    const shape = this.shapes[slot] as Shape;
    return this.backend.upload(
      new Float32Array(shape.reduce((size, dimension) => size * dimension, 1)),
      shape,
    );
  }
}

/** The walk over core's tensor handles: one backend kernel per step. */
function handleOps(backend: GraceBackend): ProgramValueOps<Tensor> {
  return {
    forward: (step, inputs) =>
      (backend.ops[step.opType] as ErasedKernel).forward(inputs, step.attributes, step.outputShape),
    gradient: (step, args) =>
      (backend.ops[step.opType] as ErasedKernel).gradient({
        ...args,
        output: args.output as Tensor<'float32'>,
        outputGradient: args.outputGradient as Tensor<'float32'>,
        attributes: step.attributes,
      }),
    add: (left, right) => backend.ops.Add.forward([left, right], {}, left.shape),
    ones: (shape) => backend.upload(new Float32Array([1]), shape),
    release: (tensor) => backend.dispose(tensor),
  };
}

/** The kernel interface with the op's attribute type erased, for dispatch by op name. */
interface ErasedKernel {
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
