import {
  type FiringKeyIndex,
  GraceError,
  type LookupArguments,
  type LookupResult,
  type ReplacementMode,
  validateLookupArguments,
} from '@grace/core';
import { CpuTensor, liveCpuTensor, readCpuTensor } from '../cpu-tensor.js';
import { mirrorRowData } from '../mirror-row-data.js';
import { type KeySearch, reportedDistance } from './nearest-key.js';

/**
 * The GRACE layer at inference: nearest key, deferral test, replacement, in one call.
 *
 * The deferral test compares the float32 distance that `nearestKey` would report with the key's radius, so
 * `lookup` agrees exactly with `nearestKey` followed by `distance <= radius` on the host; a NaN distance or
 * radius never fires. The output starts as a byte copy of `layerOutput` (`TypedArray.set` copies bytes), and
 * only the tokens of firing rows are overwritten with byte copies of their key's value (with `span`, of the
 * value's vector for that token): deferring rows are
 * the frozen layer's output bit for bit, as the spec promises.
 *
 * Keys from a row mirror (a codebook's) are first offered to the projection tree and then to the pivot index
 * (both on by default), which answer the rows they can without touching every key; only the rest are searched.
 * Same answers, less work.
 */
export function lookup(owner: object, search: KeySearch, args: LookupArguments): LookupResult {
  const { sequence, spanLength } = validateLookupArguments(args);
  const { queries, keys, radii, values, layerOutput, keyPositions, mode } = args;
  const queryData = readCpuTensor(queries, owner, 'queries');
  const keyTensor = liveCpuTensor(keys, owner, 'keys');
  const radiusData = readCpuTensor(radii, owner, 'radii');
  const valueData = readCpuTensor(values, owner, 'values');
  const layerData = readCpuTensor(layerOutput, owner, 'layerOutput');
  const [batch, keyWidth] = queries.shape as [number, number];
  const shape = layerOutput.shape;
  const tokenWidth = shape[shape.length - 1];
  const tokens = sequence ? shape[1] : 1;

  // keyPositions exist (the validator insists) whenever the output is a sequence.
  const positionData =
    sequence && keyPositions !== undefined ? readCpuTensor(keyPositions, owner, 'keyPositions') : undefined;
  if (positionData !== undefined) {
    for (let row = 0; row < batch; row++) {
      const position = positionData[row];
      if (position < 0 || position >= tokens) {
        throw new GraceError(
          'INVALID_ARGUMENT',
          `keyPositions[${row}] = ${position} is outside [0, ${tokens})`,
          { row, position, tokens },
        );
      }
    }
  }

  const output = layerData.slice();
  const hitIndex = firingKeys(search, queryData, keyTensor, radiusData, batch, keyWidth);
  for (let row = 0; row < batch; row++) {
    const key = hitIndex[row];
    if (key < 0) continue;
    const value = valueData.subarray(key * spanLength * tokenWidth, (key + 1) * spanLength * tokenWidth);
    const [first, end] =
      positionData === undefined ? [0, 1] : replacedTokens(mode, positionData[row], tokens, spanLength);
    for (let token = first; token < end; token++) {
      // Every mode but `span` has one vector (the whole value); a span's vector s sits at token first + s.
      const vector =
        spanLength === 1
          ? value
          : value.subarray((token - first) * tokenWidth, (token - first + 1) * tokenWidth);
      output.set(vector, (row * tokens + token) * tokenWidth);
    }
  }
  return {
    output: new CpuTensor(owner, 'float32', output, shape),
    hitIndex: new CpuTensor(owner, 'int32', hitIndex, [batch]),
  };
}

/**
 * `[B]`: the key that fires for each query row (its exact nearest, if the reported distance is within the
 * radius; a NaN never fires), or -1. The projection tree, then the pivot index decide what they can (each
 * leaves the rows it cannot decide exactly to the next); the search decides the rest.
 */
function firingKeys(
  search: KeySearch,
  queryData: Float32Array,
  keyTensor: CpuTensor<'float32'>,
  radiusData: Float32Array,
  batch: number,
  width: number,
): Int32Array {
  const hitIndex = new Int32Array(batch).fill(-1);
  const keyCount = keyTensor.shape[0] as number;
  if (keyCount === 0) return hitIndex;
  const rowData = mirrorRowData(keyTensor);
  let rows = Array.from({ length: batch }, (_, row) => row);
  for (const index of [() => rowData?.projectionTree() ?? null, () => rowData?.pivotIndex() ?? null]) {
    if (rows.length === 0) return hitIndex;
    rows = offerRows(index(), queryData, rows, keyTensor.data, radiusData, hitIndex, width);
  }
  if (rows.length === 0) return hitIndex;
  const searched = rows.length === batch ? queryData : gatherRows(queryData, rows, width);
  const nearest = search(searched, keyTensor, rows.length, width);
  for (const [position, row] of rows.entries()) {
    const key = nearest.index[position] as number;
    hitIndex[row] =
      key >= 0 && reportedDistance(nearest.squaredDistance[position] as number) <= (radiusData[key] as number)
        ? key
        : -1;
  }
  return hitIndex;
}

/**
 * Asks `index` (null: none) to decide the listed query rows, writing their answers into `hitIndex`; returns the
 * rows it left undecided, in order.
 */
function offerRows(
  index: FiringKeyIndex | null,
  queryData: Float32Array,
  rows: number[],
  keys: Float32Array,
  radii: Float32Array,
  hitIndex: Int32Array,
  width: number,
): number[] {
  if (index === null) return rows;
  const all = rows.length === queryData.length / width;
  const offered = all ? queryData : gatherRows(queryData, rows, width);
  const answers = new Int32Array(rows.length).fill(-1);
  const undecided = new Set(index.firingKeys(offered, rows.length, keys, radii, answers));
  const remaining: number[] = [];
  for (const [position, row] of rows.entries()) {
    if (undecided.has(position)) remaining.push(row);
    else hitIndex[row] = answers[position] as number;
  }
  return remaining;
}

/** `[rows.length, width]`: the listed rows of a row-major matrix. */
function gatherRows(data: Float32Array, rows: readonly number[], width: number): Float32Array {
  const gathered = new Float32Array(rows.length * width);
  for (const [position, row] of rows.entries()) {
    gathered.set(data.subarray(row * width, (row + 1) * width), position * width);
  }
  return gathered;
}

/**
 * The half-open token range `[first, end)` a firing row replaces in a sequence of `tokens` tokens; a span of
 * `spanLength` vectors is clipped at the end of the row.
 */
function replacedTokens(
  mode: ReplacementMode,
  keyPosition: number,
  tokens: number,
  spanLength: number,
): [number, number] {
  switch (mode) {
    case 'all':
      return [0, tokens];
    case 'last':
      return [keyPosition, keyPosition + 1];
    case 'prompt':
      return [0, keyPosition];
    case 'span':
      return [keyPosition, Math.min(keyPosition + spanLength, tokens)];
  }
}
