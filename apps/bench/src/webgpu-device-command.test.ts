import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { parseOptions } from './parse-arguments.js';
import { UsageError } from './usage-error.js';
import { defaultWebGpuDeviceConfig, quickWebGpuDeviceConfig } from './webgpu-device-benchmark.js';
import { resolveWebGpuDeviceConfig, webgpuDeviceCommand } from './webgpu-device-command.js';

const resolve = (argumentList: string[]) =>
  resolveWebGpuDeviceConfig(parseOptions(argumentList, webgpuDeviceCommand.options));

describe('webgpu-device options', () => {
  it('default to N 10k and 100k, D 768, B 32; --quick picks the rehearsal sizes; each option overrides', () => {
    expect(resolve([])).toEqual(defaultWebGpuDeviceConfig);
    expect(resolve(['--quick'])).toEqual(quickWebGpuDeviceConfig);
    expect(resolve(['--quick', '--keys', '1e4', '--runs', '4', '--no-growth'])).toMatchObject({
      keyCounts: [10_000],
      dims: 64,
      runs: 4,
      growthEdits: 0,
    });
    expect(() => resolve(['--queued', '0'])).toThrow(UsageError);
  });
});

describe('the one-file webgpu-device entry', () => {
  it('bundles without any other backend, so only Dawn has to travel to a GPU machine', async () => {
    const entry = fileURLToPath(new URL('./webgpu-device-cli.ts', import.meta.url));
    const bundle = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      external: ['webgpu'],
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(bundle.metafile.inputs);
    expect(inputs.some((input) => input.includes('backend-webgpu'))).toBe(true);
    expect(
      inputs.filter((input) => /onnxruntime|tensorflow|backend-cpu|backend-tfjs|\.node$/.test(input)),
    ).toEqual([]);
  }, 60_000);
});
