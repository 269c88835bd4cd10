import { GraceError } from '@grace/core';
import { runBackendConformance } from '@grace/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { requestWebGpuDevice } from './request-device.js';
import { createWebGpuBackend } from './webgpu-backend.js';

/**
 * The whole conformance suite on a real WebGPU adapter in Node: the `webgpu` package (Dawn) over Vulkan, which
 * on CI is Mesa 25 lavapipe (a CPU driver; tools/ci/install-system-packages.sh installs it). One device serves
 * every case; each case still gets a fresh backend (its own buffers and error state), as the suite asks.
 * Without an adapter the suite is skipped with a warning that says why, never passed silently.
 */
const acquired = await requestWebGpuDevice().catch((error: unknown) => error as Error);
const unavailable = acquired instanceof Error ? acquired.message : undefined;

if (unavailable !== undefined) {
  console.warn(
    `\n*** @grace/backend-webgpu: NO WEBGPU ADAPTER, the conformance suite is SKIPPED: ${unavailable}\n`,
  );
  describe.skip(`WebGPU conformance (skipped: ${unavailable})`, () => {
    it('needs a WebGPU adapter', () => undefined);
  });
} else if (!(acquired instanceof Error)) {
  const { device, adapterInfo } = acquired;
  console.info(
    `@grace/backend-webgpu tests on: ${adapterInfo.vendor} / ${adapterInfo.architecture} / ${adapterInfo.description}`,
  );
  afterAll(() => device.destroy());

  runBackendConformance(() => createWebGpuBackend({ device }), {
    title: `WebGPU conformance (${adapterInfo.description || adapterInfo.architecture})`,
    timeoutMs: 120_000,
  });

  describe('createWebGpuBackend', () => {
    it('names the adapter and declares spec v1', async () => {
      const backend = await createWebGpuBackend({ device });
      expect(backend.specificationVersion).toBe('v1');
      expect(backend.name).toMatch(/^webgpu/);
    });

    it('refuses tensors of another backend on the same device', async () => {
      const first = await createWebGpuBackend({ device });
      const second = await createWebGpuBackend({ device });
      const tensor = first.upload(new Float32Array([1, 2]), [2]);
      await expect(second.download(tensor)).rejects.toMatchObject({ code: 'FOREIGN_TENSOR' });
      expect(Array.from(await first.download(tensor))).toEqual([1, 2]);
    });

    it('finds the nearest of 100,000 keys (many reduce passes, no long loops)', async () => {
      const backend = await createWebGpuBackend({ device });
      const keyCount = 100_000;
      const width = 4;
      const keys = new Float32Array(keyCount * width);
      for (let index = 0; index < keys.length; index++) keys[index] = ((index * 7919) % 1000) / 10;
      // Key 77,777 is moved next to the query; an exact copy of it sits at the last index (the tie goes low).
      const target = 77_777;
      keys.set([500, 500, 500, 500], target * width);
      keys.set([500, 500, 500, 500], (keyCount - 1) * width);
      const queries = backend.upload(new Float32Array([500, 500, 500, 501]), [1, width]);
      const result = backend.nearestKey(queries, backend.upload(keys, [keyCount, width]));
      expect(Array.from(await backend.download(result.index))).toEqual([target]);
      expect(Array.from(await backend.download(result.distance))).toEqual([1]);
    });

    it('reports a destroyed backend as BACKEND_FAILURE', async () => {
      const backend = await createWebGpuBackend({ device });
      const tensor = backend.upload(new Float32Array([1]), [1]);
      backend.destroy?.();
      await expect(backend.download(tensor)).rejects.toBeInstanceOf(GraceError);
    });
  });
}
