import type { BufferPool } from './buffer-pool.js';
import type { DeviceHealth } from './device-health.js';
import type { GpuProgram, Params } from './gpu-program.js';

/** A whole buffer, or a byte range of one (to stay under the device's storage binding size). */
export type BufferRange =
  | GPUBuffer
  | { readonly buffer: GPUBuffer; readonly offset: number; readonly size: number };

/** One dispatch of a program: its buffers in binding order, its params, its workgroup counts. */
export interface Dispatch {
  readonly program: GpuProgram;
  readonly buffers: readonly BufferRange[];
  readonly params: Params;
  readonly groups: readonly [number, number, number];
}

/** `GPUShaderStage.COMPUTE`, spelled out so that Node needs no WebGPU globals. */
const computeStage = 4;

interface CachedPipeline {
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
}

/**
 * Pipelines depend only on the device and the WGSL, so every backend made over one device shares them (the
 * conformance suite makes a backend per case; recompiling every shader per case would dominate its run time).
 */
const pipelineCaches = new WeakMap<GPUDevice, Map<string, CachedPipeline>>();

/**
 * Compiles (once per shader key), binds and dispatches programs. Each call to {@link GpuRunner.run} records
 * its dispatches into one command buffer and submits it at once, so queue order alone keeps pooled buffers
 * safe (see `BufferPool`) and no kernel ever waits for the device.
 */
export class GpuRunner {
  readonly #device: GPUDevice;
  readonly #pool: BufferPool;
  readonly #health: DeviceHealth;
  readonly #debug: boolean;
  readonly #pipelines: Map<string, CachedPipeline>;

  constructor(device: GPUDevice, pool: BufferPool, health: DeviceHealth, debug: boolean) {
    this.#device = device;
    this.#pool = pool;
    this.#health = health;
    this.#debug = debug;
    let cache = pipelineCaches.get(device);
    if (cache === undefined) {
      cache = new Map();
      pipelineCaches.set(device, cache);
    }
    this.#pipelines = cache;
  }

  #pipelineOf(program: GpuProgram): CachedPipeline {
    const cached = this.#pipelines.get(program.shaderKey);
    if (cached !== undefined) return cached;
    const code = program.wgsl();
    if (this.#debug) console.log(`[grace webgpu] ${program.shaderKey}\n${code}`);
    const made = this.#health.watch('validation', `shader ${program.shaderKey}`, () => {
      const entries: GPUBindGroupLayoutEntry[] = program.bindings.map((binding, index) => ({
        binding: index,
        visibility: computeStage,
        buffer: { type: binding.access === 'read' ? 'read-only-storage' : 'storage' },
      }));
      entries.push({
        binding: program.bindings.length,
        visibility: computeStage,
        buffer: { type: 'read-only-storage' },
      });
      const layout = this.#device.createBindGroupLayout({ label: program.shaderKey, entries });
      const module = this.#device.createShaderModule({ label: program.shaderKey, code });
      // A compile error otherwise surfaces only as "invalid pipeline"; keep the compiler's own words.
      module.getCompilationInfo?.().then(
        (info) => {
          const errors = info.messages.filter((message) => message.type === 'error');
          if (errors.length > 0) {
            const where = errors.map((message) => `line ${message.lineNum}: ${message.message}`).join('; ');
            this.#health.record(`shader ${program.shaderKey} does not compile: ${where}`, { code });
          }
        },
        () => undefined,
      );
      const pipeline = this.#device.createComputePipeline({
        label: program.shaderKey,
        layout: this.#device.createPipelineLayout({ bindGroupLayouts: [layout] }),
        compute: { module, entryPoint: 'main' },
      });
      return { pipeline, layout };
    });
    this.#pipelines.set(program.shaderKey, made);
    return made;
  }

  /** Records the dispatches in order into one command buffer and submits it. */
  run(dispatches: readonly Dispatch[]): void {
    this.#health.check();
    if (dispatches.length === 0) return;
    const encoder = this.#device.createCommandEncoder();
    const paramBuffers: GPUBuffer[] = [];
    for (const dispatch of dispatches) {
      const { pipeline, layout } = this.#pipelineOf(dispatch.program);
      const words = dispatch.params.toArray();
      const paramBuffer = this.#pool.acquire(Math.max(4, words.byteLength));
      this.#device.queue.writeBuffer(paramBuffer, 0, words);
      paramBuffers.push(paramBuffer);
      const bindGroup = this.#device.createBindGroup({
        layout,
        entries: [...dispatch.buffers, paramBuffer].map((range, binding) => ({
          binding,
          resource:
            'offset' in range
              ? { buffer: range.buffer, offset: range.offset, size: range.size }
              : { buffer: range },
        })),
      });
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(...dispatch.groups);
      pass.end();
    }
    this.#device.queue.submit([encoder.finish()]);
    for (const buffer of paramBuffers) this.#pool.release(buffer);
  }
}
