import { backendListOption, backendNames, createBenchmarkBackends } from './backends.js';
import type { BenchmarkCommand } from './benchmark-command.js';
import {
  defaultOutPath,
  editsOption,
  helpOption,
  iterationsOption,
  jsonReportOption,
} from './common-options.js';
import { editWorkloads } from './edit-benchmark.js';
import {
  defaultGrowthConfig,
  type GrowthBenchmarkRow,
  growthTargets,
  quickGrowthConfig,
  runGrowthBenchmark,
} from './growth-benchmark.js';
import { type OptionSpecification, parsePositiveInteger } from './parse-arguments.js';
import {
  createBenchmarkReport,
  formatMilliseconds,
  formatRatio,
  formatTable,
  writeJsonReport,
} from './report.js';
import { UsageError } from './usage-error.js';

const growthOptions: readonly OptionSpecification[] = [
  backendListOption,
  { name: 'quick', description: '2,000 keys, synthetic workload, 2 edits of 5 iterations: a smoke test' },
  {
    name: 'keys',
    valueName: 'N',
    description: `keys of the large codebook (default ${defaultGrowthConfig.keys})`,
  },
  editsOption('codebook', defaultGrowthConfig.edits),
  iterationsOption(defaultGrowthConfig.iterations),
  {
    name: 'workload',
    valueName: 'NAME',
    description: `one of ${editWorkloads.map((workload) => workload.name).join(', ')} (default ${defaultGrowthConfig.workload})`,
  },
  jsonReportOption('growth'),
  helpOption,
];

const verdict = (ratio: number, target: number): string => (ratio <= target ? 'met' : 'missed');

function formatGrowthTable(rows: readonly GrowthBenchmarkRow[]): string {
  const runs = rows[0]?.syncMs.large.runs ?? 0;
  const keys = (rows[0]?.keys ?? 0).toLocaleString('en-US');
  const pair = (summary: { empty: { medianMs: number }; large: { medianMs: number } }): string =>
    `${formatMilliseconds(summary.empty.medianMs)} / ${formatMilliseconds(summary.large.medianMs)}`;
  return formatTable(
    [
      { header: 'backend', align: 'left' },
      { header: 'workload', align: 'left' },
      { header: `update ms, 0 / ${keys} keys`, align: 'right' },
      { header: `edit ms, 0 / ${keys}`, align: 'right' },
      { header: `edit ratio (≤ ${growthTargets.editRatio})`, align: 'right' },
      { header: `check ms, 0 / ${keys}`, align: 'right' },
      { header: `predict ms, 0 / ${keys}`, align: 'right' },
      { header: 'all ratio', align: 'right' },
      { header: `memory / raw (≤ ${growthTargets.memoryRatio})`, align: 'right' },
    ],
    rows.map((row) => [
      row.backend,
      row.workload,
      pair(row.syncMs),
      pair(row.editMs),
      `${formatRatio(row.editRatio)} ${verdict(row.editRatio, growthTargets.editRatio)}`,
      pair(row.checkMs),
      pair(row.predictMs),
      formatRatio(row.editAndSearchesRatio),
      `${formatRatio(row.memoryRatio)} ${verdict(row.memoryRatio, growthTargets.memoryRatio)}`,
    ]),
  ).concat(
    [
      `\n(medians of ${runs} edits each, after one warm-up edit; update = the backend's codebook copy after one`,
      'codebook edit plus a 1-float read-back; edit = prefix, codebook decision, value training and that update,',
      "without the editor's check; check = the editor's prediction after the edit that says whether it is fixed,",
      'predict = the next prediction: both run the lookup over every key, so they grow with N on a backend that',
      'searches every key and are reported apart; all ratio = edit + check + predict at N / at 0; memory = host',
      "rows and the decisions' key index + what the backend holds, spare capacity included, over raw float32",
      'keys + values + radii)',
    ].join('\n'),
  );
}

/** The `growth` benchmark: an edit on a large codebook against the same edit on an empty one, and memory per key. */
export const growthCommand: BenchmarkCommand = {
  name: 'growth',
  description: 'edit latency at 100,000 keys vs 0 keys (codebook grows in place) and memory per key vs raw',
  options: growthOptions,
  run: async (options) => {
    const base = options.flags.has('quick') ? quickGrowthConfig : defaultGrowthConfig;
    const keys = options.values.get('keys');
    const edits = options.values.get('edits');
    const iterations = options.values.get('iterations');
    const workload = options.values.get('workload') ?? base.workload;
    if (!editWorkloads.some((candidate) => candidate.name === workload)) {
      throw new UsageError(`unknown workload '${workload}'`);
    }
    const config = {
      ...base,
      keys: keys === undefined ? base.keys : parsePositiveInteger(keys, 'keys'),
      edits: edits === undefined ? base.edits : parsePositiveInteger(edits, 'edits'),
      iterations: iterations === undefined ? base.iterations : parsePositiveInteger(iterations, 'iterations'),
      workload,
    };
    const backends = await createBenchmarkBackends(backendNames(options));
    const rows = await runGrowthBenchmark(backends, config, (message) =>
      process.stderr.write(`  ${message}\n`),
    );
    process.stdout.write(`\n${formatGrowthTable(rows)}\n\n`);
    const outPath = options.values.get('out') ?? defaultOutPath('growth', new Date());
    await writeJsonReport(
      outPath,
      createBenchmarkReport(
        'growth',
        backends.map((backend) => backend.name),
        config,
        rows,
      ),
    );
    process.stdout.write(`wrote ${outPath}\n`);
  },
};
