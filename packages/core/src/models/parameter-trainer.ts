import type { GraceBackend } from '../backend.js';
import { defaultAdamHyperparameters } from '../backend.js';
import { GraceError } from '../errors.js';
import { disposeExecutionResult } from '../suffix/suffix-execution.js';
import { SuffixExecutor } from '../suffix/suffix-executor.js';
import type { SuffixGraph } from '../suffix/suffix-graph.js';
import type { Tensor } from '../tensor.js';

/** One minibatch: tensors for the graph's inputs, owned by whoever made them (disposed after the step). */
export type TrainingBatch = Readonly<Record<string, Tensor>>;

/** How weights are trained. */
export interface ParameterTrainingOptions {
  readonly backend: GraceBackend;
  /** A graph with a scalar loss output. */
  readonly graph: SuffixGraph;
  readonly lossOutput: string;
  /** Names of the initializers to train; every other initializer stays frozen. */
  readonly parameters: readonly string[];
  /** Makes the minibatches of one epoch (called once per epoch so data can be reshuffled). */
  readonly batches: (epoch: number) => Iterable<TrainingBatch>;
  readonly epochs: number;
  /** Adam learning rate; default 1e-3. */
  readonly learningRate?: number;
  /** Called after each epoch with its mean loss. */
  readonly onEpoch?: (epoch: number, meanLoss: number) => void;
}

/** Trained weights by initializer name, and the mean loss of each epoch. */
export interface ParameterTrainingResult {
  readonly parameters: ReadonlyMap<string, Float32Array>;
  readonly epochLoss: readonly number[];
}

/**
 * Trains some of a graph's weights with Adam on the backend: upstream (pre-)training of a whole model, or
 * continual fine-tuning of one layer, the baseline GRACE is compared with. The same executor and kernels as
 * value training do the work; only what is differentiated differs.
 */
export async function trainParameters(options: ParameterTrainingOptions): Promise<ParameterTrainingResult> {
  const { backend, graph, lossOutput, parameters } = options;
  const initializers = new Map(graph.initializers.map((initializer) => [initializer.name, initializer]));
  for (const name of parameters) {
    const initializer = initializers.get(name);
    if (initializer === undefined || !(initializer.data instanceof Float32Array)) {
      throw new GraceError('INVALID_ARGUMENT', `${name} is not a float32 initializer of the graph`, { name });
    }
  }
  const executor = new SuffixExecutor(backend, graph);
  const state = parameters.map((name) => {
    const { data, shape } = initializers.get(name) as { data: Float32Array; shape: readonly number[] };
    return {
      name,
      value: backend.upload(Float32Array.from(data), shape),
      firstMoment: backend.upload(new Float32Array(data.length), shape),
      secondMoment: backend.upload(new Float32Array(data.length), shape),
    };
  });
  const hyperparameters = { ...defaultAdamHyperparameters, learningRate: options.learningRate ?? 1e-3 };
  const epochLoss: number[] = [];
  let step = 0;
  try {
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      let lossSum = 0;
      let batchCount = 0;
      for (const batch of options.batches(epoch)) {
        const feeds: Record<string, Tensor> = { ...batch };
        for (const parameter of state) feeds[parameter.name] = parameter.value;
        let result: ReturnType<SuffixExecutor['run']> | undefined;
        try {
          result = executor.run({
            feeds,
            outputs: [lossOutput],
            gradient: { of: lossOutput, withRespectTo: parameters },
          });
          step++;
          for (const parameter of state) {
            backend.adamStep({
              parameter: parameter.value,
              gradient: result.gradients.get(parameter.name) as Tensor<'float32'>,
              firstMoment: parameter.firstMoment,
              secondMoment: parameter.secondMoment,
              step,
              hyperparameters,
            });
          }
          const [loss] = await backend.download(result.outputs.get(lossOutput) as Tensor<'float32'>);
          lossSum += loss as number;
          batchCount++;
        } finally {
          disposeExecutionResult((tensor) => backend.dispose(tensor), result);
          for (const tensor of Object.values(batch)) backend.dispose(tensor);
        }
      }
      const meanLoss = lossSum / Math.max(1, batchCount);
      epochLoss.push(meanLoss);
      options.onEpoch?.(epoch, meanLoss);
    }
    const trained = new Map<string, Float32Array>();
    for (const parameter of state) trained.set(parameter.name, await backend.download(parameter.value));
    return { parameters: trained, epochLoss };
  } finally {
    for (const parameter of state) {
      backend.dispose(parameter.value);
      backend.dispose(parameter.firstMoment);
      backend.dispose(parameter.secondMoment);
    }
    executor.dispose();
  }
}

/** The graph with its trained initializers replaced by copies of `parameters` (the caller's graph is not changed). */
export function withTrainedParameters(
  graph: SuffixGraph,
  parameters: ReadonlyMap<string, Float32Array>,
): SuffixGraph {
  return {
    ...graph,
    initializers: graph.initializers.map((initializer) => {
      const trained = parameters.get(initializer.name);
      return trained === undefined ? initializer : { ...initializer, data: Float32Array.from(trained) };
    }),
  };
}
