import { GraceError } from '@grace/core';
import type * as tfjs from '@tensorflow/tfjs-core';

/** A tensor read back from tfjs to host memory: row-major float32 data and its shape. */
export interface HostTensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/**
 * Reads tfjs tensors back as float32 and disposes them. Booleans and integers become floats (a mask read as
 * data), so anything that crosses from tfjs into the suffix has one type.
 */
export async function readHostTensors(tensors: readonly tfjs.Tensor[]): Promise<HostTensor[]> {
  try {
    return await Promise.all(
      tensors.map(async (tensor) => ({
        data: Float32Array.from(await tensor.data()),
        shape: [...tensor.shape],
      })),
    );
  } finally {
    for (const tensor of tensors) tensor.dispose();
  }
}

/**
 * Real tokens per row from a mask `[B, T]` or `[B, T, 1]` (non-zero = a real token). Padding must come after
 * the real tokens: a row whose ones do not form a prefix is refused, since the key token and the `last` and
 * `prompt` replacement modes count positions from the row's start.
 */
export function lengthsFromMask(mask: HostTensor, maskName: string): number[] {
  const [batch, tokens] = mask.shape;
  if (batch === undefined || tokens === undefined || mask.data.length !== batch * tokens) {
    throw new GraceError(
      'SHAPE_MISMATCH',
      `the sequence mask '${maskName}' is [${mask.shape.join(', ')}]; a mask is [B, T] or [B, T, 1]`,
      { mask: maskName, shape: mask.shape },
    );
  }
  return Array.from({ length: batch }, (_, row) => {
    let length = 0;
    while (length < tokens && mask.data[row * tokens + length] !== 0) length++;
    for (let token = length; token < tokens; token++) {
      if (mask.data[row * tokens + token] !== 0) {
        throw new GraceError(
          'INVALID_ARGUMENT',
          `row ${row} of the sequence mask '${maskName}' has a real token after padding (position ${token})`,
          { mask: maskName, row, token },
        );
      }
    }
    if (length === 0) {
      throw new GraceError('INVALID_ARGUMENT', `row ${row} of the sequence mask '${maskName}' has no token`, {
        mask: maskName,
        row,
      });
    }
    return length;
  });
}

/** Largest |a − b| over two equally long arrays; infinity when the lengths differ or a value is NaN. */
export function maximumAbsoluteDifference(left: Float32Array, right: Float32Array): number {
  if (left.length !== right.length) return Number.POSITIVE_INFINITY;
  let maximum = 0;
  for (let index = 0; index < left.length; index++) {
    const difference = Math.abs((left[index] as number) - (right[index] as number));
    if (!(difference <= maximum)) maximum = Number.isNaN(difference) ? Number.POSITIVE_INFINITY : difference;
  }
  return maximum;
}
