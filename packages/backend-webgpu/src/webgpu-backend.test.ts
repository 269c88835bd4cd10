import { GraceError } from '@grace/core';
import { runBackendConformance } from '@grace/core/testing/vitest';
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

    it("prints each program's WGSL once with debug: true", async () => {
      const printed: string[] = [];
      const original = console.log;
      console.log = (message: unknown) => printed.push(String(message));
      try {
        const backend = await createWebGpuBackend({ device, debug: true });
        const input = backend.upload(new Float32Array([1, 2, 3, 4]), [1, 2, 2]);
        const positions = backend.upload(new Int32Array([1]), [1]);
        // A fresh device has no cached pipelines, so the first call compiles (and prints) gatherTokens.
        const own = await requestWebGpuDevice();
        const fresh = await createWebGpuBackend({ device: own.device, debug: true });
        await fresh.download(
          fresh.gatherTokens(
            fresh.upload(new Float32Array([1, 2, 3, 4]), [1, 2, 2]),
            fresh.upload(new Int32Array([1]), [1]),
          ),
        );
        await backend.download(backend.gatherTokens(input, positions));
        own.device.destroy();
      } finally {
        console.log = original;
      }
      const gather = printed.filter((message) => message.includes('gatherTokens'));
      expect(gather.length).toBeGreaterThanOrEqual(1);
      expect(gather[0]).toContain('@compute');
    });

    it('surfaces a device error (a buffer over the device limit) as BACKEND_FAILURE', async () => {
      const own = await requestWebGpuDevice();
      const backend = await createWebGpuBackend({ device: own.device });
      const input = backend.upload(new Float32Array([1]), [1]);
      // 2^31 floats = 8 GiB: over every limit. WebGPU reports it as an error event, which the backend throws
      // at its next step (here already the dispatch of the same call, else the download).
      const attempt = async () => backend.download(backend.ops.Identity.forward([input], {}, [2 ** 31]));
      await expect(attempt()).rejects.toMatchObject({ code: 'BACKEND_FAILURE' });
      expect(() => backend.upload(new Float32Array([1]), [1])).toThrow(GraceError);
      own.device.destroy();
    });

    it('surfaces a lost device as BACKEND_FAILURE', async () => {
      const own = await requestWebGpuDevice();
      const backend = await createWebGpuBackend({ device: own.device });
      const tensor = backend.upload(new Float32Array([1, 2]), [2]);
      own.device.destroy();
      await own.device.lost;
      await expect(backend.download(tensor)).rejects.toMatchObject({ code: 'BACKEND_FAILURE' });
      expect(() => backend.upload(new Float32Array([1]), [1])).toThrow(/device lost/);
    });

    it('refuses an uploaded class label outside [0, C) before queuing work, ignoring ignored rows', async () => {
      const backend = await createWebGpuBackend({ device });
      const scores = backend.upload(new Float32Array(6), [2, 3]);
      const attributes = { reduction: 'mean', ignoreIndex: -100 } as const;
      const loss = (labels: number[]) =>
        backend.ops.SoftmaxCrossEntropyLoss.forward(
          [scores, backend.upload(Int32Array.from(labels), [2])],
          attributes,
          [],
        );
      expect(() => loss([0, 3])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      expect((await backend.download(loss([1, -100])))[0]).toBeCloseTo(Math.log(3), 5);
    });

    it('reports a destroyed backend as BACKEND_FAILURE', async () => {
      const backend = await createWebGpuBackend({ device });
      const tensor = backend.upload(new Float32Array([1]), [1]);
      backend.destroy?.();
      await expect(backend.download(tensor)).rejects.toBeInstanceOf(GraceError);
    });
  });
}
