import type { GraceBackend } from '@grace/core';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { adoptTfjsTensor, isTfjsBackend } from './adopt-tfjs-tensor.js';
import { createTfjsBackend } from './tfjs-backend.js';

describe('adoptTfjsTensor', () => {
  it('makes a tfjs tensor a float32 tensor of the backend without copying it through the host', async () => {
    await tf.setBackend('cpu');
    const backend = createTfjsBackend(tf);
    expect(isTfjsBackend(backend)).toBe(true);
    const source = tf.tensor3d([1, 2, 3, 4, 5, 6], [1, 2, 3]);
    const handle = adoptTfjsTensor(backend, source) as NonNullable<ReturnType<typeof adoptTfjsTensor>>;
    expect(handle.shape).toEqual([1, 2, 3]);
    expect(handle.dtype).toBe('float32');
    expect(Array.from(await backend.download(handle))).toEqual([1, 2, 3, 4, 5, 6]);
    // The handle owns the tensor now: disposing it frees the tfjs tensor.
    backend.dispose(handle);
    expect(source.isDisposed).toBe(true);
    // Another instance refuses it, as it refuses any foreign handle.
    const other = createTfjsBackend(tf);
    const mine = adoptTfjsTensor(backend, tf.ones([2])) as NonNullable<ReturnType<typeof adoptTfjsTensor>>;
    expect(() => other.dispose(mine)).toThrow(expect.objectContaining({ code: 'FOREIGN_TENSOR' }));
    backend.dispose(mine);
  });

  it('casts integer and boolean tensors to float32 and frees the original', async () => {
    const backend = createTfjsBackend(tf);
    const mask = tf.tensor2d([1, 1, 0], [1, 3], 'int32');
    const before = tf.memory().numTensors;
    const handle = adoptTfjsTensor(backend, mask) as NonNullable<ReturnType<typeof adoptTfjsTensor>>;
    expect(mask.isDisposed).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(await backend.download(handle))).toEqual([1, 1, 0]);
    backend.dispose(handle);
  });

  it('leaves the tensor alone and answers undefined for a backend that is not tfjs', () => {
    const notTfjs = { name: 'cpu' } as GraceBackend;
    const source = tf.ones([2, 2]);
    expect(isTfjsBackend(notTfjs)).toBe(false);
    expect(adoptTfjsTensor(notTfjs, source)).toBeUndefined();
    expect(source.isDisposed).toBe(false);
    source.dispose();
  });
});
