import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Codebook, DeviceCodebook, SeededRandom } from '@grace/core';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { createTfjsBackend } from './tfjs-backend.js';

const wasmPackage = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json');
setWasmPaths(`${join(dirname(wasmPackage), 'dist')}/`);

/** The wasm memory's current buffer, which growth replaces (detaching the old one). */
function heapBuffer(): ArrayBufferLike {
  return (tf.backend() as unknown as { wasm: { HEAPF32: Float32Array } }).wasm.HEAPF32.buffer;
}

/** Allocates ever larger tensors until the wasm memory has grown, then frees them. */
function growHeap(): void {
  const before = heapBuffer();
  const held: tf.Tensor[] = [];
  for (let size = 1 << 20; heapBuffer() === before; size *= 2) held.push(tf.fill([size], 1));
  tf.dispose(held);
}

describe('codebook rows in the tfjs-wasm memory', () => {
  it('are stored once, stay exact while the memory grows, and return to JavaScript at dispose', async () => {
    await tf.setBackend('wasm');
    await tf.ready();
    const backend = createTfjsBackend(tf, { tfjsBackend: 'wasm' });
    // Unpinned, tfjs may move tensor data to another backend under the editor: no row storage then.
    expect(createTfjsBackend(tf).allocateRowStorage).toBeUndefined();
    const width = 32;
    const codebook = new Codebook({ keyDimension: width, valueDimension: 4, layerId: 'heap', epsInit: 0.5 });
    const random = new SeededRandom(8);
    for (let edit = 0; edit < 200; edit++) {
      codebook.applyEdit(
        { query: random.floats(width, -3, 3), label: edit % 2 },
        { value: random.floats(4) },
      );
    }
    const before = tf.memory();
    const device = new DeviceCodebook(backend, codebook);
    let growths = 0;
    let snapshot = codebook.snapshot();
    try {
      device.current();
      expect(codebook.rowStores().keys.provider).toBe(backend);
      // One copy: tfjs holds three new buffers, the codebook's row stores, and the mirrors' tensors are views
      // of them (tfjs's numBytes counts every view's size, so it adds the used rows once more).
      const held = tf.memory();
      expect(held.numDataBuffers - before.numDataBuffers).toBe(3);
      const usedBytes = codebook.size * (width + 4 + 1) * 4;
      expect(held.numBytes - before.numBytes).toBe(codebook.hostBytes + usedBytes);
      for (let round = 0; round < 4; round++) {
        for (let edit = 0; edit < 40; edit++) {
          codebook.applyEdit(
            { query: random.floats(width, -3, 3), label: edit % 2 },
            { value: random.floats(4) },
          );
        }
        const current = device.current();
        const queries = codebook.keysView().slice(0, 8 * width);
        for (let row = 0; row < queries.length; row++) queries[row] = (queries[row] as number) + 0.01;
        growHeap();
        growths++;
        const uploaded = backend.upload(queries, [8, width]);
        const result = backend.nearestKey(uploaded, current.keys);
        const indices = await backend.download(result.index);
        const distances = await backend.download(result.distance);
        for (const tensor of [uploaded, result.index, result.distance]) backend.dispose(tensor);
        for (let row = 0; row < 8; row++) {
          const expected = codebook.nearest(queries.subarray(row * width, (row + 1) * width));
          expect([indices[row], distances[row]]).toEqual([expected.index, expected.distance]);
        }
        expect(await backend.download(current.values)).toEqual(codebook.valuesView().slice());
      }
      // Beside the rows it serves, only the keys' float64 norms (with a quarter of spare capacity).
      expect(device.backendBytes).toBeLessThanOrEqual(Math.ceil(codebook.size * 1.25) * 8);
      snapshot = codebook.snapshot();
    } finally {
      device.dispose();
    }
    expect(growths).toBe(4);
    expect(codebook.rowStores().keys.provider).not.toBe(backend);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    expect(codebook.snapshot()).toEqual(snapshot);
  }, 60_000);

  it("copies rows of the wasm memory into another tfjs backend's mirror instead of keeping a view", async () => {
    await tf.setBackend('wasm');
    await tf.ready();
    const pinned = createTfjsBackend(tf, { tfjsBackend: 'wasm' });
    const storage = pinned.allocateRowStorage?.(64);
    if (storage === undefined) throw new Error('a pinned backend offers row storage');
    const contents = new SeededRandom(4).floats(64);
    storage.floats().set(contents);
    await tf.setBackend('cpu');
    const unpinned = createTfjsBackend(tf);
    const mirror = unpinned.createRowMirror([8]);
    try {
      mirror.sync(storage.floats(), 'all');
      await tf.setBackend('wasm');
      growHeap();
      storage.floats().fill(0);
      await tf.setBackend('cpu');
      expect(await unpinned.download(mirror.tensor())).toEqual(contents);
    } finally {
      mirror.dispose();
      storage.dispose();
      await tf.setBackend('wasm');
    }
  }, 60_000);
});
