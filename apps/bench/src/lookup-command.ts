import { backendListOption, backendNames, createBenchmarkBackends } from './backends.js';
import type { BenchmarkCommand } from './benchmark-command.js';
import { defaultOutPath, helpOption, jsonReportOption } from './common-options.js';
import {
  type LookupAnchor,
  type LookupAnchorLibrary,
  lookupAnchorLibraries,
  startLookupAnchor,
} from './lookup-anchor.js';
import {
  defaultLookupConfig,
  type LookupBenchmarkConfig,
  quickLookupConfig,
  runLookupBenchmark,
} from './lookup-benchmark.js';
import {
  anchorDescriptions,
  formatBlasTargets,
  formatLookupTable,
  renderLookupFigure,
} from './lookup-report.js';
import {
  type OptionSpecification,
  type ParsedOptions,
  parseNameList,
  parsePositiveInteger,
  parsePositiveIntegerList,
} from './parse-arguments.js';
import { createProgressDisplay } from './progress-display.js';
import { createBenchmarkReport, writeJsonReport, writeReportCompanions } from './report.js';
import { anchorPython } from './torch-anchor.js';
import { UsageError } from './usage-error.js';

/** What the `lookup` command runs, resolved from its options. */
export interface LookupCommandSettings {
  readonly backendNames: readonly string[];
  readonly config: LookupBenchmarkConfig;
  /** The anchors to time beside the backends (none with `--no-anchor`). */
  readonly anchorLibraries: readonly LookupAnchorLibrary[];
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
      'Python with torch and faiss-cpu for the anchor columns (default $GRACE_ANCHOR_PYTHON, else python3)',
  },
  {
    name: 'anchors',
    valueName: 'LIST',
    description: `one-thread search anchors to time beside the backends (default ${lookupAnchorLibraries.join(',')})`,
  },
  { name: 'no-anchor', description: 'skip the anchor columns' },
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
    anchorLibraries: options.flags.has('no-anchor')
      ? []
      : anchorLibrariesOption(options.values.get('anchors')),
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
    const python = anchorPython(options.values.get('python'));
    const { anchors, notes } = await startLookupAnchors(python, settings.anchorLibraries);
    const progress = createProgressDisplay();
    const result = await runLookupBenchmark(backends, settings.config, {
      anchors,
      onStep: (cell, step, steps) => progress.update(`  N ${cell.keys} D ${cell.dims}`, step, steps),
      onCell: (rows, wallMs) => {
        progress.finish();
        const [first] = rows;
        process.stderr.write(`  N ${first.keys} D ${first.dims}: ${(wallMs / 1000).toFixed(2)} s\n`);
      },
    }).finally(() => {
      for (const anchor of anchors) anchor.close();
    });
    const targets = formatBlasTargets(result);
    process.stdout.write(`\n${formatLookupTable(result)}\n\n${[...notes, ...targets].join('\n')}\n\n`);
    await writeJsonReport(
      settings.outPath,
      createBenchmarkReport(
        'lookup',
        result.backends,
        {
          ...result.config,
          anchors: anchors.map(({ library, version, deviceName }) => ({ library, version, deviceName })),
        },
        result.rows,
      ),
    );
    const companions = await writeReportCompanions(settings.outPath, formatLookupTable(result, 'markdown'), [
      { suffix: 'nearest-key', svg: renderLookupFigure(result) },
    ]);
    process.stdout.write(`wrote ${[settings.outPath, ...companions].join(', ')}\n`);
  },
};

/** `--anchors`: names from {@link lookupAnchorLibraries}, each once (default all of them). */
function anchorLibrariesOption(text: string | undefined): LookupAnchorLibrary[] {
  if (text === undefined) return [...lookupAnchorLibraries];
  const names = parseNameList(text, 'anchors');
  const known: readonly string[] = lookupAnchorLibraries;
  const unknown = names.find((name) => !known.includes(name));
  if (unknown !== undefined) {
    throw new UsageError(`unknown anchor '${unknown}'; known anchors: ${lookupAnchorLibraries.join(', ')}`);
  }
  return lookupAnchorLibraries.filter((library) => names.includes(library));
}

/**
 * Starts each anchor with `python` on the CPU. An anchor that cannot run (no such Python, no torch, no faiss)
 * is skipped: its reason goes to stderr, and a note saying so to the notes printed under the table, beside
 * one note per anchor that runs.
 */
export async function startLookupAnchors(
  python: string,
  libraries: readonly LookupAnchorLibrary[],
): Promise<{ anchors: LookupAnchor[]; notes: string[] }> {
  if (libraries.length === 0) return { anchors: [], notes: ['anchors: skipped (--no-anchor)'] };
  const anchors: LookupAnchor[] = [];
  const notes: string[] = [];
  for (const library of libraries) {
    const outcome = await startLookupAnchor(python, 'cpu', library);
    if (outcome.available) {
      anchors.push(outcome.anchor);
      notes.push(`anchor ${library} ${outcome.anchor.version}: ${anchorDescriptions[library]}`);
    } else {
      process.stderr.write(`anchor ${library}: ${outcome.reason}\n`);
      notes.push(
        `anchor ${library}: skipped, ${lastClause(outcome.reason)} (${python}); ` +
          `give a Python with ${anchorPackages[library]}: --python PATH`,
      );
    }
  }
  return { anchors, notes };
}

/** The pip package each anchor needs. */
const anchorPackages: Readonly<Record<LookupAnchorLibrary, string>> = { torch: 'torch', faiss: 'faiss-cpu' };

/** The end of a failure's message (`No module named 'faiss'`, `spawn /no/python ENOENT`), without the paths. */
function lastClause(reason: string): string {
  return reason.split(': ').at(-1) ?? reason;
}
