import type { GraceBackend, ReplacementMode } from '../backend.js';
import { disposePrefixOutput, type EditableModel, type PrefixOutput } from '../editing/editable-model.js';
import { replacedTokenMask } from '../editing/replaced-token-mask.js';
import { trainValue } from '../editing/value-trainer.js';
import { GraceError } from '../errors.js';
import { type KeyToken, keyTokenPositions, resolveLengths, validateKeyToken } from '../key-token.js';
import { SeededRandom } from '../random.js';
import { SuffixExecutor } from '../suffix/suffix-executor.js';
import type { Tensor } from '../tensor.js';
import { decodedPredictions } from './decoded-predictions.js';
import type { EditingMethod, PredictionOutput } from './editing-method.js';

/** How the soft memory reads its queries and where it writes, as a GRACE layer would. */
export interface SoftMemoryOptions {
  /** The distance at which a key's weight equals the null slot's (GRACE's ε counterpart). */
  readonly radius: number;
  /** How fast weights fall with distance: θ = radius²/τ = sharpness. Default 8. */
  readonly sharpness?: number;
  /** Value training per edit: Adam iterations at learning rate 1. Default 100. */
  readonly iterations?: number;
  readonly seed?: number;
  /** For `[B, T, D]` layers: the token whose layer input is the query. Default `last` (each row's last real token). */
  readonly keyToken?: KeyToken;
  /**
   * For `[B, T, D]` layers: the tokens whose output is mixed (`all`, `last` = the key token, `prompt` = the tokens
   * before it), the same rule as GRACE's replacement modes; the others keep the frozen output. Default `all`.
   */
  readonly replacement?: ReplacementMode;
}

/**
 * The soft-memory baseline: the same keys and trained values as GRACE, but read by attention instead of a
 * hard radius. The layer's output becomes `w₀·h + Σᵢ wᵢ·Vᵢ` with `w = softmax(−θ, −‖q − K₁‖²/τ, …)`: a "null"
 * slot keeps the frozen output, and it wins when the query is far (θ = radius²/τ puts the crossover at the
 * radius). Because every key always gets some weight, edits leak into unrelated inputs — the failure mode that
 * GRACE's discrete deferral removes. Computed on the host; it is a baseline, not a product.
 *
 * Sequence layers (`[B, T, Dk]` inputs, `[B, T, Dv]` outputs, e.g. a decoder's MLP) work as GRACE does there: one
 * set of weights per row from the query at its key token (`prefix.lengths` give each row's real tokens), applied at
 * the tokens `replacement` names; a value is trained at those same tokens.
 *
 * @throws GraceError `INVALID_ARGUMENT` for a bad `keyToken` or `replacement`; `SHAPE_MISMATCH` (from `predict`
 * and `edit`) when the layer's input and output are not both `[B, D]` or both `[B, T, D]`.
 */
export function softMemoryMethod<Input>(
  backend: GraceBackend,
  model: EditableModel<Input>,
  options: SoftMemoryOptions,
): EditingMethod<Input> & {
  predictionOutput: NonNullable<EditingMethod<Input>['predictionOutput']>;
  /** The keys `[Dk]` and trained values `[Dv]` so far, in edit order (the method's own arrays: read only). */
  memory(): { readonly keys: readonly Float32Array[]; readonly values: readonly Float32Array[] };
} {
  const keyToken = options.keyToken ?? 'last';
  validateKeyToken(keyToken);
  const replacement = options.replacement ?? 'all';
  if (!['all', 'last', 'prompt'].includes(replacement))
    throw new GraceError('INVALID_ARGUMENT', `unknown replacement mode ${String(replacement)}`, {
      replacement,
    });
  const temperature = options.radius ** 2 / (options.sharpness ?? 8);
  const nullScore = -(options.radius ** 2) / temperature;
  const keys: Float32Array[] = [];
  const values: Float32Array[] = [];
  const executor = new SuffixExecutor(backend, model.suffix);
  const random = new SeededRandom(options.seed ?? 0);
  const width = model.valueDimension;

  /** Each row's query `[Dk]` and the `[T]` flags of the tokens its mix is written to (`[1]` for `[B, D]` layers). */
  const rowsOf = async (prefix: PrefixOutput) => {
    const inputShape = prefix.layerInput.shape;
    const outputShape = prefix.layerOutput.shape;
    const sequence = inputShape.length === 3;
    if (inputShape.length !== outputShape.length || (inputShape.length !== 2 && !sequence))
      throw new GraceError(
        'SHAPE_MISMATCH',
        'the soft-memory baseline handles [B, Dk] → [B, Dv] and [B, T, Dk] → [B, T, Dv] layers',
        { layerInput: inputShape, layerOutput: outputShape },
      );
    const batch = inputShape[0] as number;
    const tokens = sequence ? (inputShape[1] as number) : 1;
    const lengths = resolveLengths(batch, tokens, sequence ? prefix.lengths : undefined);
    const positions = keyTokenPositions(keyToken, lengths);
    const layerInput = await backend.download(prefix.layerInput);
    const dimension = model.keyDimension;
    return Array.from({ length: batch }, (_, row) => {
      const tokenRow = (token: number) =>
        layerInput.subarray((row * tokens + token) * dimension, (row * tokens + token + 1) * dimension);
      const position = positions[row] as number;
      const query = keyToken === 'mean' ? meanOf(tokenRow, lengths[row] as number) : tokenRow(position);
      return { query, mixed: sequence ? replacedTokenMask(replacement, tokens, position) : [1] };
    });
  };

  /** The mixed activation, `layerOutput`'s shape: each row's weights from its query, applied at its mixed tokens. */
  const mix = async (prefix: PrefixOutput): Promise<Float32Array> => {
    const rows = await rowsOf(prefix);
    const mixed = await backend.download(prefix.layerOutput);
    const tokens = mixed.length / width / rows.length;
    for (const [row, { query, mixed: flags }] of rows.entries()) {
      const scores = [nullScore, ...keys.map((key) => -squaredDistance(query, key) / temperature)];
      const largest = Math.max(...scores);
      const weights = scores.map((score) => Math.exp(score - largest));
      const total = weights.reduce((sum, weight) => sum + weight, 0);
      for (let token = 0; token < tokens; token++) {
        if (flags[token] !== 1) continue;
        const offset = (row * tokens + token) * width;
        for (let column = 0; column < width; column++) {
          let value = ((weights[0] as number) / total) * (mixed[offset + column] as number);
          for (let slot = 1; slot < weights.length; slot++) {
            value +=
              ((weights[slot] as number) / total) * ((values[slot - 1] as Float32Array)[column] as number);
          }
          mixed[offset + column] = value;
        }
      }
    }
    return mixed;
  };

  const predictionOutput = async (inputs: readonly Input[]): Promise<PredictionOutput> => {
    const prefix = await model.runPrefix(backend, inputs);
    let activation: Tensor<'float32'> | undefined;
    let prediction: Tensor<'float32'> | undefined;
    try {
      activation = backend.upload(await mix(prefix), prefix.layerOutput.shape);
      prediction = executor
        .run({
          feeds: { ...prefix.extras, [model.activationInput]: activation },
          outputs: [model.predictionOutput],
        })
        .outputs.get(model.predictionOutput) as Tensor<'float32'>;
      return { data: await backend.download(prediction), shape: prediction.shape };
    } finally {
      if (activation !== undefined) backend.dispose(activation);
      if (prediction !== undefined) backend.dispose(prediction);
      disposePrefixOutput(backend, prefix);
    }
  };

  return {
    name: `soft memory (radius ${options.radius})`,
    predict: (inputs) => decodedPredictions(model, predictionOutput, inputs),
    predictionOutput,
    edit: async (example) => {
      const prefix = await model.runPrefix(backend, [example.input]);
      const targets = model.encodeTargets(backend, [example.label], [example.input]);
      try {
        const [row] = await rowsOf(prefix);
        const { query, mixed } = row as { query: Float32Array; mixed: ArrayLike<number> };
        const training = await trainValue(
          {
            backend,
            executor,
            activationInput: model.activationInput,
            lossOutput: model.lossOutput,
            feeds: { ...prefix.extras, [model.targetInput]: targets },
            initialValue: random.floats(width, 0, 1),
            placement:
              prefix.layerOutput.shape.length === 3
                ? { kind: 'tokens', frozenOutput: prefix.layerOutput, replaced: Float32Array.from(mixed) }
                : { kind: 'row' },
          },
          { iterations: options.iterations ?? 100 },
        );
        keys.push(Float32Array.from(query));
        values.push(training.value);
      } finally {
        backend.dispose(targets);
        disposePrefixOutput(backend, prefix);
      }
    },
    keys: () => keys.length,
    memory: () => ({ keys, values }),
    dispose: () => executor.dispose(),
  };
}

/** `[D]`: the mean of a row's first `length` token rows. */
function meanOf(tokenRow: (token: number) => Float32Array, length: number): Float32Array {
  const mean = new Float32Array(tokenRow(0).length);
  for (let token = 0; token < length; token++) {
    for (const [column, value] of tokenRow(token).entries()) mean[column] = (mean[column] as number) + value;
  }
  return mean.map((value) => value / length);
}

function squaredDistance(left: Float32Array, right: Float32Array): number {
  let sum = 0;
  for (let index = 0; index < left.length; index++) {
    const difference = (left[index] as number) - (right[index] as number);
    sum += difference * difference;
  }
  return sum;
}
