import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { runBenchCli } from './bench-cli.js';

describe('runBenchCli', () => {
  let stdout: MockInstance;
  let stderr: MockInstance;
  const printed = (spy: MockInstance) => spy.mock.calls.map(([text]) => String(text)).join('');

  beforeEach(() => {
    stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => vi.restoreAllMocks());

  it('answers an unknown benchmark with the list of benchmarks and exit code 2', async () => {
    expect(await runBenchCli(['nonsense'])).toBe(2);
    expect(printed(stderr)).toMatch(/unknown benchmark 'nonsense'/);
    expect(printed(stderr)).toMatch(/^ {2}lookup {2}/m);
  });

  it('treats a missing benchmark as a usage error and --help as success', async () => {
    expect(await runBenchCli([])).toBe(2);
    expect(await runBenchCli(['--help'])).toBe(0);
    expect(printed(stdout)).toMatch(/benchmarks:/);
    expect(printed(stdout)).toMatch(/pnpm demo \[lande\|mnist\|spam\|synthetic\|codebook\]/);
  });

  it('answers a bad option or backend with the command help and exit code 2', async () => {
    expect(await runBenchCli(['lookup', '--runs', 'many'])).toBe(2);
    expect(await runBenchCli(['lookup', '--backend', 'tpu'])).toBe(2);
    expect(printed(stderr)).toMatch(/unknown backend 'tpu'/);
    expect(printed(stderr)).toMatch(/--keys LIST/);
  });

  it('runs lookup end to end: a table on stdout and the JSON report on disk', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'grace-bench-'));
    try {
      const out = join(folder, 'nested', 'lookup.json');
      const argumentList = [
        'lookup',
        '--keys',
        '10,20',
        '--dims',
        '4',
        '--runs',
        '2',
        '--no-anchor',
        '--out',
        out,
      ];
      expect(await runBenchCli(argumentList)).toBe(0);
      expect(printed(stdout)).toMatch(/median of 2 runs after 1 warm-up/);
      const table = printed(stdout)
        .split('\n')
        .filter((line) => !line.startsWith('wrote '));
      expect(Math.max(...table.map((line) => line.length))).toBeLessThanOrEqual(120);
      const markdown = await readFile(join(folder, 'nested', 'lookup.md'), 'utf8');
      expect(markdown).toMatch(/^\| backend \| N \| D \| naive ms \|/m);
      expect(markdown).toMatch(/median \[min–max\] of 2 runs/);
      expect(markdown).toMatch(/^\| cpu \| 10 \| 4 \| [\d.]+ \[[\d.]+–[\d.]+\] \|/m);
      expect(markdown.match(/^\| cpu \|/gm)).toHaveLength(2);
      const figure = await readFile(join(folder, 'nested', 'lookup-nearest-key.svg'), 'utf8');
      expect(figure).toMatch(/^<svg /);
      expect(figure).toContain('cpu D 4');
      const report = JSON.parse(await readFile(out, 'utf8'));
      expect(report).toMatchObject({
        benchmark: 'lookup',
        nodeVersion: process.version,
        backends: ['cpu'],
        config: { keyCounts: [10, 20], dims: [4], runs: 2, batch: 32 },
      });
      expect(typeof report.cpuModel).toBe('string');
      expect(Number.isNaN(Date.parse(report.date))).toBe(false);
      expect(report.rows.map((row: { keys: number }) => row.keys)).toEqual([10, 20]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('runs edit end to end: a table within 120 columns, the JSON, the markdown and the figure', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'grace-bench-'));
    try {
      const out = join(folder, 'edit.json');
      expect(await runBenchCli(['edit', '--quick', '--edits', '1', '--iterations', '3', '--out', out])).toBe(
        0,
      );
      const table = printed(stdout)
        .split('\n')
        .filter((line) => !line.startsWith('wrote '));
      expect(Math.max(...table.map((line) => line.length))).toBeLessThanOrEqual(120);
      expect(printed(stdout)).toMatch(/synthetic: relu → 100/);
      expect(printed(stdout)).toMatch(/^No faiss column: .* only searches; it trains no value\.$/m);
      expect(JSON.parse(await readFile(out, 'utf8'))).toMatchObject({
        benchmark: 'edit',
        config: { edits: 1 },
      });
      expect(await readFile(join(folder, 'edit.md'), 'utf8')).toMatch(/^\| cpu \| synthetic \| 3 \|/m);
      expect(await readFile(join(folder, 'edit-edit-time.svg'), 'utf8')).toContain('cpu synthetic');
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }, 60_000);

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
