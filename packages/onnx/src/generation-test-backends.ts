import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createCpuBackend } from '@grace/backend-cpu';
import { createTfjsBackend } from '@grace/backend-tfjs';
import { createWebGpuBackend, requestWebGpuDevice } from '@grace/backend-webgpu';
import type { GraceBackend } from '@grace/core';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, test } from 'vitest';

/**
 * Declares `checks` once per backend generation is tested on: cpu, tfjs on wasm, and WebGPU (Mesa lavapipe in
 * Node) — skipped, loudly, only where no WebGPU adapter exists. For test files only.
 */
export async function describeOnGenerationBackends(
  checks: (name: string, makeBackend: () => Promise<GraceBackend>) => void,
): Promise<void> {
  checks('cpu', async () => createCpuBackend());
  checks('tfjs wasm', async () => {
    const wasmPackage = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json');
    setWasmPaths(`${join(dirname(wasmPackage), 'dist')}/`);
    await tf.setBackend('wasm');
    await tf.ready();
    return createTfjsBackend(tf, { tfjsBackend: 'wasm' });
  });
  const acquired = await requestWebGpuDevice().catch((error: unknown) => error as Error);
  if (acquired instanceof Error) {
    console.warn(`\n*** @grace/onnx: NO WEBGPU ADAPTER, generation on WebGPU SKIPPED: ${acquired.message}\n`);
    describe.skip(`generation on WebGPU (skipped: ${acquired.message})`, () => {
      test('needs a WebGPU adapter', () => undefined);
    });
    return;
  }
  afterAll(() => acquired.device.destroy());
  checks('webgpu', async () => createWebGpuBackend({ device: acquired.device }));
}
