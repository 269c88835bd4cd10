import {
  GraceError,
  type LookupArguments,
  type LookupResult,
  type ReplacementMode,
  validateLookupArguments,
} from '@grace/core';
import { CpuTensor, liveCpuTensor, readCpuTensor } from '../cpu-tensor.js';
import { type KeySearch, reportedDistance } from './nearest-key.js';

/**
 * The GRACE layer at inference: nearest key, deferral test, replacement, in one call.
 *
 * The deferral test compares the float32 distance that `nearestKey` would report with the key's radius, so
 * `lookup` agrees exactly with `nearestKey` followed by `distance <= radius` on the host; a NaN distance or
 * radius never fires. The output starts as a byte copy of `layerOutput` (`TypedArray.set` copies bytes), and
 * only the tokens of firing rows are overwritten with byte copies of their key's value: deferring rows are
 * the frozen layer's output bit for bit, as the spec promises.
 */
export function lookup(owner: object, search: KeySearch, args: LookupArguments): LookupResult {
  const { sequence } = validateLookupArguments(args);
  const { queries, keys, radii, values, layerOutput, keyPositions, mode } = args;
  const queryData = readCpuTensor(queries, owner, 'queries');
  const keyTensor = liveCpuTensor(keys, owner, 'keys');
  const radiusData = readCpuTensor(radii, owner, 'radii');
  const valueData = readCpuTensor(values, owner, 'values');
  const layerData = readCpuTensor(layerOutput, owner, 'layerOutput');
  const [batch, keyWidth] = queries.shape as [number, number];
  const keyCount = keys.shape[0];
  const shape = layerOutput.shape;
  const valueWidth = shape[shape.length - 1];
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
  const hitIndex = new Int32Array(batch).fill(-1);
  if (keyCount > 0) {
    const nearest = search(queryData, keyTensor, batch, keyWidth);
    for (let row = 0; row < batch; row++) {
      const key = nearest.index[row];
      if (key < 0 || !(reportedDistance(nearest.squaredDistance[row]) <= radiusData[key])) continue;
      hitIndex[row] = key;
      const value = valueData.subarray(key * valueWidth, (key + 1) * valueWidth);
      const [first, end] =
        positionData === undefined ? [0, 1] : replacedTokens(mode, positionData[row], tokens);
      for (let token = first; token < end; token++) {
        output.set(value, (row * tokens + token) * valueWidth);
      }
    }
  }
  return {
    output: new CpuTensor(owner, 'float32', output, shape),
    hitIndex: new CpuTensor(owner, 'int32', hitIndex, [batch]),
  };
}

/** The half-open token range `[first, end)` a firing row replaces in a sequence of `tokens` tokens. */
function replacedTokens(mode: ReplacementMode, keyPosition: number, tokens: number): [number, number] {
  switch (mode) {
    case 'all':
      return [0, tokens];
    case 'last':
      return [keyPosition, keyPosition + 1];
    case 'prompt':
      return [0, keyPosition];
  }
}
