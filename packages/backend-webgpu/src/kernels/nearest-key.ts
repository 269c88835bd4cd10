import { GraceError, type NearestKeyResult, type Tensor, validateNearestKeyArguments } from '@grace/core';
import { elementDispatch, maximumWorkgroupsPerDimension, Params } from '../gpu-program.js';
import type { Dispatch } from '../gpu-runner.js';
import type { WebGpuContext } from '../webgpu-context.js';
import { nearestKeyFinishProgram, nearestKeyReduceProgram, reduceWidth } from './nearest-key.wgsl.js';
import {
  keysPerTile,
  nearestKeyTileProgram,
  queriesPerTile,
  type TileShape,
} from './nearest-key-tile.wgsl.js';
import { tileShapeFor } from './tile-shapes.js';

/** The one `(squared distance, index)` candidate per query that the search passes leave. */
export interface NearestCandidates {
  readonly dispatches: Dispatch[];
  readonly distance: GPUBuffer;
  readonly index: GPUBuffer;
  /** Scratch buffers to recycle once the dispatches are submitted (the two above included). */
  readonly scratch: GPUBuffer[];
}

/** Workgroup counts `[x, rows, z]` for `count` groups per row, `x * z >= count`, within the limits. */
function spread(count: number, rows: number): [number, number, number] {
  if (rows > maximumWorkgroupsPerDimension) {
    throw new GraceError(
      'INVALID_ARGUMENT',
      `nearestKey handles at most 65535 query rows per workgroup row`,
      {
        rows,
      },
    );
  }
  const x = Math.min(Math.max(count, 1), maximumWorkgroupsPerDimension);
  return [x, rows, Math.ceil(Math.max(count, 1) / x)];
}

/**
 * The tile pass and as many reduce passes as `N` needs, all queued without a read-back. Requires N > 0.
 * Each reduce pass divides the candidates per query by {@link reduceWidth}, so N = 10⁹ keys takes 3 passes.
 */
export function nearestCandidates(
  context: WebGpuContext,
  queries: GPUBuffer,
  keys: GPUBuffer,
  batch: number,
  keyCount: number,
  width: number,
  shape: TileShape = tileShapeFor(batch),
): NearestCandidates {
  const scratch: GPUBuffer[] = [];
  const dispatches: Dispatch[] = [];
  const tileKeys = keysPerTile(shape);
  const keyTiles = Math.ceil(keyCount / tileKeys);
  let distance = context.scratch(batch * keyTiles);
  let index = context.scratch(batch * keyTiles);
  scratch.push(distance, index);
  // Keys are bound in chunks that fit the device's largest storage binding; a chunk starts on a multiple of
  // 64 keys (so its byte offset is a multiple of 256, the storage offset alignment every device accepts) and
  // of the tile's keys (so its tiles are whole).
  const rowBytes = Math.max(width, 1) * 4;
  const chunkAlignment = Math.max(64, tileKeys);
  const chunkKeys = Math.max(
    chunkAlignment,
    Math.floor(context.device.limits.maxStorageBufferBindingSize / rowBytes / chunkAlignment) *
      chunkAlignment,
  );
  for (let firstKey = 0; firstKey < keyCount; firstKey += chunkKeys) {
    const count = Math.min(chunkKeys, keyCount - firstKey);
    const chunkTiles = Math.ceil(count / tileKeys);
    const [tileX, , tileZ] = spread(chunkTiles, 1);
    const size = Math.max(4, count * width * 4);
    dispatches.push({
      program: nearestKeyTileProgram(shape),
      buffers: [queries, { buffer: keys, offset: firstKey * width * 4, size }, distance, index],
      params: new Params().u32(0, batch, count, width, keyTiles, firstKey / tileKeys, chunkTiles),
      groups: [tileX, Math.ceil(batch / queriesPerTile(shape)), tileZ],
    });
  }
  let count = keyTiles;
  while (count > 1) {
    const outputCount = Math.ceil(count / reduceWidth);
    const reducedDistance = context.scratch(batch * outputCount);
    const reducedIndex = context.scratch(batch * outputCount);
    scratch.push(reducedDistance, reducedIndex);
    dispatches.push({
      program: nearestKeyReduceProgram,
      buffers: [distance, index, reducedDistance, reducedIndex],
      params: new Params().u32(0, count, outputCount),
      groups: spread(outputCount, batch),
    });
    distance = reducedDistance;
    index = reducedIndex;
    count = outputCount;
  }
  return { dispatches, distance, index, scratch };
}

/** `queries [B, Dk]`, `keys [N, Dk]` → nearest key and its distance per query, on the device. */
export function nearestKey(
  context: WebGpuContext,
  queries: Tensor<'float32'>,
  keys: Tensor<'float32'>,
): NearestKeyResult {
  validateNearestKeyArguments(queries, keys);
  const queryTensor = context.read(queries, 'queries');
  const keyTensor = context.read(keys, 'keys');
  const [batch, width] = queries.shape as [number, number];
  const keyCount = keys.shape[0] as number;
  const index = context.allocate('int32', [batch]);
  const distance = context.allocate('float32', [batch]);
  // With no keys, a candidate buffer of index -1 stands in for the search.
  const candidates =
    keyCount > 0
      ? nearestCandidates(context, queryTensor.buffer, keyTensor.buffer, batch, keyCount, width)
      : emptyCandidates(context, batch);
  context.run([
    ...candidates.dispatches,
    {
      program: nearestKeyFinishProgram,
      buffers: [candidates.distance, candidates.index, distance.buffer, index.buffer],
      params: new Params().u32(batch),
      groups: elementDispatch(batch),
    },
  ]);
  context.recycle(...candidates.scratch);
  return { index, distance };
}

/** Candidates that say "no key" for every query, for N = 0. */
export function emptyCandidates(context: WebGpuContext, batch: number): NearestCandidates {
  const distance = context.scratch(batch);
  const index = context.scratch(batch);
  context.device.queue.writeBuffer(index, 0, new Int32Array(batch).fill(-1));
  return { dispatches: [], distance, index, scratch: [distance, index] };
}
