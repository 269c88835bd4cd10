import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { runBenchCli } from './bench-cli.js';
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

describe('pnpm bench webgpu-device', () => {
  let stdout: MockInstance;
  let stderr: MockInstance;
  const printed = (spy: MockInstance) => spy.mock.calls.map(([text]) => String(text)).join('');

  beforeEach(() => {
    stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => vi.restoreAllMocks());

  it('stops before measuring when the adapter is not the one expected', async () => {
    expect(await runBenchCli(['webgpu-device', '--expect-adapter', 'no-such-gpu', '--no-anchor'])).toBe(1);
    expect(printed(stdout)).toMatch(/^webgpu adapter: vendor '/m);
    expect(printed(stderr)).toMatch(/the adapter is not the expected 'no-such-gpu'/);
  });

  it('runs end to end on the machine adapter: table, summary, JSON with the adapter and limits', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'grace-webgpu-device-'));
    try {
      const out = join(folder, 'webgpu-device.json');
      const argumentList = ['webgpu-device', '--quick', '--keys', '200', '--dims', '16', '--batch', '4'];
      argumentList.push(
        '--runs',
        '1',
        '--queued',
        '2',
        '--growth-keys',
        '300',
        '--growth-edits',
        '1',
        '--no-anchor',
      );
      expect(await runBenchCli([...argumentList, '--out', out])).toBe(0);
      expect(printed(stdout)).toMatch(/^200 {2}webgpu lookup /m);
      expect(printed(stdout)).toMatch(/conformance: \d+\/16 nearestKey rows/);
      expect(printed(stdout)).toMatch(/^growth: append \+ next lookup at 300 keys/m);
      const report = JSON.parse(await readFile(out, 'utf8'));
      expect(report.benchmark).toBe('webgpu-device');
      expect(report.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
      expect(report.adapter).toHaveProperty('description');
      expect(report.growth.keys).toBe(300);
      expect(report.anchorDevices).toEqual({ cuda: 'skipped', cpu: 'skipped' });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }, 120_000);
});
