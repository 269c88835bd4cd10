import { GraceError } from '@grace/core';

/** Where {@link requestWebGpuDevice} looks for a device, in order. */
export interface DeviceSourceOptions {
  /** A device the caller already has (shared with rendering, or with other backends). Used as is. */
  readonly device?: GPUDevice;
  /** A `GPU` object (`navigator.gpu`, or `create([...])` of the `webgpu` package). */
  readonly gpu?: GPU;
}

/** The device and whether this backend made it (and so may destroy it). */
export interface AcquiredDevice {
  readonly device: GPUDevice;
  readonly owned: boolean;
  /** Vendor, architecture and description when known, e.g. for benchmark reports. */
  readonly adapterInfo: AdapterSummary;
}

/** What a benchmark prints about the adapter. */
export interface AdapterSummary {
  readonly vendor: string;
  readonly architecture: string;
  readonly description: string;
  readonly device: string;
}

/**
 * Keeps each device's `GPU` and adapter alive as long as the device: in Node, garbage-collecting the `webgpu`
 * package's instance while its device is in use crashes the process (Dawn's threads lose their owner).
 */
const deviceOrigins = new WeakMap<GPUDevice, readonly [GPU, GPUAdapter]>();

const unknownAdapter: AdapterSummary = { vendor: '', architecture: '', description: '', device: '' };

/** The `webgpu` package (Dawn) in Node; imported dynamically so browsers never load it. */
async function nodeGpu(reasons: string[]): Promise<GPU | undefined> {
  const isNode = typeof process !== 'undefined' && process.versions?.node !== undefined;
  if (!isNode) return undefined;
  try {
    const specifier = 'webgpu';
    const module = (await import(/* @vite-ignore */ specifier)) as {
      create: (flags: string[]) => GPU;
      globals: Record<string, unknown>;
    };
    // Dawn's classes (GPUBufferUsage, GPUShaderStage, ...) must be globals for code written for browsers.
    for (const [name, value] of Object.entries(module.globals)) {
      if (!(name in globalThis)) Object.assign(globalThis, { [name]: value });
    }
    // On Linux Dawn's Vulkan backend is the one with a usable software driver (lavapipe); elsewhere Dawn picks.
    return module.create(process.platform === 'linux' ? ['backend=vulkan'] : []);
  } catch (error) {
    reasons.push(`the webgpu package could not be loaded: ${error instanceof Error ? error.message : error}`);
    return undefined;
  }
}

function summarize(info: GPUAdapterInfo | undefined): AdapterSummary {
  if (info === undefined) return unknownAdapter;
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    description: info.description ?? '',
    device: info.device ?? '',
  };
}

/**
 * A device from the first source that gives one: the given device, then the given `gpu`, then `navigator.gpu`,
 * then the `webgpu` package in Node. When none does, a `BACKEND_UNAVAILABLE` error lists why each failed.
 */
export async function requestWebGpuDevice(options: DeviceSourceOptions = {}): Promise<AcquiredDevice> {
  if (options.device !== undefined) {
    const info = (options.device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    return { device: options.device, owned: false, adapterInfo: summarize(info) };
  }
  const reasons: string[] = [];
  const navigatorGpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (options.gpu === undefined && navigatorGpu === undefined) reasons.push('navigator.gpu is absent');
  const gpu = options.gpu ?? navigatorGpu ?? (await nodeGpu(reasons));
  if (gpu !== undefined) {
    const adapter = await gpu.requestAdapter();
    if (adapter === null) {
      reasons.push('requestAdapter() returned no adapter (no WebGPU driver: install Mesa 25 lavapipe)');
    } else {
      const device = await adapter.requestDevice({
        requiredLimits: {
          maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage,
          maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
          maxBufferSize: adapter.limits.maxBufferSize,
        },
      });
      deviceOrigins.set(device, [gpu, adapter]);
      return { device, owned: true, adapterInfo: summarize(adapter.info) };
    }
  }
  throw new GraceError('BACKEND_UNAVAILABLE', `no WebGPU device: ${reasons.join('; ')}`, { reasons });
}
