import { type GpuProgram, input, output, workgroupShader } from '../gpu-program.js';
import { candidateOrderHelper, floatClassHelpers } from './wgsl-helpers.js';

/**
 * The shape of one tile-pass variant. A workgroup of `queryGroups × keyGroups` invocations takes
 * `queriesPerInvocation · queryGroups` queries × `keysPerInvocation · keyGroups` keys; each invocation keeps
 * its `queriesPerInvocation × keysPerInvocation` squared distances in registers, so one dimension costs it
 * `queriesPerInvocation + keysPerInvocation` reads for `queriesPerInvocation · keysPerInvocation`
 * multiply-adds. With `stageKeys` the keys pass through workgroup memory (read once from the buffer, shared
 * by every query row of the tile); without it each invocation reads its own key rows from the buffer, which
 * is cheaper when the tile holds one query and nothing is shared.
 */
export interface TileShape {
  readonly queriesPerInvocation: number;
  readonly keysPerInvocation: number;
  readonly queryGroups: number;
  readonly keyGroups: number;
  readonly stageKeys: boolean;
  /** Dimensions loaded per workgroup-memory round (between two barriers). */
  readonly dimensionsPerChunk: number;
}

/** Queries one workgroup covers. */
export function queriesPerTile(shape: TileShape): number {
  return shape.queriesPerInvocation * shape.queryGroups;
}

/** Keys one workgroup covers. */
export function keysPerTile(shape: TileShape): number {
  return shape.keysPerInvocation * shape.keyGroups;
}

function tileShapeKey(shape: TileShape): string {
  return (
    `q${shape.queriesPerInvocation}x${shape.queryGroups}` +
    `/k${shape.keysPerInvocation}x${shape.keyGroups}` +
    `/c${shape.dimensionsPerChunk}${shape.stageKeys ? '/staged' : '/direct'}`
  );
}

/** Repeats `line(r, c)` over the invocation's register block, one line each. */
function forBlock(shape: TileShape, line: (query: number, key: number) => string): string {
  const lines: string[] = [];
  for (let query = 0; query < shape.queriesPerInvocation; query++) {
    for (let key = 0; key < shape.keysPerInvocation; key++) lines.push(line(query, key));
  }
  return lines.join('\n');
}

function forQueries(shape: TileShape, line: (query: number) => string): string {
  return Array.from({ length: shape.queriesPerInvocation }, (_, query) => line(query)).join('\n');
}

function forKeys(shape: TileShape, line: (key: number) => string): string {
  return Array.from({ length: shape.keysPerInvocation }, (_, key) => line(key)).join('\n');
}

/**
 * WGSL that copies rows `base..base+tileRows` of `source` (`[rows, width]`), dimensions of the current chunk,
 * into `target` transposed (`[chunk][tileRows]`), zeros past the ends; the workgroup's invocations share it.
 */
function stageRows(
  target: string,
  source: string,
  base: string,
  rows: string,
  tileRows: number,
  shape: TileShape,
): string {
  const chunk = shape.dimensionsPerChunk;
  return `
    for (var slot = local; slot < ${tileRows * chunk}u; slot += ${shape.queryGroups * shape.keyGroups}u) {
      let row = ${base} + slot / ${chunk}u;
      let dimension = dimensionBase + slot % ${chunk}u;
      var value = 0.0;
      if (row < ${rows} && dimension < width) { value = ${source}[row * width + dimension]; }
      ${target}[(slot % ${chunk}u) * ${tileRows}u + slot / ${chunk}u] = value;
    }`;
}

/**
 * The WGSL of one variant. Every `(query, key)` sum is `sum = sum + d·d` over the dimensions in order, one
 * float32 rounding per operation, in every variant: the variants differ only in who computes which sum and
 * where the operands come from, so they report the same bits.
 */
function tileShader(shape: TileShape, bindings: GpuProgram['bindings']): string {
  const queryTile = queriesPerTile(shape);
  const keyTile = keysPerTile(shape);
  const { queryGroups, keyGroups, dimensionsPerChunk: chunk } = shape;
  const threads = queryGroups * keyGroups;
  const keyStage = shape.stageKeys ? stageRows('keyTile', 'keys', 'keyBase', 'keyCount', keyTile, shape) : '';
  const keyRead = (key: number): string =>
    shape.stageKeys
      ? `      let k${key} = keyTile[dimension * ${keyTile}u + keyLocal + ${key * keyGroups}u];`
      : `      let k${key} = keys[keyRow${key} + dimensionBase + dimension];`;
  // Unstaged, an invocation reads its key rows itself; a row past the chunk's keys reads the last key instead
  // (its sum is discarded below), so no read leaves the bound range.
  const keyRows = shape.stageKeys
    ? ''
    : forKeys(
        shape,
        (key) =>
          `  let keyRow${key} = min(keyBase + keyLocal + ${key * keyGroups}u, max(keyCount, 1u) - 1u) * width;`,
      );
  return workgroupShader({
    bindings,
    workgroupSize: threads,
    declarations: `${floatClassHelpers}${candidateOrderHelper}
var<workgroup> queryTile: array<f32, ${queryTile * chunk}>;
${shape.stageKeys ? `var<workgroup> keyTile: array<f32, ${keyTile * chunk}>;` : ''}
var<workgroup> tileDistance: array<f32, ${queryTile * keyGroups}>;
var<workgroup> tileIndex: array<i32, ${queryTile * keyGroups}>;`,
    body: `
  let batch = params[1];
  let keyCount = params[2];
  let width = params[3];
  let keyTiles = params[4];
  let tileBase = params[5];
  let chunkTiles = params[6];
  let tile = workgroup.x + workgroup.z * groups.x;
  let queryBase = workgroup.y * ${queryTile}u;
  let keyBase = tile * ${keyTile}u;
  let queryLocal = local / ${keyGroups}u;
  let keyLocal = local % ${keyGroups}u;
${keyRows}
${forBlock(shape, (query, key) => `  var s${query}_${key} = 0.0;`)}
  let chunks = (width + ${chunk - 1}u) / ${chunk}u;
  for (var chunkIndex = 0u; chunkIndex < chunks; chunkIndex++) {
    let dimensionBase = chunkIndex * ${chunk}u;
${stageRows('queryTile', 'queries', 'queryBase', 'batch', queryTile, shape)}${keyStage}
    workgroupBarrier();
    let limit = min(${chunk}u, width - dimensionBase);
    for (var dimension = 0u; dimension < limit; dimension++) {
${forQueries(shape, (query) => `      let q${query} = queryTile[dimension * ${queryTile}u + queryLocal + ${query * queryGroups}u];`)}
${forKeys(shape, keyRead)}
${forBlock(shape, (query, key) => `      let d${query}_${key} = q${query} - k${key};\n      s${query}_${key} = s${query}_${key} + d${query}_${key} * d${query}_${key};`)}
    }
    workgroupBarrier();
  }
${forQueries(
  shape,
  (query) => `  {
    var bestDistance = 0.0;
    var bestIndex = -1;
${forKeys(
  shape,
  (key) => `    {
      let key = keyBase + keyLocal + ${key * keyGroups}u;
      var index = -1;
      if (key < keyCount && isFiniteFloat(s${query}_${key})) { index = i32(tileBase * ${keyTile}u + key); }
      if (beats(s${query}_${key}, index, bestDistance, bestIndex)) { bestDistance = s${query}_${key}; bestIndex = index; }
    }`,
)}
    let slot = (queryLocal + ${query * queryGroups}u) * ${keyGroups}u + keyLocal;
    tileDistance[slot] = bestDistance;
    tileIndex[slot] = bestIndex;
  }`,
)}
  workgroupBarrier();
  for (var stride = ${Math.floor(keyGroups / 2)}u; stride > 0u; stride = stride / 2u) {
    if (keyLocal < stride) {
${forQueries(
  shape,
  (query) => `      {
        let slot = (queryLocal + ${query * queryGroups}u) * ${keyGroups}u + keyLocal;
        let other = slot + stride;
        if (beats(tileDistance[other], tileIndex[other], tileDistance[slot], tileIndex[slot])) {
          tileDistance[slot] = tileDistance[other];
          tileIndex[slot] = tileIndex[other];
        }
      }`,
)}
    }
    workgroupBarrier();
  }
  if (keyLocal == 0u && tile < chunkTiles) {
${forQueries(
  shape,
  (query) => `    {
      let row = queryLocal + ${query * queryGroups}u;
      let query = queryBase + row;
      if (query < batch) {
        candidateDistance[query * keyTiles + tileBase + tile] = tileDistance[row * ${keyGroups}u];
        candidateIndex[query * keyTiles + tileBase + tile] = tileIndex[row * ${keyGroups}u];
      }
    }`,
)}
  }`,
  });
}

const tilePrograms = new Map<string, GpuProgram>();

/**
 * The tile pass of one shape (see `nearest-key.wgsl.ts` for the passes around it). params: [unused, batch,
 * keyCount, width, keyTiles, tileBase, chunkTiles]; the keys bound are one chunk of `keyCount` keys from
 * global tile `tileBase` on; candidates go to `[B, keyTiles]` at the chunk's tiles, with global key indices.
 * One program object per shape, so its pipeline is compiled once per device.
 */
export function nearestKeyTileProgram(shape: TileShape): GpuProgram {
  const shaderKey = `nearestKey/tile/${tileShapeKey(shape)}`;
  const cached = tilePrograms.get(shaderKey);
  if (cached !== undefined) return cached;
  const bindings = [
    input('queries'),
    input('keys'),
    output('candidateDistance'),
    output('candidateIndex', 'i32'),
  ];
  const program: GpuProgram = {
    shaderKey,
    workgroupSize: shape.queryGroups * shape.keyGroups,
    bindings,
    wgsl: () => tileShader(shape, bindings),
  };
  tilePrograms.set(shaderKey, program);
  return program;
}
