import type { AdamHyperparameters, ReplacementMode } from '../backend.js';
import type { Shape } from '../tensor.js';

/**
 * Float64 reference implementations of the kernels, over plain host arrays.
 *
 * They are written for obviousness, not speed, and independently of any backend (core never imports one), so
 * that the conformance suite can judge every backend, the CPU backend included. Where the spec's outputs are
 * float32 tensors, the reference computes in float64 and leaves the one rounding to the caller; where the
 * spec stores intermediate state in float32 tensors (Adam's moments), the reference rounds it too, because
 * that rounding is part of what a correct backend computes. Inputs are assumed valid: argument checking is
 * the backends' job and has its own cases.
 */

/** A host array with its row-major shape, e.g. `{ data, shape: [B, T, D] }`. */
export interface ReferenceArray {
  readonly data: ArrayLike<number>;
  readonly shape: Shape;
}

function dimensions3(shape: Shape): [number, number, number] {
  if (shape.length !== 3) throw new RangeError(`expected a [B, T, D] shape, got [${shape.join(',')}]`);
  return shape as [number, number, number];
}

/** `input [B, T, D]`, `positions [B]` → `[B, D]` row-major: `input[b, positions[b], :]`. */
export function referenceGatherTokens(input: ReferenceArray, positions: ArrayLike<number>): number[] {
  const [batch, tokens, width] = dimensions3(input.shape);
  const output: number[] = [];
  for (let row = 0; row < batch; row++) {
    const position = positions[row];
    if (position < 0 || position >= tokens)
      throw new RangeError(`position ${position} outside [0, ${tokens})`);
    for (let dimension = 0; dimension < width; dimension++) {
      output.push(input.data[(row * tokens + position) * width + dimension]);
    }
  }
  return output;
}

/** `input [B, T, D]`, `lengths [B]` → `[B, D]`: the mean of each row's first `lengths[b]` tokens. */
export function referenceMeanTokens(input: ReferenceArray, lengths: ArrayLike<number>): number[] {
  const [batch, tokens, width] = dimensions3(input.shape);
  const output: number[] = [];
  for (let row = 0; row < batch; row++) {
    const length = lengths[row];
    if (length < 1 || length > tokens) throw new RangeError(`length ${length} outside [1, ${tokens}]`);
    for (let dimension = 0; dimension < width; dimension++) {
      let sum = 0;
      for (let token = 0; token < length; token++) {
        sum += input.data[(row * tokens + token) * width + dimension];
      }
      output.push(sum / length);
    }
  }
  return output;
}

/**
 * `queries [B, Dk]`, `keys [N, Dk]` → `[B, N]` row-major squared Euclidean distances, each summed over the
 * dimensions in order in float64: the exact quantity the spec's "exact Euclidean" refers to.
 */
export function referenceSquaredDistances(queries: ReferenceArray, keys: ReferenceArray): Float64Array {
  const [batch, width] = queries.shape as [number, number];
  const keyCount = keys.shape[0];
  const distances = new Float64Array(batch * keyCount);
  for (let row = 0; row < batch; row++) {
    for (let key = 0; key < keyCount; key++) {
      let sum = 0;
      for (let dimension = 0; dimension < width; dimension++) {
        const difference = queries.data[row * width + dimension] - keys.data[key * width + dimension];
        sum += difference * difference;
      }
      distances[row * keyCount + key] = sum;
    }
  }
  return distances;
}

/** Result of {@link referenceNearestKey}. */
export interface ReferenceNearestKey {
  /** `[B]`: nearest key, -1 when there are no keys (or no finite distance). */
  readonly index: number[];
  /** `[B]`: float64 Euclidean distance to it, +Infinity when `index` is -1. */
  readonly distance: number[];
  /** `[B, N]`: every squared distance, for tolerance rules that must know the runner-up. */
  readonly squaredDistances: Float64Array;
}

/**
 * Brute-force nearest key: the smallest squared distance wins, a later key only when strictly smaller
 * (ties to the lowest index), NaN never wins.
 */
export function referenceNearestKey(queries: ReferenceArray, keys: ReferenceArray): ReferenceNearestKey {
  const batch = queries.shape[0];
  const keyCount = keys.shape[0];
  const squaredDistances = referenceSquaredDistances(queries, keys);
  const index: number[] = [];
  const distance: number[] = [];
  for (let row = 0; row < batch; row++) {
    let best = Number.POSITIVE_INFINITY;
    let bestKey = -1;
    for (let key = 0; key < keyCount; key++) {
      const squared = squaredDistances[row * keyCount + key];
      if (squared < best) {
        best = squared;
        bestKey = key;
      }
    }
    index.push(bestKey);
    distance.push(Math.sqrt(best));
  }
  return { index, distance, squaredDistances };
}

/** Arguments of {@link referenceLookup}; float32 arrays because the lookup's outputs are their bit copies. */
export interface ReferenceLookupArguments {
  readonly queries: ReferenceArray;
  readonly keys: ReferenceArray;
  readonly radii: ArrayLike<number>;
  /** `[N, Dv]`, or `[N, S·Dv]` for mode `span`. */
  readonly values: { readonly data: Float32Array; readonly shape: Shape };
  /** `[B, Dv]` or `[B, T, Dv]`. */
  readonly layerOutput: { readonly data: Float32Array; readonly shape: Shape };
  /** `[B]`, for sequence outputs. */
  readonly keyPositions?: ArrayLike<number>;
  readonly mode: ReplacementMode;
}

/** Result of {@link referenceLookup}. */
export interface ReferenceLookup {
  readonly output: Float32Array;
  readonly hitIndex: number[];
}

/**
 * Whether a key at float64 `distance` fires: the distance is first rounded to the float32 that `nearestKey`
 * reports, so that `lookup` agrees with `nearestKey` plus a host-side `distance <= radius`.
 */
export function referenceFires(distance: number, radius: number): boolean {
  return Math.fround(distance) <= radius;
}

/**
 * The GRACE layer at inference: nearest key, `distance <= radius`, replacement; see
 * {@link referenceReplace} for what replacement writes.
 */
export function referenceLookup(args: ReferenceLookupArguments): ReferenceLookup {
  const nearest = referenceNearestKey(args.queries, args.keys);
  const hitIndex = nearest.index.map((key, row) =>
    key >= 0 && referenceFires(nearest.distance[row], args.radii[key]) ? key : -1,
  );
  return { output: referenceReplace(args, hitIndex), hitIndex };
}

/**
 * The replacement half of a lookup, given which key fired for each row (-1: defer). Separate so that a case
 * can check a backend's output against the backend's own hit decisions where a near-tie allows either.
 * Output is built by typed-array copies, so deferred tokens keep their exact bits.
 */
export function referenceReplace(args: ReferenceLookupArguments, hitIndex: ArrayLike<number>): Float32Array {
  const { values, layerOutput, keyPositions, mode } = args;
  const shape = layerOutput.shape;
  const sequence = shape.length === 3;
  const batch = shape[0];
  const tokens = sequence ? shape[1] : 1;
  const width = shape[shape.length - 1];
  const valueWidth = values.shape[1];
  if (sequence && keyPositions === undefined) throw new RangeError('a sequence output needs keyPositions');
  const output = layerOutput.data.slice();
  for (let row = 0; row < batch; row++) {
    const key = hitIndex[row];
    if (key < 0) continue;
    for (let token = 0; token < tokens; token++) {
      const chunk = sequence ? replacingChunk(mode, keyPositions?.[row] ?? 0, token, valueWidth / width) : 0;
      if (chunk < 0) continue;
      const start = key * valueWidth + chunk * width;
      output.set(values.data.subarray(start, start + width), (row * tokens + token) * width);
    }
  }
  return output;
}

/**
 * Which of a firing key's `spanLength` value vectors replaces `token` of a sequence whose key token is
 * `keyPosition`, or -1 where the frozen output stays. Every mode but `span` has one vector (chunk 0).
 */
export function replacingChunk(
  mode: ReplacementMode,
  keyPosition: number,
  token: number,
  spanLength: number,
): number {
  switch (mode) {
    case 'all':
      return 0;
    case 'last':
      return token === keyPosition ? 0 : -1;
    case 'prompt':
      return token < keyPosition ? 0 : -1;
    case 'span': {
      const chunk = token - keyPosition;
      return chunk >= 0 && chunk < spanLength ? chunk : -1;
    }
  }
}

/** Whether a firing key's value (of `spanLength` vectors, 1 but for `span`) replaces `token`. */
export function replacesToken(
  mode: ReplacementMode,
  keyPosition: number,
  token: number,
  spanLength = 1,
): boolean {
  return replacingChunk(mode, keyPosition, token, spanLength) >= 0;
}

/** Adam state after {@link referenceAdamStep}. */
export interface ReferenceAdamState {
  readonly parameter: number[];
  /** Already rounded to float32, as the tensor holding it stores it. */
  readonly firstMoment: number[];
  /** Already rounded to float32, as the tensor holding it stores it. */
  readonly secondMoment: number[];
}

/**
 * One Adam step as `backend.ts` documents it (PyTorch's formulation): `m = β1 m + (1 - β1) g`,
 * `v = β2 v + (1 - β2) g²`, `p -= lr / (1 - β1^t) * (m / (sqrt(v) / sqrt(1 - β2^t) + ε))`, using the
 * float32-stored `m` and `v` in the parameter update. The parameter is left in float64 for the caller
 * to round.
 */
export function referenceAdamStep(
  state: {
    readonly parameter: ArrayLike<number>;
    readonly gradient: ArrayLike<number>;
    readonly firstMoment: ArrayLike<number>;
    readonly secondMoment: ArrayLike<number>;
  },
  step: number,
  hyperparameters: AdamHyperparameters,
): ReferenceAdamState {
  const { learningRate, beta1, beta2, epsilon } = hyperparameters;
  const parameter: number[] = [];
  const firstMoment: number[] = [];
  const secondMoment: number[] = [];
  for (let index = 0; index < state.parameter.length; index++) {
    const gradient = state.gradient[index];
    const first = Math.fround(beta1 * state.firstMoment[index] + (1 - beta1) * gradient);
    const second = Math.fround(beta2 * state.secondMoment[index] + (1 - beta2) * gradient * gradient);
    const correctedFirstStep = learningRate / (1 - beta1 ** step);
    const denominator = Math.sqrt(second) / Math.sqrt(1 - beta2 ** step) + epsilon;
    parameter.push(state.parameter[index] - correctedFirstStep * (first / denominator));
    firstMoment.push(first);
    secondMoment.push(second);
  }
  return { parameter, firstMoment, secondMoment };
}
