import type { GraceBackend } from '../backend.js';
import { disposePrefixOutput, type EditableModel } from '../editing/editable-model.js';
import { trainValue } from '../editing/value-trainer.js';
import { GraceError } from '../errors.js';
import type { EditLabel } from '../labels.js';
import { SeededRandom } from '../random.js';
import { SuffixExecutor } from '../suffix/suffix-executor.js';
import type { Tensor } from '../tensor.js';
import type { EditingMethod } from './editing-method.js';

/**
 * The soft-memory baseline: the same keys and trained values as GRACE, but read by attention instead of a
 * hard radius. The layer's output becomes `w₀·h + Σᵢ wᵢ·Vᵢ` with `w = softmax(−θ, −‖q − K₁‖²/τ, …)`: a "null"
 * slot keeps the frozen output, and it wins when the query is far (θ = radius²/τ puts the crossover at the
 * radius). Because every key always gets some weight, edits leak into unrelated inputs — the failure mode that
 * GRACE's discrete deferral removes. Computed on the host; it is a baseline, not a product.
 */
export function softMemoryMethod<Input>(
  backend: GraceBackend,
  model: EditableModel<Input>,
  options: {
    readonly radius: number;
    readonly sharpness?: number;
    readonly iterations?: number;
    readonly seed?: number;
  },
): EditingMethod<Input> {
  const temperature = options.radius ** 2 / (options.sharpness ?? 8);
  const nullScore = -(options.radius ** 2) / temperature;
  const keys: Float32Array[] = [];
  const values: Float32Array[] = [];
  const executor = new SuffixExecutor(backend, model.suffix);
  const random = new SeededRandom(options.seed ?? 0);

  /** The mixed activation `[B, Dv]` of a batch, from its queries and frozen outputs. */
  const mix = (queries: Float32Array, outputs: Float32Array, batch: number): Float32Array => {
    const mixed = new Float32Array(batch * model.valueDimension);
    for (let row = 0; row < batch; row++) {
      const query = queries.subarray(row * model.keyDimension, (row + 1) * model.keyDimension);
      const scores = [nullScore, ...keys.map((key) => -squaredDistance(query, key) / temperature)];
      const largest = Math.max(...scores);
      const weights = scores.map((score) => Math.exp(score - largest));
      const total = weights.reduce((sum, weight) => sum + weight, 0);
      for (let column = 0; column < model.valueDimension; column++) {
        let value =
          ((weights[0] as number) / total) * (outputs[row * model.valueDimension + column] as number);
        for (let slot = 1; slot < weights.length; slot++) {
          value +=
            ((weights[slot] as number) / total) * ((values[slot - 1] as Float32Array)[column] as number);
        }
        mixed[row * model.valueDimension + column] = value;
      }
    }
    return mixed;
  };

  const predict = async (inputs: readonly Input[]): Promise<EditLabel[]> => {
    const labels: EditLabel[] = [];
    for (let start = 0; start < inputs.length; start += 256) {
      const batch = inputs.slice(start, start + 256);
      const prefix = await model.runPrefix(backend, batch);
      let activation: Tensor<'float32'> | undefined;
      let prediction: Tensor<'float32'> | undefined;
      try {
        if (prefix.layerOutput.shape.length !== 2)
          throw new GraceError(
            'SHAPE_MISMATCH',
            'the soft-memory baseline handles [B, Dv] layer outputs only',
            { shape: prefix.layerOutput.shape },
          );
        const mixed = mix(
          await backend.download(prefix.layerInput),
          await backend.download(prefix.layerOutput),
          batch.length,
        );
        activation = backend.upload(mixed, [batch.length, model.valueDimension]);
        prediction = executor
          .run({
            feeds: { ...prefix.extras, [model.activationInput]: activation },
            outputs: [model.predictionOutput],
          })
          .outputs.get(model.predictionOutput);
        const read = prediction as Tensor<'float32'>;
        labels.push(...model.decodePredictions(await backend.download(read), read.shape, batch));
      } finally {
        if (activation !== undefined) backend.dispose(activation);
        if (prediction !== undefined) backend.dispose(prediction);
        disposePrefixOutput(backend, prefix);
      }
    }
    return labels;
  };

  return {
    name: `soft memory (radius ${options.radius})`,
    predict,
    edit: async (example) => {
      const prefix = await model.runPrefix(backend, [example.input]);
      const targets = model.encodeTargets(backend, [example.label], [example.input]);
      try {
        const query = await backend.download(prefix.layerInput);
        const training = await trainValue(
          {
            backend,
            executor,
            activationInput: model.activationInput,
            lossOutput: model.lossOutput,
            feeds: { ...prefix.extras, [model.targetInput]: targets },
            initialValue: random.floats(model.valueDimension, 0, 1),
            placement: { kind: 'row' },
          },
          { iterations: options.iterations ?? 100 },
        );
        keys.push(query);
        values.push(training.value);
      } finally {
        backend.dispose(targets);
        disposePrefixOutput(backend, prefix);
      }
    },
    keys: () => keys.length,
    dispose: () => executor.dispose(),
  };
}

function squaredDistance(left: Float32Array, right: Float32Array): number {
  let sum = 0;
  for (let index = 0; index < left.length; index++) {
    const difference = (left[index] as number) - (right[index] as number);
    sum += difference * difference;
  }
  return sum;
}
