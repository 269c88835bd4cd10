import { backendListOption, backendNames, createBenchmarkBackends } from './backends.js';
import type { BenchmarkCommand } from './benchmark-command.js';
import { defaultOutPath, helpOption, jsonReportOption } from './common-options.js';
import { startLookupAnchor } from './lookup-anchor.js';
import {
  defaultLookupConfig,
  type LookupBenchmarkConfig,
  quickLookupConfig,
  runLookupBenchmark,
} from './lookup-benchmark.js';
import { formatBlasTargets, formatLookupTable, renderLookupFigure } from './lookup-report.js';
import {
  type OptionSpecification,
  type ParsedOptions,
  parsePositiveInteger,
  parsePositiveIntegerList,
} from './parse-arguments.js';
import { createProgressDisplay } from './progress-display.js';
import { createBenchmarkReport, writeJsonReport, writeReportCompanions } from './report.js';
import { anchorPython } from './torch-anchor.js';

/** What the `lookup` command runs, resolved from its options. */
export interface LookupCommandSettings {
  readonly backendNames: readonly string[];
  readonly config: LookupBenchmarkConfig;
  /** Where the JSON report goes. */
  readonly outPath: string;
}

const lookupOptions: readonly OptionSpecification[] = [
  backendListOption,
  { name: 'quick', description: 'small grid (N 100,1000; D 64) and 3 runs: a smoke test for CI' },
  {
    name: 'runs',
    valueName: 'N',
    description: `timed runs per cell after 1 warm-up (default ${defaultLookupConfig.runs})`,
  },
  {
    name: 'keys',
    valueName: 'LIST',
    description: 'codebook sizes N, e.g. 100,1e4 (default 100,1000,10000,100000)',
  },
  { name: 'dims', valueName: 'LIST', description: 'key widths D, e.g. 64,512 (default 64,512,768)' },
  {
    name: 'batch',
    valueName: 'N',
    description: `queries per call B (default ${defaultLookupConfig.batch}; 1 is one request at a time)`,
  },
  {
    name: 'seed',
    valueName: 'N',
    description: `seed of the random data (default ${defaultLookupConfig.seed})`,
  },
  {
    name: 'python',
    valueName: 'PATH',
    description:
      'Python with torch for the one-thread BLAS anchor column (default $GRACE_ANCHOR_PYTHON, else python3)',
  },
  { name: 'no-anchor', description: 'skip the PyTorch anchor column' },
  jsonReportOption('lookup'),
  helpOption,
];

/**
 * Turns the command line into settings: `--quick` picks the small grid, and `--runs`, `--keys`, `--dims`
 * `--batch` and `--seed` override either grid. Pure, so the mapping is tested without running anything.
 */
export function resolveLookupSettings(options: ParsedOptions, now: Date = new Date()): LookupCommandSettings {
  const base = options.flags.has('quick') ? quickLookupConfig : defaultLookupConfig;
  const runs = options.values.get('runs');
  const keys = options.values.get('keys');
  const dims = options.values.get('dims');
  const batch = options.values.get('batch');
  const seed = options.values.get('seed');
  const config: LookupBenchmarkConfig = {
    ...base,
    runs: runs === undefined ? base.runs : parsePositiveInteger(runs, 'runs'),
    keyCounts: keys === undefined ? base.keyCounts : parsePositiveIntegerList(keys, 'keys'),
    dims: dims === undefined ? base.dims : parsePositiveIntegerList(dims, 'dims'),
    batch: batch === undefined ? base.batch : parsePositiveInteger(batch, 'batch'),
    seed: seed === undefined ? base.seed : parsePositiveInteger(seed, 'seed'),
  };
  return {
    backendNames: backendNames(options),
    config,
    outPath: options.values.get('out') ?? defaultOutPath('lookup', now),
  };
}

/**
 * The `lookup` benchmark as a CLI command: progress on stderr (inside each cell too, with an ETA), the table
 * on stdout, the JSON to a file and, next to it, the table as markdown and a log-log figure.
 */
export const lookupCommand: BenchmarkCommand = {
  name: 'lookup',
  description: 'nearestKey and the fused lookup against a naive JS loop, over codebook size N × key width D',
  options: lookupOptions,
  run: async (options) => {
    const settings = resolveLookupSettings(options);
    const backends = await createBenchmarkBackends(settings.backendNames);
    const { keyCounts, dims, runs, batch } = settings.config;
    process.stderr.write(
      `lookup: ${keyCounts.length * dims.length} cells (N ${keyCounts.join(',')} × D ${dims.join(',')}), ` +
        `B ${batch}, ${runs} runs, backends ${settings.backendNames.join(',')}\n`,
    );
    const anchorOutcome = options.flags.has('no-anchor')
      ? { available: false as const, reason: '--no-anchor' }
      : await startLookupAnchor(anchorPython(options.values.get('python')));
    const anchor = anchorOutcome.available ? anchorOutcome.anchor : undefined;
    const anchorNote = anchorOutcome.available
      ? 'anchor: one-thread PyTorch addmm + argmin, timed alternately with the backends'
      : 'anchor: skipped, no Python with torch (why: on stderr); give one with --python PATH';
    if (!anchorOutcome.available) process.stderr.write(`anchor: ${anchorOutcome.reason}\n`);
    const progress = createProgressDisplay();
    const result = await runLookupBenchmark(backends, settings.config, {
      ...(anchor === undefined ? {} : { anchor }),
      onStep: (cell, step, steps) => progress.update(`  N ${cell.keys} D ${cell.dims}`, step, steps),
      onCell: (rows, wallMs) => {
        progress.finish();
        const [first] = rows;
        process.stderr.write(`  N ${first.keys} D ${first.dims}: ${(wallMs / 1000).toFixed(2)} s\n`);
      },
    });
    anchor?.close();
    const targets = formatBlasTargets(result);
    process.stdout.write(`\n${formatLookupTable(result)}\n\n${[anchorNote, ...targets].join('\n')}\n\n`);
    await writeJsonReport(
      settings.outPath,
      createBenchmarkReport('lookup', result.backends, result.config, result.rows),
    );
    const companions = await writeReportCompanions(settings.outPath, formatLookupTable(result, 'markdown'), [
      { suffix: 'nearest-key', svg: renderLookupFigure(result) },
    ]);
    process.stdout.write(`wrote ${[settings.outPath, ...companions].join(', ')}\n`);
  },
};
