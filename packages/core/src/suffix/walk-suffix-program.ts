import type { Shape } from '../tensor.js';
import type { SuffixProgram, SuffixProgramForwardStep } from './suffix-program.js';

/**
 * The kernels a {@link walkSuffixProgram} walk calls, over whatever values a backend computes on: core's
 * tensor handles (every backend, through `backend.ops`), or a backend's own raw values (host arrays, tfjs
 * tensors) when it runs a whole training step itself.
 */
export interface ProgramValueOps<Value> {
  forward(step: SuffixProgramForwardStep, inputs: readonly (Value | undefined)[]): Value;
  /** Gradients of the step's inputs marked `needed` (`undefined` for the others). */
  gradient(
    step: SuffixProgramForwardStep,
    args: {
      readonly inputs: readonly (Value | undefined)[];
      readonly output: Value;
      readonly outputGradient: Value;
      readonly needed: readonly boolean[];
    },
  ): (Value | undefined)[];
  /** `left + right`, both of one shape: two gradient contributions to one value. */
  add(left: Value, right: Value): Value;
  /** A tensor of ones of `shape` (the gradient seed of the scalar). */
  ones(shape: Shape): Value;
  /** Frees a value the walk made and no longer needs. */
  release(value: Value): void;
}

/** What a walk leaves: which slots it filled with values of its own, and the gradient of each slot. */
export interface ProgramWalk<Value> {
  readonly owned: readonly boolean[];
  readonly gradients: readonly (Value | undefined)[];
}

/**
 * Runs a program's forward steps over `values` (one per slot: constants and feeds filled in, the rest
 * `undefined`; filled in place) and, when the program has a gradient, its backward steps from a seed of ones.
 * Intermediates are released as the plan says; on success the caller owns every slot marked `owned` and every
 * gradient; on failure the walk releases what it made and rethrows.
 */
export function walkSuffixProgram<Value>(
  program: SuffixProgram,
  ops: ProgramValueOps<Value>,
  values: (Value | undefined)[],
): ProgramWalk<Value> {
  const owned = new Array<boolean>(values.length).fill(false);
  const gradients = new Array<Value | undefined>(values.length);
  const inputsOf = (slots: readonly number[]) => slots.map((slot) => (slot < 0 ? undefined : values[slot]));
  try {
    for (const step of program.forwardSteps) {
      values[step.output] = ops.forward(step, inputsOf(step.inputs));
      owned[step.output] = true;
      for (const slot of step.frees) {
        ops.release(values[slot] as Value);
        values[slot] = undefined;
        owned[slot] = false;
      }
    }
    if (program.gradient === undefined) return { owned, gradients };
    gradients[program.gradient.of] = ops.ones(program.shapes[program.gradient.of] as Shape);
    for (const { forward, needed } of program.backwardSteps) {
      const outputGradient = gradients[forward.output];
      if (outputGradient === undefined) continue;
      const parts = ops.gradient(forward, {
        inputs: inputsOf(forward.inputs),
        output: values[forward.output] as Value,
        outputGradient,
        needed,
      });
      parts.forEach((part, position) => {
        if (part === undefined) return;
        if (!needed[position]) {
          ops.release(part);
          return;
        }
        const slot = forward.inputs[position] as number;
        const existing = gradients[slot];
        if (existing === undefined) {
          gradients[slot] = part;
          return;
        }
        gradients[slot] = ops.add(existing, part);
        ops.release(existing);
        ops.release(part);
      });
    }
    return { owned, gradients };
  } catch (error) {
    values.forEach((value, slot) => {
      if (owned[slot] && value !== undefined) ops.release(value);
    });
    for (const gradient of gradients) if (gradient !== undefined) ops.release(gradient);
    throw error;
  }
}
