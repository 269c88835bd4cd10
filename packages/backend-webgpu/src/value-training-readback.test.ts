import { editableSequentialModel, GraceEditor, SequentialModel } from '@grace/core';
import { afterAll, describe, expect, it } from 'vitest';
import { requestWebGpuDevice } from './request-device.js';
import { createWebGpuBackend } from './webgpu-backend.js';

/**
 * Value training must not wait for the device on every step: the suffix forward, its gradient and Adam are all
 * queued, and only the loss comes back when core asks (`checkEvery`). Read-backs are counted as the mappings
 * of the staging (MAP_READ) buffers `download` uses — pooled, so counting their creation would undercount:
 * doubling the iterations at a fixed `checkEvery` may add only the extra loss checks.
 */
const acquired = await requestWebGpuDevice().catch((error: unknown) => error as Error);
const mapRead = 0x0001;

if (acquired instanceof Error) {
  console.warn(
    `\n*** @grace/backend-webgpu: NO WEBGPU ADAPTER, the read-back test is SKIPPED: ${acquired.message}\n`,
  );
  describe.skip('value training read-backs (no adapter)', () => {
    it('needs a WebGPU adapter', () => undefined);
  });
} else {
  const { device } = acquired;
  afterAll(() => device.destroy());
  let readBacks = 0;
  const createBuffer = device.createBuffer.bind(device);
  device.createBuffer = (descriptor: GPUBufferDescriptor) => {
    const buffer = createBuffer(descriptor);
    if ((descriptor.usage & mapRead) !== 0) {
      const mapAsync = buffer.mapAsync.bind(buffer);
      buffer.mapAsync = (...mapArguments: Parameters<GPUBuffer['mapAsync']>) => {
        readBacks++;
        return mapAsync(...mapArguments);
      };
    }
    return buffer;
  };

  async function readBacksOfOneEdit(iterations: number): Promise<number> {
    const backend = await createWebGpuBackend({ device });
    const model = SequentialModel.create({
      inputWidth: 2,
      layers: [{ kind: 'dense', units: 16 }, { kind: 'relu' }, { kind: 'dense', units: 1 }],
      loss: 'sigmoid-cross-entropy',
      seed: 3,
    });
    const editor = new GraceEditor(editableSequentialModel(model, 0), {
      backend,
      epsInit: 1,
      training: { iterations, checkEvery: 10 },
    });
    const before = readBacks;
    await editor.edit({ input: [0.5, -1], label: 1 });
    return readBacks - before;
  }

  describe('value training on the device', () => {
    it('reads back only the loss every checkEvery iterations', async () => {
      const twenty = await readBacksOfOneEdit(20);
      const forty = await readBacksOfOneEdit(40);
      expect(twenty).toBeGreaterThanOrEqual(2);
      expect(forty - twenty).toBe(2);
    });
  });
}
