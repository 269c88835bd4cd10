import { createHostOpKernels } from '@grace/backend-cpu';
import {
  type AdamStepArguments,
  type DType,
  type DTypeOf,
  type GraceBackend,
  GraceError,
  grownCapacity,
  type LookupArguments,
  type LookupResult,
  type NearestKeyResult,
  planRowSync,
  type ReplacementMode,
  type RowMirror,
  rowMirrorWidth,
  type Shape,
  type Tensor,
  type TensorData,
  type TensorDataOf,
  validateAdamStepArguments,
  validateLookupArguments,
  validateNearestKeyArguments,
  validateTokenArguments,
  validateUpload,
} from '@grace/core';

/**
 * A complete GRACE backend in one small file: the worked example of docs/custom-backend.md. It favours
 * plainness over speed; `@grace/backend-cpu` is the fast reference.
 */

/** The handle this backend gives out: a host array the caller never sees directly. */
class MinimalTensor<D extends DType = DType> implements Tensor<D> {
  constructor(
    readonly dtype: D,
    readonly shape: Shape,
    public data: TensorDataOf[D] | null,
  ) {}
}

function dataOf<D extends DType>(tensor: Tensor<D>): TensorDataOf[D] {
  if (!(tensor instanceof MinimalTensor))
    throw new GraceError('FOREIGN_TENSOR', 'not a minimal-backend tensor');
  if (tensor.data === null) throw new GraceError('DISPOSED_TENSOR', 'tensor was disposed');
  return tensor.data as TensorDataOf[D];
}

function float32(data: Float32Array, shape: Shape): MinimalTensor<'float32'> {
  return new MinimalTensor('float32', shape, data);
}

function int32(data: Int32Array, shape: Shape): MinimalTensor<'int32'> {
  return new MinimalTensor('int32', shape, data);
}

/** Squared Euclidean distance between row `query` of `queries` and row `key` of `keys`, both `width` wide. */
function squaredDistance(
  queries: Float32Array,
  query: number,
  keys: Float32Array,
  key: number,
  width: number,
): number {
  let sum = 0;
  for (let column = 0; column < width; column++) {
    const difference = (queries[query * width + column] as number) - (keys[key * width + column] as number);
    sum += difference * difference;
  }
  return sum;
}

function nearest(queries: Float32Array, keys: Float32Array, batch: number, keyCount: number, width: number) {
  const index = new Int32Array(batch).fill(-1);
  const distance = new Float32Array(batch).fill(Number.POSITIVE_INFINITY);
  for (let query = 0; query < batch; query++) {
    let best = Number.POSITIVE_INFINITY;
    for (let key = 0; key < keyCount; key++) {
      const squared = squaredDistance(queries, query, keys, key, width);
      if (squared < best) {
        best = squared;
        index[query] = key;
      }
    }
    distance[query] = Math.sqrt(best);
  }
  return { index, distance };
}

/**
 * A codebook's keys, values or radii on this backend: its own array with spare rows. A sync copies only the
 * appended and changed rows and grows the array by `grownCapacity`, so an edit costs O(width), not a copy of
 * the whole codebook. (A backend over host memory could read the host's array instead, as the cpu one does.)
 */
function createRowMirror(rowShape: Shape): RowMirror {
  const width = rowMirrorWidth(rowShape);
  let storage = new Float32Array(0);
  let rows = -1;
  let disposed = false;
  const live = () => {
    if (disposed) throw new GraceError('DISPOSED_TENSOR', 'row mirror was disposed');
  };
  const view = () =>
    float32(storage.subarray(0, Math.max(0, rows) * width), [Math.max(0, rows), ...rowShape]);
  let current = view();
  return {
    rowShape,
    width,
    get rows() {
      return Math.max(0, rows);
    },
    get backendBytes() {
      return storage.byteLength;
    },
    sync(host, changedRows) {
      live();
      const plan = planRowSync(width, rows, host, changedRows);
      const capacity = storage.length / width;
      if (plan.rows > capacity) {
        const grown = new Float32Array(grownCapacity(capacity, plan.rows) * width);
        grown.set(storage.subarray(0, plan.appendedFrom * width));
        storage = grown;
      }
      const copy = (first: number, end: number) =>
        storage.set(host.subarray(first * width, end * width), first * width);
      if (plan.copyAll) copy(0, plan.rows);
      for (const row of plan.changedRows) copy(row, row + 1);
      copy(plan.appendedFrom, plan.rows);
      rows = plan.rows;
      current = view();
    },
    tensor() {
      live();
      return current;
    },
    dispose() {
      disposed = true;
      storage = new Float32Array(0);
    },
  };
}

/** Checks a per-row token position against the sequence length, as the spec requires. */
function checkPosition(position: number, tokens: number): void {
  if (position < 0 || position >= tokens) {
    throw new GraceError('INVALID_ARGUMENT', `token position ${position} is outside [0, ${tokens})`, {
      position,
    });
  }
}

/**
 * Which of a firing key's `spanLength` vectors replaces `token` when the row's key token is `keyPosition`, or -1
 * where the frozen output stays: `all` every token, `last` the key token, `prompt` the tokens before it, `span`
 * token `keyPosition + s` takes vector s (clipped at the end of the row).
 */
function replacingVector(
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
    case 'span':
      return token >= keyPosition && token < keyPosition + spanLength ? token - keyPosition : -1;
  }
}

export function createMinimalBackend(): GraceBackend {
  return {
    specificationVersion: 'v1',
    name: 'minimal',

    upload<Data extends TensorData>(data: Data, shape: Shape): Tensor<DTypeOf<Data>> {
      validateUpload(data, shape);
      const copy = data.slice();
      const dtype = copy instanceof Int32Array ? 'int32' : 'float32';
      return new MinimalTensor(dtype, [...shape], copy) as unknown as Tensor<DTypeOf<Data>>;
    },

    async download<D extends DType>(tensor: Tensor<D>): Promise<TensorDataOf[D]> {
      return dataOf(tensor).slice() as TensorDataOf[D];
    },

    dispose(tensor: Tensor): void {
      if (tensor instanceof MinimalTensor) tensor.data = null;
    },

    createRowMirror,

    gatherTokens(input, positions) {
      validateTokenArguments(input, positions, 'positions');
      const [batch, tokens, width] = input.shape as [number, number, number];
      const source = dataOf(input);
      const result = new Float32Array(batch * width);
      dataOf(positions).forEach((position, row) => {
        checkPosition(position, tokens);
        result.set(
          source.subarray((row * tokens + position) * width, (row * tokens + position + 1) * width),
          row * width,
        );
      });
      return float32(result, [batch, width]);
    },

    meanTokens(input, lengths) {
      validateTokenArguments(input, lengths, 'lengths');
      const [batch, tokens, width] = input.shape as [number, number, number];
      const source = dataOf(input);
      const result = new Float32Array(batch * width);
      dataOf(lengths).forEach((length, row) => {
        if (length < 1 || length > tokens)
          throw new GraceError('INVALID_ARGUMENT', `length ${length} out of range`);
        for (let column = 0; column < width; column++) {
          let sum = 0;
          for (let token = 0; token < length; token++)
            sum += source[(row * tokens + token) * width + column] as number;
          result[row * width + column] = sum / length;
        }
      });
      return float32(result, [batch, width]);
    },

    nearestKey(queries, keys): NearestKeyResult {
      validateNearestKeyArguments(queries, keys);
      const [batch, width] = queries.shape as [number, number];
      const { index, distance } = nearest(
        dataOf(queries),
        dataOf(keys),
        batch,
        keys.shape[0] as number,
        width,
      );
      return { index: int32(index, [batch]), distance: float32(distance, [batch]) };
    },

    lookup(args: LookupArguments): LookupResult {
      const { sequence, spanLength } = validateLookupArguments(args);
      const [batch, width] = args.queries.shape as [number, number];
      const { index, distance } = nearest(
        dataOf(args.queries),
        dataOf(args.keys),
        batch,
        args.keys.shape[0] as number,
        width,
      );
      const radii = dataOf(args.radii);
      const values = dataOf(args.values);
      const output = dataOf(args.layerOutput).slice();
      const tokens = sequence ? (args.layerOutput.shape[1] as number) : 1;
      // Dv: a value is `spanLength` vectors of Dv, one per token of its span (one vector but for `span`).
      const tokenWidth = args.layerOutput.shape.at(-1) as number;
      const positions = args.keyPositions === undefined ? null : dataOf(args.keyPositions);
      const hits = new Int32Array(batch).fill(-1);
      for (let row = 0; row < batch; row++) {
        const key = index[row] as number;
        const position = positions === null ? 0 : (positions[row] as number);
        if (sequence) checkPosition(position, tokens);
        if (key < 0 || !((distance[row] as number) <= (radii[key] as number))) continue;
        hits[row] = key;
        for (let token = 0; token < tokens; token++) {
          const vector = sequence ? replacingVector(args.mode, position, token, spanLength) : 0;
          if (vector < 0) continue;
          const start = (key * spanLength + vector) * tokenWidth;
          output.set(values.subarray(start, start + tokenWidth), (row * tokens + token) * tokenWidth);
        }
      }
      return { output: float32(output, args.layerOutput.shape), hitIndex: int32(hits, [batch]) };
    },

    adamStep(args: AdamStepArguments): void {
      validateAdamStepArguments(args);
      const { learningRate, beta1, beta2, epsilon } = args.hyperparameters;
      const parameter = dataOf(args.parameter);
      const gradient = dataOf(args.gradient);
      const first = dataOf(args.firstMoment);
      const second = dataOf(args.secondMoment);
      const correction1 = 1 - beta1 ** args.step;
      const correction2 = 1 - beta2 ** args.step;
      for (let index = 0; index < parameter.length; index++) {
        const gradientValue = gradient[index] as number;
        first[index] = beta1 * (first[index] as number) + (1 - beta1) * gradientValue;
        second[index] = beta2 * (second[index] as number) + (1 - beta2) * gradientValue * gradientValue;
        const denominator = Math.sqrt(second[index] as number) / Math.sqrt(correction2) + epsilon;
        parameter[index] =
          (parameter[index] as number) -
          (learningRate / correction1) * ((first[index] as number) / denominator);
      }
    },

    // The suffix ops (forward + gradient of every op of set v1) from the reference host implementations: they
    // only need to read this backend's arrays and wrap new ones. Start from these and replace the ops you
    // accelerate one by one, e.g. `ops: { ...createHostOpKernels(adapter), MatMul: myMatMul }`.
    ops: createHostOpKernels({
      read: (tensor) => ({ data: dataOf(tensor), shape: tensor.shape }),
      make: float32,
    }),
  };
}
