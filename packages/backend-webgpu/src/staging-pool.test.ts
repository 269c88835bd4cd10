import { afterAll, describe, expect, it } from 'vitest';
import { requestWebGpuDevice } from './request-device.js';
import { StagingPool } from './staging-pool.js';
import { createWebGpuBackend } from './webgpu-backend.js';

/**
 * `download` borrows its read-back (MAP_READ) buffers from a pool: a serving loop that downloads the same
 * shapes every call must stop creating buffers after the first, concurrent downloads must each get their own
 * buffer and their own answer, and a device lost mid-download must still fail as `BACKEND_FAILURE`.
 */
const acquired = await requestWebGpuDevice().catch((error: unknown) => error as Error);
const mapRead = 0x0001;

if (acquired instanceof Error) {
  console.warn(
    `\n*** @grace/backend-webgpu: NO WEBGPU ADAPTER, the staging tests are SKIPPED: ${acquired.message}\n`,
  );
  describe.skip('staging pool (no adapter)', () => {
    it('needs a WebGPU adapter', () => undefined);
  });
} else {
  const { device } = acquired;
  afterAll(() => device.destroy());
  const counts = { created: 0, destroyed: 0 };
  const createBuffer = device.createBuffer.bind(device);
  device.createBuffer = (descriptor: GPUBufferDescriptor) => {
    const buffer = createBuffer(descriptor);
    if ((descriptor.usage & mapRead) !== 0) {
      counts.created++;
      const destroy = buffer.destroy.bind(buffer);
      buffer.destroy = () => {
        counts.destroyed++;
        destroy();
      };
    }
    return buffer;
  };

  describe('download staging buffers', () => {
    it('reuses them: repeated downloads of one shape create one buffer', async () => {
      const backend = await createWebGpuBackend({ device });
      const tensor = backend.upload(Float32Array.from([1, 2, 3]), [3]);
      const before = counts.created;
      for (let round = 0; round < 10; round++) {
        expect(Array.from(await backend.download(tensor))).toEqual([1, 2, 3]);
      }
      expect(counts.created - before).toBe(1);
      backend.destroy?.();
    });

    it('gives concurrent downloads of one size their own buffers and answers, and keeps at most four', async () => {
      const backend = await createWebGpuBackend({ device });
      const tensors = Array.from({ length: 10 }, (_, index) =>
        backend.upload(Float32Array.from([index, -index]), [2]),
      );
      const [created, destroyed] = [counts.created, counts.destroyed];
      const answers = await Promise.all(tensors.map((tensor) => backend.download(tensor)));
      expect(answers.map((answer) => Array.from(answer))).toEqual(tensors.map((_, index) => [index, -index]));
      expect(counts.created - created).toBe(10);
      expect(counts.destroyed - destroyed).toBe(6);
      const again = await Promise.all(tensors.slice(0, 4).map((tensor) => backend.download(tensor)));
      expect(again.map((answer) => answer[0])).toEqual([0, 1, 2, 3]);
      expect(counts.created - created).toBe(10);
      backend.destroy?.();
      expect(counts.destroyed - destroyed).toBe(10);
    });

    it('fails as BACKEND_FAILURE when the device is lost during a download, and after', async () => {
      const own = await requestWebGpuDevice();
      const backend = await createWebGpuBackend({ device: own.device });
      const tensor = backend.upload(Float32Array.from([4, 5]), [2]);
      expect(Array.from(await backend.download(tensor))).toEqual([4, 5]);
      const pending = backend.download(tensor);
      own.device.destroy();
      await expect(pending).rejects.toMatchObject({ code: 'BACKEND_FAILURE' });
      await own.device.lost;
      await expect(backend.download(tensor)).rejects.toMatchObject({ code: 'BACKEND_FAILURE' });
    });
  });

  describe('StagingPool', () => {
    it('lends a free buffer of the exact size and refuses to keep more than its bounds', () => {
      const pool = new StagingPool(device, 2, 64);
      const [first, second, third] = [pool.acquire(16), pool.acquire(16), pool.acquire(16)];
      pool.release(first);
      pool.release(second);
      pool.release(third);
      expect(pool.freeCount).toBe(2);
      expect(pool.acquire(16)).toBe(second);
      expect(pool.acquire(32)).not.toBe(first);
      // 16 (free) + 64 > 64 bytes: a large buffer is destroyed rather than kept.
      pool.release(pool.acquire(64));
      expect(pool.freeCount).toBe(1);
      pool.clear();
      expect(pool.freeCount).toBe(0);
    });
  });
}
