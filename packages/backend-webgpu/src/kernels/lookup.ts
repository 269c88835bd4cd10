import { type LookupArguments, type LookupResult, validateLookupArguments } from '@grace/core';
import { elementDispatch, elementShader, type GpuProgram, input, output, Params } from '../gpu-program.js';
import type { BufferRange, Dispatch } from '../gpu-runner.js';
import { checkIndexRange, type WebGpuContext } from '../webgpu-context.js';
import { emptyCandidates, nearestCandidates } from './nearest-key.js';
import { lookupFinishProgram } from './nearest-key.wgsl.js';

/** Replacement modes as the shader numbers them. */
const modeNumbers = { all: 0, last: 1, prompt: 2, span: 3 } as const;

/**
 * params: [count, tokens, width, mode, valueBase, valueCount, firstChunk, spanLength]: one thread per output
 * word. The values bound are rows `valueBase..valueBase+valueCount` (a chunk under the storage binding limit),
 * each `spanLength · width` words; a word is written by the pass whose chunk holds its key, or, when its row
 * defers, by the first pass. A row whose key fired takes the key's value on the tokens its mode replaces (with
 * `span`, token `keyPosition + s` takes the value's vector s); every other word is the layer output's word. Both are copied as u32,
 * never through float arithmetic, so NaN payloads, -0 and subnormals survive bit for bit.
 */
export const lookupReplaceProgram: GpuProgram = {
  shaderKey: 'lookup/replace',
  workgroupSize: 64,
  bindings: [
    input('layerOutput', 'u32'),
    input('values', 'u32'),
    input('hit', 'i32'),
    input('keyPositions', 'i32'),
    output('result', 'u32'),
  ],
  wgsl: () =>
    elementShader({
      bindings: lookupReplaceProgram.bindings,
      workgroupSize: 64,
      body: `
  let tokens = params[1];
  let width = params[2];
  let mode = params[3];
  let row = index / (tokens * width);
  let token = i32((index / width) % tokens);
  let span = params[7];
  let key = hit[row];
  var replace = key >= 0;
  var vector = 0u;
  if (replace && mode != 0u) {
    let position = keyPositions[row];
    let offset = token - position;
    replace = (mode == 1u && offset == 0) || (mode == 2u && offset < 0) ||
      (mode == 3u && offset >= 0 && u32(offset) < span);
    if (mode == 3u) { vector = u32(max(offset, 0)); }
  }
  if (replace) {
    let row = u32(key) - params[4];
    if (u32(key) >= params[4] && row < params[5]) {
      result[index] = values[(row * span + vector) * width + index % width];
    }
  } else if (params[6] == 1u) {
    result[index] = layerOutput[index];
  }`,
    }),
};

/** The fused GRACE layer: search, deferral test and replacement, queued as one command buffer. */
export function lookup(context: WebGpuContext, args: LookupArguments): LookupResult {
  const { sequence, spanLength } = validateLookupArguments(args);
  const queries = context.read(args.queries, 'queries');
  const keys = context.read(args.keys, 'keys');
  const radii = context.read(args.radii, 'radii');
  const values = context.read(args.values, 'values');
  const layerOutput = context.read(args.layerOutput, 'layerOutput');
  const [batch, keyWidth] = queries.shape as [number, number];
  const keyCount = keys.shape[0] as number;
  const shape = layerOutput.shape;
  const tokens = sequence ? (shape[1] as number) : 1;
  const valueWidth = shape[shape.length - 1] as number;
  const positions =
    sequence && args.keyPositions !== undefined ? context.read(args.keyPositions, 'keyPositions') : undefined;
  if (positions !== undefined) checkIndexRange(positions, 0, tokens - 1, 'keyPositions');

  const result = context.allocate('float32', shape);
  const hit = context.allocate('int32', [batch]);
  const candidates =
    keyCount > 0
      ? nearestCandidates(context, queries.buffer, keys.buffer, batch, keyCount, keyWidth)
      : emptyCandidates(context, batch);
  const size = layerOutput.size;
  const mode = sequence ? modeNumbers[args.mode] : modeNumbers.all;
  context.run([
    ...candidates.dispatches,
    {
      program: lookupFinishProgram,
      buffers: [candidates.distance, candidates.index, radii.buffer, hit.buffer],
      params: new Params().u32(batch),
      groups: elementDispatch(batch),
    },
    ...replaceDispatches(
      context,
      values.buffer,
      size,
      spanLength * valueWidth,
      keyCount,
      (valueRange, valueBase, valueCount, first) => ({
        program: lookupReplaceProgram,
        buffers: [layerOutput.buffer, valueRange, hit.buffer, (positions ?? hit).buffer, result.buffer],
        params: new Params().u32(
          size,
          tokens,
          valueWidth,
          mode,
          valueBase,
          valueCount,
          first ? 1 : 0,
          spanLength,
        ),
        groups: elementDispatch(size),
      }),
    ),
  ]);
  context.recycle(...candidates.scratch);
  return { output: result, hitIndex: hit };
}

/**
 * One replacement pass per chunk of value rows that fits the device's storage binding limit (one pass for any
 * realistic codebook); with no keys, one pass that copies the layer output.
 */
function replaceDispatches(
  context: WebGpuContext,
  values: GPUBuffer,
  size: number,
  valueRowWidth: number,
  keyCount: number,
  make: (values: BufferRange, valueBase: number, valueCount: number, first: boolean) => Dispatch,
): Dispatch[] {
  if (size === 0) return [];
  const rowBytes = Math.max(valueRowWidth, 1) * 4;
  const chunkRows = Math.max(
    64,
    Math.floor(context.device.limits.maxStorageBufferBindingSize / rowBytes / 64) * 64,
  );
  const dispatches: Dispatch[] = [];
  for (let valueBase = 0; valueBase < Math.max(keyCount, 1); valueBase += chunkRows) {
    const valueCount = Math.min(chunkRows, keyCount - valueBase);
    dispatches.push(
      make(
        { buffer: values, offset: valueBase * rowBytes, size: Math.max(4, valueCount * rowBytes) },
        valueBase,
        Math.max(valueCount, 0),
        valueBase === 0,
      ),
    );
  }
  return dispatches;
}
