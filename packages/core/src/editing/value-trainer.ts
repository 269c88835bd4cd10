import type { GraceBackend } from '../backend.js';
import { defaultAdamHyperparameters } from '../backend.js';
import { GraceError } from '../errors.js';
import { disposeExecutionResult, type SuffixExecutionResult } from '../suffix/suffix-execution.js';
import type { SuffixExecutor } from '../suffix/suffix-executor.js';
import type { Tensor } from '../tensor.js';
import { sequencePlacement, type TokenPlacement, type ValuePlacement } from './value-placement.js';

export type { ValuePlacement } from './value-placement.js';

/** How a value is trained (DESIGN section 2, step 3). Defaults are the reference's. */
export interface ValueTrainingOptions {
  /** Adam iterations. Default 100. */
  readonly iterations?: number;
  /** Adam learning rate. Default 1.0. */
  readonly learningRate?: number;
  /**
   * Stop once the model's prediction equals the edit's label (checked every `checkEvery` iterations).
   * Default false: like the reference, always run every iteration.
   */
  readonly earlyStop?: boolean;
  /**
   * Read the loss back (and check early stopping) every this many iterations. Default 1, a full loss curve;
   * GPU backends may prefer fewer host round trips.
   */
  readonly checkEvery?: number;
}

/** Options with defaults filled in. */
export type ResolvedValueTrainingOptions = Required<ValueTrainingOptions>;

export function resolveValueTrainingOptions(
  options: ValueTrainingOptions = {},
): ResolvedValueTrainingOptions {
  const resolved = {
    iterations: options.iterations ?? 100,
    learningRate: options.learningRate ?? defaultAdamHyperparameters.learningRate,
    earlyStop: options.earlyStop ?? false,
    checkEvery: options.checkEvery ?? 1,
  };
  if (!Number.isInteger(resolved.iterations) || resolved.iterations < 1) {
    throw new GraceError(
      'INVALID_ARGUMENT',
      `iterations must be an integer >= 1, got ${resolved.iterations}`,
      resolved,
    );
  }
  if (!(Number.isFinite(resolved.learningRate) && resolved.learningRate > 0)) {
    throw new GraceError(
      'INVALID_ARGUMENT',
      `learningRate must be > 0, got ${resolved.learningRate}`,
      resolved,
    );
  }
  if (!Number.isInteger(resolved.checkEvery) || resolved.checkEvery < 1) {
    throw new GraceError(
      'INVALID_ARGUMENT',
      `checkEvery must be an integer >= 1, got ${resolved.checkEvery}`,
      resolved,
    );
  }
  return resolved;
}

/** One value to train through a frozen suffix. */
export interface ValueTrainingProblem {
  readonly backend: GraceBackend;
  readonly executor: SuffixExecutor;
  /** The suffix input fed with the (replaced) layer output. */
  readonly activationInput: string;
  /** The scalar loss output. */
  readonly lossOutput: string;
  /** Every other suffix input (the edit's targets, tensors crossing the cut); owned by the caller. */
  readonly feeds: Readonly<Record<string, Tensor>>;
  /** `[Dv]` (`[S'·Dv]` for a `span` placement): where training starts. */
  readonly initialValue: Float32Array;
  readonly placement: ValuePlacement;
  /**
   * For early stopping: whether the edit is fixed, given the suffix outputs of the current value. Receives
   * tensors it must not dispose.
   */
  readonly isFixed?: (outputs: ReadonlyMap<string, Tensor<'float32'>>) => Promise<boolean>;
  /** Outputs `isFixed` needs besides the loss (e.g. the prediction). */
  readonly fixedOutputs?: readonly string[];
}

/** What training produced. */
export interface ValueTrainingResult {
  /** The trained value, as wide as the initial value. */
  readonly value: Float32Array;
  /** The loss before each recorded update (every `checkEvery` iterations). */
  readonly loss: readonly number[];
  /** Adam updates made. */
  readonly iterations: number;
  /** Whether the edit was fixed when training stopped; null when no `isFixed` was given. */
  readonly fixed: boolean | null;
}

/**
 * Trains one value by gradient descent on the model's own loss, every weight frozen: Adam on the value alone.
 * The value lives on the backend for the whole loop; only the loss (and the early-stop check) comes back.
 */
export async function trainValue(
  problem: ValueTrainingProblem,
  options: ValueTrainingOptions = {},
): Promise<ValueTrainingResult> {
  const { backend, executor, activationInput, lossOutput, placement } = problem;
  const settings = resolveValueTrainingOptions(options);
  const width = problem.initialValue.length;
  const owned: Tensor[] = [];
  const keep = <T extends Tensor>(tensor: T): T => {
    owned.push(tensor);
    return tensor;
  };
  const placed = sequencePlacement(backend, placement, width, keep);
  const valueShape = placed?.valueShape ?? [1, width];
  // Where the value is the whole activation it is fed as is; otherwise each step places it among the tokens.
  const tokens = placed?.feedsValue === true ? undefined : placed;
  const value = keep(backend.upload(Float32Array.from(problem.initialValue), valueShape));
  const firstMoment = keep(backend.upload(new Float32Array(width), valueShape));
  const secondMoment = keep(backend.upload(new Float32Array(width), valueShape));
  const hyperparameters = { ...defaultAdamHyperparameters, learningRate: settings.learningRate };
  // The prediction is read per step only to stop early; otherwise only the loss comes back.
  const stopsEarly = settings.earlyStop && problem.isFixed !== undefined;
  const wantedOutputs = [lossOutput, ...(stopsEarly ? (problem.fixedOutputs ?? []) : [])];
  const loss: number[] = [];
  let fixed: boolean | null = null;
  let iteration = 0;
  try {
    // Planned once per edit, for the activation's shape (the frozen output's, with tokens): the steps only
    // call kernels.
    const feeds: Record<string, Tensor> = {
      ...problem.feeds,
      [activationInput]: tokens === undefined || placement.kind === 'row' ? value : placement.frozenOutput,
    };
    const gradient = { of: lossOutput, withRespectTo: [activationInput] };
    const checked = executor.prepare({ feeds, outputs: wantedOutputs, gradient });
    const unchecked =
      settings.checkEvery === 1 ? checked : executor.prepare({ feeds, outputs: [lossOutput], gradient });
    // The backend's compiled step updates the value in the same call, so it serves only where nothing can
    // stop training between the loss and the update (no early stop) and the value is the activation itself.
    const compiled =
      stopsEarly || tokens !== undefined ? undefined : backend.compileValueStep?.(checked, activationInput);
    const adam = { firstMoment, secondMoment, hyperparameters };
    while (iteration < settings.iterations) {
      const check = iteration % settings.checkEvery === 0;
      if (compiled !== undefined) {
        const outputs = compiled.step({ ...adam, feeds, withOutputs: check, step: iteration + 1 });
        try {
          if (check) loss.push(await finiteLoss(backend, outputs.get(lossOutput), iteration));
        } finally {
          for (const tensor of outputs.values()) backend.dispose(tensor);
        }
        iteration++;
        continue;
      }
      const activation = tokens === undefined ? value : tokens.activation(value);
      let result: SuffixExecutionResult | undefined;
      try {
        feeds[activationInput] = activation;
        result = (check ? checked : unchecked).run(feeds);
        if (check) {
          loss.push(await finiteLoss(backend, result.outputs.get(lossOutput), iteration));
          if (stopsEarly) {
            fixed = await (problem.isFixed as NonNullable<ValueTrainingProblem['isFixed']>)(result.outputs);
            if (fixed) break;
          }
        }
        const activationGradient = result.gradients.get(activationInput) as Tensor<'float32'>;
        const gradient = tokens === undefined ? activationGradient : tokens.valueGradient(activationGradient);
        try {
          backend.adamStep({ ...adam, parameter: value, gradient, step: iteration + 1 });
        } finally {
          if (gradient !== activationGradient) backend.dispose(gradient);
        }
      } finally {
        if (activation !== value) backend.dispose(activation);
        disposeExecutionResult((tensor) => backend.dispose(tensor), result);
      }
      iteration++;
    }
    if (problem.isFixed !== undefined && fixed !== true) fixed = await finalCheck(problem, value, tokens);
    const trained = await backend.download(value);
    return { value: trained, loss, iterations: iteration, fixed };
  } finally {
    for (const tensor of owned) backend.dispose(tensor);
  }
}

/** The loss read back; `NON_FINITE` once it is NaN or infinite. */
async function finiteLoss(
  backend: GraceBackend,
  tensor: Tensor<'float32'> | undefined,
  iteration: number,
): Promise<number> {
  const [lossValue] = await backend.download(tensor as Tensor<'float32'>);
  if (!Number.isFinite(lossValue)) {
    throw new GraceError('NON_FINITE', `the loss became ${lossValue} at iteration ${iteration}`, {
      iteration,
    });
  }
  return lossValue as number;
}

/** Whether the final value fixes the edit (one forward pass, no gradient). */
async function finalCheck(
  problem: ValueTrainingProblem,
  value: Tensor<'float32'>,
  tokens: TokenPlacement | undefined,
): Promise<boolean> {
  const { backend, executor, activationInput, lossOutput } = problem;
  const activation = tokens === undefined ? value : tokens.activation(value);
  let outputs: ReadonlyMap<string, Tensor<'float32'>> | undefined;
  try {
    outputs = executor.run({
      feeds: { ...problem.feeds, [activationInput]: activation },
      outputs: [lossOutput, ...(problem.fixedOutputs ?? [])],
    }).outputs;
    return await (problem.isFixed as NonNullable<ValueTrainingProblem['isFixed']>)(outputs);
  } finally {
    if (activation !== value) backend.dispose(activation);
    for (const tensor of outputs?.values() ?? []) backend.dispose(tensor);
  }
}
