import type { GraceBackend } from '../backend.js';
import { GraceError } from '../errors.js';
import type { EditLabel } from '../labels.js';
import { SeededRandom } from '../random.js';
import { type TrainingBatch, trainParameters } from './parameter-trainer.js';
import type { SequentialModel } from './sequential-model.js';

/** Supervised data and how to train a {@link SequentialModel} on it. */
export interface SequentialTrainingOptions {
  readonly backend: GraceBackend;
  /** Rows of `inputWidth` features. */
  readonly inputs: readonly (Float32Array | readonly number[])[];
  readonly labels: readonly EditLabel[];
  readonly epochs: number;
  /** Default 32. */
  readonly batchSize?: number;
  /** Adam learning rate, default 1e-3. */
  readonly learningRate?: number;
  /** Shuffling seed, default 0. */
  readonly seed?: number;
  /** Train only these layers (e.g. `[0]` to fine-tune the first layer); default every dense layer. */
  readonly layers?: readonly number[];
  readonly onEpoch?: (epoch: number, meanLoss: number) => void;
}

/**
 * Trains a sequential model and returns the trained copy (the original is unchanged). Upstream training
 * (all layers, many epochs) makes the pre-trained model the experiments start from; training one layer on the
 * edits is the continual fine-tuning baseline GRACE is compared with.
 */
export async function trainSequentialModel(
  model: SequentialModel,
  options: SequentialTrainingOptions,
): Promise<{ model: SequentialModel; epochLoss: readonly number[] }> {
  const { backend, inputs, labels } = options;
  if (inputs.length !== labels.length || inputs.length === 0) {
    throw new GraceError(
      'INVALID_ARGUMENT',
      `need as many labels as inputs, and at least one (${inputs.length}, ${labels.length})`,
    );
  }
  const batchSize = options.batchSize ?? 32;
  const random = new SeededRandom(options.seed ?? 0);
  const layers = options.layers ?? model.layers.map((_, index) => index);
  const parameters = layers.flatMap((index) => model.parameterNames(index, index + 1));
  const batches = function* (): Iterable<TrainingBatch> {
    const order = shuffledIndices(inputs.length, random);
    for (let start = 0; start < order.length; start += batchSize) {
      const rows = order.slice(start, start + batchSize);
      const features = new Float32Array(rows.length * model.inputWidth);
      for (const [position, row] of rows.entries()) {
        features.set(inputs[row] as ArrayLike<number>, position * model.inputWidth);
      }
      const target = model.encodeTargets(rows.map((row) => labels[row] as EditLabel));
      yield {
        input: backend.upload(features, [rows.length, model.inputWidth]),
        target: backend.upload(target.data, target.shape),
      };
    }
  };
  const result = await trainParameters({
    backend,
    graph: model.graph(),
    lossOutput: 'loss',
    parameters,
    batches,
    epochs: options.epochs,
    ...(options.learningRate === undefined ? {} : { learningRate: options.learningRate }),
    ...(options.onEpoch === undefined ? {} : { onEpoch: options.onEpoch }),
  });
  return { model: model.withParameters(result.parameters), epochLoss: result.epochLoss };
}

function shuffledIndices(count: number, random: SeededRandom): number[] {
  const order = Array.from({ length: count }, (_, index) => index);
  for (let index = count - 1; index > 0; index--) {
    const other = random.integer(0, index + 1);
    [order[index], order[other]] = [order[other] as number, order[index] as number];
  }
  return order;
}
