import { elementShader, type GpuProgram, input, output, workgroupShader } from '../gpu-program.js';
import { candidateOrderHelper, floatClassHelpers, roundedSqrtHelper } from './wgsl-helpers.js';

/**
 * The nearest-key search in passes whose per-thread loops never depend on the number of keys N (some drivers
 * silently stop long loops, which would make a large codebook quietly return a wrong key):
 * 1. tile pass (`nearest-key-tile.wgsl.ts`, its shape chosen by the batch in `tile-shapes.ts`): a workgroup
 *    takes a tile of queries × keys, sums squared differences in dimension order, and reduces its keys to one
 *    `(squared distance, index)` per query;
 * 2. reduce passes: {@link reduceWidth} candidates become one, repeated until one per query remains;
 * 3. finish: the square root (correctly rounded) and, for `lookup`, the deferral test.
 */

export const reduceWidth = 256;

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
