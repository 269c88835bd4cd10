import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { runBackendConformance } from '@grace/core/testing/vitest';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { createTfjsBackend } from './tfjs-backend.js';

// The wasm backend loads its .wasm files from a path; in Node that is the package's own dist folder.
const wasmPackage = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json');
setWasmPaths(`${join(dirname(wasmPackage), 'dist')}/`);

/** A backend on the named tfjs backend; switching is cheap once each backend has initialised. */
async function backendOn(name: 'wasm' | 'cpu') {
  await tf.setBackend(name);
  await tf.ready();
  return createTfjsBackend(tf);
}

/** A backend pinned to the named tfjs backend, as the benchmarks make them. */
async function pinnedOn(name: 'wasm' | 'cpu') {
  await backendOn(name);
  return createTfjsBackend(tf, { tfjsBackend: name });
}

// Both backends compute in float32 (the cpu backend in float64 per op, stored as float32), so the default
// float32 tolerance of the suite applies; op gradients are checked by finite differences with its own floors.
runBackendConformance(() => backendOn('wasm'), { title: 'conformance on tfjs wasm', timeoutMs: 30_000 });
// Pinned, the backend keeps a codebook's rows in the wasm memory (allocateRowStorage): every case again so.
runBackendConformance(() => pinnedOn('wasm'), {
  title: 'conformance on tfjs wasm, pinned (codebook rows in the wasm memory)',
  timeoutMs: 30_000,
});
runBackendConformance(() => backendOn('cpu'), { title: 'conformance on tfjs cpu', timeoutMs: 30_000 });

describe('createTfjsBackend', () => {
  it('makes independent backends whose tensors do not mix', async () => {
    const first = await backendOn('wasm');
    const second = createTfjsBackend(tf);
    const tensor = first.upload(new Float32Array([1, 2]), [2]);
    await expect(second.download(tensor)).rejects.toMatchObject({ code: 'FOREIGN_TENSOR' });
    expect(() => second.dispose(tensor)).toThrow();
    expect(Array.from(await first.download(tensor))).toEqual([1, 2]);
    first.dispose(tensor);
  });

  it('names the active tfjs backend', async () => {
    const backend = await backendOn('wasm');
    expect(backend.specificationVersion).toBe('v1');
    expect(backend.name).toBe('tfjs (wasm)');
    await tf.setBackend('cpu');
    expect(backend.name).toBe('tfjs (cpu)');
  });

  it('reports a query equal to a key at distance 0 although |q|² is large', async () => {
    const backend = await backendOn('wasm');
    const width = 768;
    const keys = Float32Array.from({ length: 3 * width }, (_, index) => Math.sin(index) * 1.7);
    const queries = keys.slice(width, 2 * width);
    const result = backend.nearestKey(backend.upload(queries, [1, width]), backend.upload(keys, [3, width]));
    expect(Array.from(await backend.download(result.index))).toEqual([1]);
    expect(Array.from(await backend.download(result.distance))).toEqual([0]);
  });

  it('pins each backend to its own tfjs backend, so two can be interleaved', async () => {
    await backendOn('cpu');
    await backendOn('wasm');
    const onCpu = createTfjsBackend(tf, { tfjsBackend: 'cpu' });
    const onWasm = createTfjsBackend(tf, { tfjsBackend: 'wasm' });
    expect([onCpu.name, onWasm.name]).toEqual(['tfjs (cpu)', 'tfjs (wasm)']);
    for (const backend of [onCpu, onWasm, onCpu]) {
      const keys = backend.upload(new Float32Array([0, 0, 3, 4]), [2, 2]);
      const queries = backend.upload(new Float32Array([3, 5]), [1, 2]);
      const result = backend.nearestKey(queries, keys);
      expect(tf.getBackend()).toBe(backend === onCpu ? 'cpu' : 'wasm');
      expect(Array.from(await backend.download(result.distance))).toEqual([1]);
      for (const tensor of [keys, queries, result.index, result.distance]) backend.dispose(tensor);
    }
  });

  it('refuses inputs above rank 6 on wasm, whose element-wise kernels get them wrong, and computes them on cpu', async () => {
    const shape = [2, 3, 2, 2, 2, 2, 2];
    const data = Float32Array.from({ length: 192 }, (_, index) => Math.sin(index));
    const onWasm = await backendOn('wasm');
    const left = onWasm.upload(data, shape);
    expect(() => onWasm.ops.Mul.forward([left, left], {}, shape)).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_OP', message: expect.stringContaining('rank 7') }),
    );
    onWasm.dispose(left);
    const onCpu = await backendOn('cpu');
    const square = onCpu.ops.Mul.forward([onCpu.upload(data, shape), onCpu.upload(data, shape)], {}, shape);
    const squared = await onCpu.download(square);
    expect(squared[191]).toBeCloseTo((data[191] as number) ** 2, 6);
  });

  it('refuses to pin a tfjs backend that is not registered or initialised', () => {
    expect(() => createTfjsBackend(tf, { tfjsBackend: 'no-such-backend' })).toThrow(/not initialised/);
  });

  it('refuses a tfjs namespace without registered gradients, which value training needs', () => {
    const bareCore = { ...tf, getGradient: () => undefined } as unknown as typeof tf;
    expect(() => createTfjsBackend(bareCore)).toThrow(/no gradients registered/);
  });
});
