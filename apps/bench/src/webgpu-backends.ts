import { createWebGpuBackend } from '@grace/backend-webgpu';
import type { GraceBackend } from '@grace/core';

/**
 * The WebGPU backend for the benchmarks: navigator.gpu where there is one, else the `webgpu` package (Dawn)
 * over Vulkan. Its figures mean nothing without knowing the adapter (a software rasteriser such as lavapipe
 * or SwiftShader, or a real GPU), so the adapter is printed with the results.
 */
export async function createWebGpuBenchmarkBackend(): Promise<GraceBackend> {
  const backend = await createWebGpuBackend();
  const { vendor, architecture, description } = backend.adapterInfo;
  process.stdout.write(
    `webgpu adapter: vendor '${vendor}', architecture '${architecture}', description '${description}'\n`,
  );
  return backend;
}
