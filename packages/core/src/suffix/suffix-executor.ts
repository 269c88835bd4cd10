import type { GraceBackend } from '../backend.js';
import type { Tensor } from '../tensor.js';
import { type BuiltSuffixGraph, buildSuffixGraph } from './build-suffix-graph.js';
import { planSuffixProgram } from './plan-suffix-program.js';
import type { SuffixExecutionRequest, SuffixExecutionResult } from './suffix-execution.js';
import type { SuffixGraph } from './suffix-graph.js';
import type { SuffixProgram } from './suffix-program.js';

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
  private readonly programs = new Map<string, SuffixProgram>();

  constructor(backend: GraceBackend, graph: SuffixGraph) {
    this.backend = backend;
    this.built = buildSuffixGraph(graph);
    for (const initializer of graph.initializers) {
      this.constants.set(initializer.name, backend.upload(initializer.data, initializer.shape));
    }
  }

  /**
   * One pass; see {@link SuffixExecutionRequest}. Every returned tensor belongs to the caller. The pass is
   * planned once per request shape (outputs, gradient, feed names, dtypes and shapes) and the plan reused.
   */
  run(request: SuffixExecutionRequest): SuffixExecutionResult {
    const key = programKey(request);
    let program = this.programs.get(key);
    if (program === undefined) {
      program = planSuffixProgram(this.backend, this.built, this.constants, request);
      if (this.programs.size >= cachedProgramLimit) {
        this.programs.delete(this.programs.keys().next().value as string);
      }
      this.programs.set(key, program);
    }
    return program.run(request.feeds);
  }

  /**
   * Plans `request` for the dtypes and shapes of its feeds, for a caller that runs the same pass many times
   * (value training runs one per Adam step): the program's `run` takes feeds of those shapes and only calls
   * kernels. It reads this executor's initializers, so it must not outlive the executor.
   */
  prepare(request: SuffixExecutionRequest): SuffixProgram {
    return planSuffixProgram(this.backend, this.built, this.constants, request);
  }

  /** Frees the uploaded initializers and the cached plans. */
  dispose(): void {
    this.programs.clear();
    for (const tensor of this.constants.values()) this.backend.dispose(tensor);
    this.constants.clear();
  }
}

/** Plans kept per executor: requests vary by batch size; a bounded cache keeps memory flat. */
const cachedProgramLimit = 16;

function programKey(request: SuffixExecutionRequest): string {
  const feeds = Object.entries(request.feeds)
    .map(([name, tensor]) => `${name}:${tensor.dtype}:${tensor.shape.join('x')}`)
    .join(',');
  const gradient =
    request.gradient === undefined
      ? ''
      : `${request.gradient.of}<${request.gradient.withRespectTo.join(',')}`;
  return `${request.outputs.join(',')}|${gradient}|${feeds}`;
}
