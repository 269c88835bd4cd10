import { elementShader, type GpuProgram, input, output, workgroupShader } from '../gpu-program.js';
import { candidateOrderHelper, floatClassHelpers, roundedSqrtHelper } from './wgsl-helpers.js';

/**
 * The nearest-key search in passes whose per-thread loops never depend on the number of keys N (some drivers
 * silently stop long loops, which would make a large codebook quietly return a wrong key):
 * 1. tile pass: a workgroup takes {@link queriesPerTile} queries × {@link keysPerTile} keys, loads both in
 *    chunks of {@link dimensionsPerChunk} dimensions through workgroup memory, sums squared differences in
 *    dimension order, and reduces its keys to one `(squared distance, index)` per query;
 * 2. reduce passes: {@link reduceWidth} candidates become one, repeated until one per query remains;
 * 3. finish: the square root (correctly rounded) and, for `lookup`, the deferral test.
 */

export const queriesPerTile = 8;
export const keysPerTile = 32;
export const dimensionsPerChunk = 32;
export const reduceWidth = 256;

/**
 * params: [unused, batch, keyCount, width, keyTiles, tileBase, chunkTiles]. The keys bound are one chunk
 * (a binding may not exceed the device's storage binding size): `keyCount` keys from global tile `tileBase`
 * on; candidates go to `[B, keyTiles]` at the chunk's tiles, with global key indices.
 */
export const nearestKeyTileProgram: GpuProgram = {
  shaderKey: 'nearestKey/tile',
  workgroupSize: queriesPerTile * keysPerTile,
  bindings: [input('queries'), input('keys'), output('candidateDistance'), output('candidateIndex', 'i32')],
  wgsl: () =>
    workgroupShader({
      bindings: nearestKeyTileProgram.bindings,
      workgroupSize: queriesPerTile * keysPerTile,
      declarations: `${floatClassHelpers}${candidateOrderHelper}
var<workgroup> queryTile: array<f32, ${queriesPerTile * dimensionsPerChunk}>;
var<workgroup> keyTile: array<f32, ${keysPerTile * dimensionsPerChunk}>;
var<workgroup> tileDistance: array<f32, ${queriesPerTile * keysPerTile}>;
var<workgroup> tileIndex: array<i32, ${queriesPerTile * keysPerTile}>;`,
      body: `
  let batch = params[1];
  let keyCount = params[2];
  let width = params[3];
  let keyTiles = params[4];
  let tileBase = params[5];
  let chunkTiles = params[6];
  let tile = workgroup.x + workgroup.z * groups.x;
  let queryBase = workgroup.y * ${queriesPerTile}u;
  let keyBase = tile * ${keysPerTile}u;
  let queryLocal = local / ${keysPerTile}u;
  let keyLocal = local % ${keysPerTile}u;
  let query = queryBase + queryLocal;
  let key = keyBase + keyLocal;
  var sum = 0.0;
  let chunks = (width + ${dimensionsPerChunk - 1}u) / ${dimensionsPerChunk}u;
  for (var chunk = 0u; chunk < chunks; chunk++) {
    let dimensionBase = chunk * ${dimensionsPerChunk}u;
    for (var slot = local; slot < ${queriesPerTile * dimensionsPerChunk}u; slot += ${queriesPerTile * keysPerTile}u) {
      let row = queryBase + slot / ${dimensionsPerChunk}u;
      let dimension = dimensionBase + slot % ${dimensionsPerChunk}u;
      var value = 0.0;
      if (row < batch && dimension < width) { value = queries[row * width + dimension]; }
      queryTile[slot] = value;
    }
    for (var slot = local; slot < ${keysPerTile * dimensionsPerChunk}u; slot += ${queriesPerTile * keysPerTile}u) {
      let row = keyBase + slot / ${dimensionsPerChunk}u;
      let dimension = dimensionBase + slot % ${dimensionsPerChunk}u;
      var value = 0.0;
      if (row < keyCount && dimension < width) { value = keys[row * width + dimension]; }
      keyTile[slot] = value;
    }
    workgroupBarrier();
    let limit = min(${dimensionsPerChunk}u, width - dimensionBase);
    for (var dimension = 0u; dimension < limit; dimension++) {
      let difference = queryTile[queryLocal * ${dimensionsPerChunk}u + dimension]
        - keyTile[keyLocal * ${dimensionsPerChunk}u + dimension];
      sum = sum + difference * difference;
    }
    workgroupBarrier();
  }
  var index = -1;
  if (key < keyCount && isFiniteFloat(sum)) { index = i32(tileBase * ${keysPerTile}u + key); }
  tileDistance[local] = sum;
  tileIndex[local] = index;
  workgroupBarrier();
  for (var stride = ${keysPerTile / 2}u; stride > 0u; stride = stride / 2u) {
    if (keyLocal < stride) {
      let other = local + stride;
      if (beats(tileDistance[other], tileIndex[other], tileDistance[local], tileIndex[local])) {
        tileDistance[local] = tileDistance[other];
        tileIndex[local] = tileIndex[other];
      }
    }
    workgroupBarrier();
  }
  if (keyLocal == 0u && query < batch && tile < chunkTiles) {
    candidateDistance[query * keyTiles + tileBase + tile] = tileDistance[local];
    candidateIndex[query * keyTiles + tileBase + tile] = tileIndex[local];
  }`,
    }),
};

/** params: [unused, count, outputCount]: candidates `[B, count]` → `[B, outputCount]`, one per workgroup. */
export const nearestKeyReduceProgram: GpuProgram = {
  shaderKey: 'nearestKey/reduce',
  workgroupSize: reduceWidth,
  bindings: [
    input('candidateDistance'),
    input('candidateIndex', 'i32'),
    output('reducedDistance'),
    output('reducedIndex', 'i32'),
  ],
  wgsl: () =>
    workgroupShader({
      bindings: nearestKeyReduceProgram.bindings,
      workgroupSize: reduceWidth,
      declarations: `${candidateOrderHelper}
var<workgroup> bestDistance: array<f32, ${reduceWidth}>;
var<workgroup> bestIndex: array<i32, ${reduceWidth}>;`,
      body: `
  let count = params[1];
  let outputCount = params[2];
  let row = workgroup.y;
  let group = workgroup.x + workgroup.z * groups.x;
  let position = group * ${reduceWidth}u + local;
  var distance = 0.0;
  var index = -1;
  if (position < count && group < outputCount) {
    distance = candidateDistance[row * count + position];
    index = candidateIndex[row * count + position];
  }
  bestDistance[local] = distance;
  bestIndex[local] = index;
  workgroupBarrier();
  for (var stride = ${reduceWidth / 2}u; stride > 0u; stride = stride / 2u) {
    if (local < stride) {
      let other = local + stride;
      if (beats(bestDistance[other], bestIndex[other], bestDistance[local], bestIndex[local])) {
        bestDistance[local] = bestDistance[other];
        bestIndex[local] = bestIndex[other];
      }
    }
    workgroupBarrier();
  }
  if (local == 0u && group < outputCount) {
    reducedDistance[row * outputCount + group] = bestDistance[0];
    reducedIndex[row * outputCount + group] = bestIndex[0];
  }`,
    }),
};

/** params: [batch]: the one candidate per query → index and (unsquared, correctly rounded) distance. */
export const nearestKeyFinishProgram: GpuProgram = {
  shaderKey: 'nearestKey/finish',
  workgroupSize: 64,
  bindings: [
    input('candidateDistance'),
    input('candidateIndex', 'i32'),
    output('distance'),
    output('nearestIndex', 'i32'),
  ],
  wgsl: () =>
    elementShader({
      bindings: nearestKeyFinishProgram.bindings,
      workgroupSize: 64,
      declarations: `${floatClassHelpers}${roundedSqrtHelper}`,
      body: `
  let winner = candidateIndex[index];
  nearestIndex[index] = winner;
  if (winner < 0) { distance[index] = floatFromBits(positiveInfinity); }
  else { distance[index] = roundedSqrt(candidateDistance[index]); }`,
    }),
};

/**
 * params: [batch]: the lookup's deferral test on the one candidate per query: fires when the float32 distance
 * (as `nearestKey` reports it) is `<=` the key's radius; a NaN radius never fires.
 */
export const lookupFinishProgram: GpuProgram = {
  shaderKey: 'lookup/finish',
  workgroupSize: 64,
  bindings: [
    input('candidateDistance'),
    input('candidateIndex', 'i32'),
    input('radii'),
    output('hit', 'i32'),
  ],
  wgsl: () =>
    elementShader({
      bindings: lookupFinishProgram.bindings,
      workgroupSize: 64,
      declarations: `${floatClassHelpers}${roundedSqrtHelper}`,
      body: `
  let winner = candidateIndex[index];
  var fired = -1;
  if (winner >= 0) {
    let radius = radii[u32(winner)];
    if (!isNanFloat(radius) && roundedSqrt(candidateDistance[index]) <= radius) { fired = winner; }
  }
  hit[index] = fired;`,
    }),
};
