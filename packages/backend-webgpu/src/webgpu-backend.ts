import {
  type DType,
  type DTypeOf,
  dtypeOf,
  type GraceBackend,
  GraceError,
  type Shape,
  type Tensor,
  type TensorData,
  type TensorDataOf,
  validateUpload,
} from '@grace/core';
import { BufferPool, bufferBytes } from './buffer-pool.js';
import { DeviceHealth } from './device-health.js';
import { GpuRunner } from './gpu-runner.js';
import { adamStep } from './kernels/adam-step.js';
import { lookup } from './kernels/lookup.js';
import { nearestKey } from './kernels/nearest-key.js';
import { gatherTokens, meanTokens } from './kernels/token-kernels.js';
import { createWebGpuOpKernels } from './ops/webgpu-op-kernels.js';
import { type AdapterSummary, type DeviceSourceOptions, requestWebGpuDevice } from './request-device.js';
import { StagingPool } from './staging-pool.js';
import { WebGpuContext } from './webgpu-context.js';
import { createWebGpuRowMirror } from './webgpu-row-mirror.js';
import { resolveWebGpuTensor, WebGpuTensor } from './webgpu-tensor.js';

/** Options of {@link createWebGpuBackend}. */
export interface WebGpuBackendOptions extends DeviceSourceOptions {
  /** Print every shader's WGSL (with its key) when it is first compiled. */
  readonly debug?: boolean;
}

/** The backend with what a benchmark reports about its adapter. */
export interface WebGpuBackend extends GraceBackend {
  readonly adapterInfo: AdapterSummary;
  readonly device: GPUDevice;
}

const mapModeRead = 0x0001;

/**
 * Makes the WebGPU backend: every kernel is a WGSL program on the device, and no kernel reads anything back,
 * so value training reads only the loss (when core asks for it) and a lookup queues its whole work at once.
 *
 * The device comes from `options.device`, else `options.gpu`, else `navigator.gpu`, else the `webgpu`
 * package in Node; `BACKEND_UNAVAILABLE` says why none worked. Device failures (lost device, out of memory,
 * validation) surface as `BACKEND_FAILURE` at the next call. Backends over one given device are cheap and
 * share compiled pipelines; `destroy()` destroys the device only if this backend created it.
 */
export async function createWebGpuBackend(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
  const { device, owned, adapterInfo } = await requestWebGpuDevice(options);
  const owner = {};
  const pool = new BufferPool(device);
  const stagingPool = new StagingPool(device);
  const health = new DeviceHealth(device);
  const runner = new GpuRunner(device, pool, health, options.debug ?? false);
  const context = new WebGpuContext(device, pool, runner, health, owner);
  let destroyed = false;
  const liveCheck = (): void => {
    if (destroyed) throw new GraceError('BACKEND_FAILURE', 'this WebGPU backend was destroyed');
    health.check();
  };

  const backend: WebGpuBackend = {
    specificationVersion: 'v1',
    name: adapterInfo.architecture === '' ? 'webgpu' : `webgpu (${adapterInfo.architecture} adapter)`,
    adapterInfo,
    device,

    upload<Data extends TensorData>(data: Data, shape: Shape): Tensor<DTypeOf<Data>> {
      validateUpload(data, shape);
      liveCheck();
      const buffer = health.watch('out-of-memory', `uploading ${data.length} elements`, () =>
        pool.acquire(bufferBytes(data.length)),
      );
      if (data.length > 0) device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
      const dtype = dtypeOf(data) as DTypeOf<Data>;
      const hostIntegers = data instanceof Int32Array ? data.slice() : undefined;
      return new WebGpuTensor(owner, dtype, buffer, shape, hostIntegers);
    },

    async download<D extends DType>(tensor: Tensor<D>): Promise<TensorDataOf[D]> {
      const resolved = context.read(tensor, 'tensor');
      liveCheck();
      const bytes = bufferBytes(resolved.size);
      const staging = stagingPool.acquire(bytes);
      const encoder = device.createCommandEncoder();
      encoder.copyBufferToBuffer(resolved.buffer, 0, staging, 0, bytes);
      device.queue.submit([encoder.finish()]);
      try {
        await staging.mapAsync(mapModeRead);
      } catch (error) {
        // A mapping that failed leaves the buffer in no known state: drop it rather than pool it.
        staging.destroy();
        health.check();
        throw new GraceError(
          'BACKEND_FAILURE',
          'reading a tensor back from the device failed',
          {},
          {
            cause: error,
          },
        );
      }
      const words = staging.getMappedRange(0, bytes).slice(0, resolved.size * 4);
      staging.unmap();
      if (destroyed) staging.destroy();
      else stagingPool.release(staging);
      health.check();
      return (
        resolved.dtype === 'int32' ? new Int32Array(words) : new Float32Array(words)
      ) as TensorDataOf[D];
    },

    dispose(tensor: Tensor): void {
      const buffer = resolveWebGpuTensor(tensor, owner, 'tensor').release();
      if (buffer !== undefined && !destroyed) pool.release(buffer);
    },

    createRowMirror(rowShape) {
      liveCheck();
      return createWebGpuRowMirror(context, rowShape);
    },
    gatherTokens: (input, positions) => gatherTokens(context, input, positions),
    meanTokens: (input, lengths) => meanTokens(context, input, lengths),
    nearestKey: (queries, keys) => nearestKey(context, queries, keys),
    lookup: (args) => lookup(context, args),
    adamStep: (args) => adamStep(context, args),
    ops: createWebGpuOpKernels(context),

    destroy(): void {
      if (destroyed) return;
      destroyed = true;
      pool.clear();
      stagingPool.clear();
      if (owned) device.destroy();
    },
  };
  return Object.freeze(backend);
}
