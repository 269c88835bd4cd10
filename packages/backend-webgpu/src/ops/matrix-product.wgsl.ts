import { type GpuProgram, input, output, workgroupShader } from '../gpu-program.js';
import { stridedOffsetHelper } from './op-programs.js';

/** Output tile edge: a workgroup computes a 16 × 16 tile of one output matrix. */
export const productTile = 16;

const programs = new Map<boolean, GpuProgram>();

/**
 * The tiled matrix product: each workgroup stages 16 × 16 tiles of both operands in workgroup memory, chunk by
 * chunk of the shared dimension, so each operand element is read from the buffer once per tile rather than once
 * per output element. Same params as the one-thread-per-output program in `linear-ops.ts` (operands read
 * through strides, so transposes and batch broadcasting cost nothing); dispatch
 * `[⌈N/16⌉, ⌈M/16⌉, batch matrices]`.
 */
export function tiledProductProgram(withBias: boolean): GpuProgram {
  const existing = programs.get(withBias);
  if (existing !== undefined) return existing;
  const bindings = [input('left'), input('right'), input('bias'), output('result')];
  const program: GpuProgram = {
    shaderKey: withBias ? 'op/tiledProduct+bias' : 'op/tiledProduct',
    workgroupSize: productTile * productTile,
    bindings,
    wgsl: () =>
      workgroupShader({
        bindings,
        workgroupSize: productTile * productTile,
        declarations: `${stridedOffsetHelper}
var<workgroup> leftTile: array<f32, ${productTile * productTile}>;
var<workgroup> rightTile: array<f32, ${productTile * productTile}>;`,
        body: `
  let rows = params[1];
  let columns = params[2];
  let sharedLength = params[3];
  let batchRank = params[4];
  let alpha = bitcast<f32>(params[5]);
  let beta = bitcast<f32>(params[6]);
  let matrix = workgroup.z;
  let localRow = local / ${productTile}u;
  let localColumn = local % ${productTile}u;
  let row = workgroup.y * ${productTile}u + localRow;
  let column = workgroup.x * ${productTile}u + localColumn;
  let leftMatrix = stridedOffset(matrix, batchRank, 13u, 13u + batchRank);
  let rightMatrix = stridedOffset(matrix, batchRank, 13u, 13u + 2u * batchRank);
  var sum = 0.0;
  let chunks = (sharedLength + ${productTile - 1}u) / ${productTile}u;
  for (var chunk = 0u; chunk < chunks; chunk++) {
    let first = chunk * ${productTile}u;
    var leftValue = 0.0;
    if (row < rows && first + localColumn < sharedLength) {
      leftValue = left[leftMatrix + row * params[7] + (first + localColumn) * params[8]];
    }
    leftTile[local] = leftValue;
    var rightValue = 0.0;
    if (first + localRow < sharedLength && column < columns) {
      rightValue = right[rightMatrix + (first + localRow) * params[9] + column * params[10]];
    }
    rightTile[local] = rightValue;
    workgroupBarrier();
    let limit = min(${productTile}u, sharedLength - first);
    for (var k = 0u; k < limit; k++) {
      sum = sum + leftTile[localRow * ${productTile}u + k] * rightTile[k * ${productTile}u + localColumn];
    }
    workgroupBarrier();
  }
  if (row < rows && column < columns) {
    var value = alpha * sum;
    ${withBias ? 'value = value + beta * bias[row * params[11] + column * params[12]];' : ''}
    result[(matrix * rows + row) * columns + column] = value;
  }`,
      }),
  };
  programs.set(withBias, program);
  return program;
}
