import { createWebGpuBackend, type WebGpuBackend } from '@grace/backend-webgpu';
import type { BenchmarkCommand } from './benchmark-command.js';
import { defaultOutPath, helpOption, jsonReportOption } from './common-options.js';
import { type DeviceGrowthRow, runDeviceGrowth } from './device-growth.js';
import { type LookupAnchor, type LookupAnchorDevice, startLookupAnchor } from './lookup-anchor.js';
import {
  type OptionSpecification,
  type ParsedOptions,
  parsePositiveInteger,
  parsePositiveIntegerList,
} from './parse-arguments.js';
import { createBenchmarkReport, writeJsonReport, writeReportCompanions } from './report.js';
import { anchorPython } from './torch-anchor.js';
import {
  type DeviceSearchAnchors,
  defaultWebGpuDeviceConfig,
  quickWebGpuDeviceConfig,
  runDeviceSearch,
  type WebGpuDeviceConfig,
} from './webgpu-device-benchmark.js';
import { formatDeviceSearchTable, formatDeviceSummary } from './webgpu-device-report.js';

const defaults = defaultWebGpuDeviceConfig;

const webgpuDeviceOptions: readonly OptionSpecification[] = [
  { name: 'quick', description: 'N 1000,4000, D 64, 3 runs, growth at 2,000 keys: a rehearsal on lavapipe' },
  {
    name: 'keys',
    valueName: 'LIST',
    description: `codebook sizes N (default ${defaults.keyCounts.join(',')})`,
  },
  { name: 'dims', valueName: 'D', description: `key width D (default ${defaults.dims})` },
  { name: 'batch', valueName: 'B', description: `queries per call (default ${defaults.batch})` },
  {
    name: 'runs',
    valueName: 'N',
    description: `timed runs per cell after 1 warm-up (default ${defaults.runs})`,
  },
  {
    name: 'queued',
    valueName: 'K',
    description: `calls queued back to back per throughput sample (default ${defaults.queued})`,
  },
  {
    name: 'growth-keys',
    valueName: 'N',
    description: `keys of the growth case's large codebook (default ${defaults.growthKeys})`,
  },
  {
    name: 'growth-edits',
    valueName: 'N',
    description: `timed appends per codebook in the growth case (default ${defaults.growthEdits})`,
  },
  { name: 'no-growth', description: 'skip the growth case' },
  { name: 'seed', valueName: 'N', description: `seed of the random data (default ${defaults.seed})` },
  {
    name: 'python',
    valueName: 'PATH',
    description:
      'Python with torch for the CUDA and one-thread CPU anchors (default $GRACE_ANCHOR_PYTHON, else python3)',
  },
  { name: 'no-anchor', description: 'skip the PyTorch anchors' },
  {
    name: 'expect-adapter',
    valueName: 'TEXT',
    description:
      "stop at once unless the adapter's vendor, architecture, description or device contains TEXT (e.g. nvidia)",
  },
  jsonReportOption('webgpu-device'),
  helpOption,
];

/** The config from the command line: `--quick` picks the small sizes, every other option overrides either. */
export function resolveWebGpuDeviceConfig(options: ParsedOptions): WebGpuDeviceConfig {
  const base = options.flags.has('quick') ? quickWebGpuDeviceConfig : defaultWebGpuDeviceConfig;
  const integer = (name: string, fallback: number): number => {
    const text = options.values.get(name);
    return text === undefined ? fallback : parsePositiveInteger(text, name);
  };
  const keys = options.values.get('keys');
  return {
    keyCounts: keys === undefined ? base.keyCounts : parsePositiveIntegerList(keys, 'keys'),
    dims: integer('dims', base.dims),
    batch: integer('batch', base.batch),
    runs: integer('runs', base.runs),
    queued: integer('queued', base.queued),
    growthKeys: integer('growth-keys', base.growthKeys),
    growthEdits: options.flags.has('no-growth') ? 0 : integer('growth-edits', base.growthEdits),
    seed: integer('seed', base.seed),
  };
}

/** The limits that decide how the backend binds a large codebook (it splits bindings above the first). */
function deviceLimits(backend: WebGpuBackend): Record<string, number> {
  const { limits } = backend.device;
  return {
    maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
    maxBufferSize: limits.maxBufferSize,
    maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
    maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
  };
}

/** Starts one anchor; without it, says why on stderr and returns undefined. */
async function startAnchor(python: string, device: LookupAnchorDevice): Promise<LookupAnchor | undefined> {
  const outcome = await startLookupAnchor(python, device);
  if (outcome.available) return outcome.anchor;
  process.stderr.write(`anchor torch ${device}: skipped: ${outcome.reason}\n`);
  return undefined;
}

/**
 * `webgpu-device`: the WebGPU backend's exact search and fused lookup on whatever adapter the machine has, beside
 * PyTorch on the CUDA GPU and on one CPU thread in the same run, every answer checked against the float64 brute
 * force, and an append's device update at a large codebook against an empty one. Meant for a machine with a GPU;
 * `--quick` rehearses it on a software driver.
 */
export const webgpuDeviceCommand: BenchmarkCommand = {
  name: 'webgpu-device',
  description: 'the webgpu backend on a real GPU: search and lookup vs PyTorch CUDA and 1-thread CPU, growth',
  options: webgpuDeviceOptions,
  run: async (options) => {
    const config = resolveWebGpuDeviceConfig(options);
    const backend = await createWebGpuBackend();
    const anchors: { -readonly [Device in keyof DeviceSearchAnchors]: DeviceSearchAnchors[Device] } = {};
    try {
      const adapter = backend.adapterInfo;
      const limits = deviceLimits(backend);
      process.stdout.write(
        `webgpu adapter: vendor '${adapter.vendor}', architecture '${adapter.architecture}', ` +
          `description '${adapter.description}', device '${adapter.device}'\n` +
          `limits: ${JSON.stringify(limits)}\n`,
      );
      const expected = options.values.get('expect-adapter')?.toLowerCase();
      const adapterText = Object.values(adapter).join(' ').toLowerCase();
      if (expected !== undefined && !adapterText.includes(expected)) {
        throw new Error(`the adapter is not the expected '${expected}': ${adapterText}`);
      }
      if (!options.flags.has('no-anchor')) {
        const python = anchorPython(options.values.get('python'));
        for (const device of ['cuda', 'cpu'] as const) {
          const anchor = await startAnchor(python, device);
          if (anchor !== undefined) anchors[device] = anchor;
        }
      }
      process.stderr.write(
        `webgpu-device: N ${config.keyCounts.join(',')}, D ${config.dims}, B ${config.batch}, ${config.runs} runs, ` +
          `${config.queued} queued; anchors: ${Object.keys(anchors).join(', ') || 'none'}\n`,
      );
      // Each cell's figures go out as soon as it is done: a run cut short by a machine's time limit keeps them.
      const rows = await runDeviceSearch(backend, config, anchors, (row, wallMs) => {
        process.stdout.write(
          `N ${row.keys} done in ${(wallMs / 1000).toFixed(1)} s:\n${formatDeviceSearchTable([row])}\n` +
            `${formatDeviceSummary([row], undefined).join('\n')}\n`,
        );
      });
      let growth: DeviceGrowthRow | undefined;
      if (config.growthEdits > 0) {
        growth = await runDeviceGrowth(backend, {
          keys: config.growthKeys,
          dims: config.dims,
          batch: config.batch,
          edits: config.growthEdits,
          seed: config.seed,
        });
      }
      const anchorDevices = {
        cuda: anchors.cuda?.deviceName ?? 'skipped',
        cpu: anchors.cpu?.deviceName ?? 'skipped',
      };
      const summary = formatDeviceSummary(rows, growth);
      process.stdout.write(
        `\n${formatDeviceSearchTable(rows)}\n\n(medians of ${config.runs}; queued = ${config.queued} calls, one ` +
          `read-back; torch cuda: ${anchorDevices.cuda})\n${summary.join('\n')}\n\n`,
      );
      const outPath = options.values.get('out') ?? defaultOutPath('webgpu-device', new Date());
      const report = {
        ...createBenchmarkReport('webgpu-device', ['webgpu'], config, rows),
        adapter,
        limits,
        anchorDevices,
        growth,
      };
      await writeJsonReport(outPath, report);
      const markdown = `${formatDeviceSearchTable(rows, true)}\n\n${summary.join('\n\n')}`;
      const companions = await writeReportCompanions(outPath, markdown, []);
      process.stdout.write(`wrote ${[outPath, ...companions].join(', ')}\n`);
    } finally {
      anchors.cuda?.close();
      anchors.cpu?.close();
      backend.destroy?.();
    }
  },
};
