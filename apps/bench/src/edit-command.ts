import { createBenchmarkBackends } from './backends.js';
import { renderBarChart } from './bar-chart-svg.js';
import type { BenchmarkCommand } from './benchmark-command.js';
import {
  backendListOption,
  backendNames,
  defaultOutPath,
  helpOption,
  jsonReportOption,
} from './common-options.js';
import {
  defaultEditConfig,
  type EditBenchmarkRow,
  editWorkloads,
  quickEditConfig,
  runEditBenchmark,
} from './edit-benchmark.js';
import { type OptionSpecification, parseNameList, parsePositiveInteger } from './parse-arguments.js';
import {
  createBenchmarkReport,
  formatMarkdownTable,
  formatMilliseconds,
  formatTable,
  writeJsonReport,
  writeReportCompanions,
} from './report.js';

const editOptions: readonly OptionSpecification[] = [
  backendListOption,
  { name: 'quick', description: 'synthetic workload only, 2 edits of 10 iterations: a smoke test' },
  {
    name: 'edits',
    valueName: 'N',
    description: `timed edits per cell after 1 warm-up (default ${defaultEditConfig.edits})`,
  },
  {
    name: 'iterations',
    valueName: 'N',
    description: `Adam iterations per edit (default ${defaultEditConfig.iterations})`,
  },
  {
    name: 'workloads',
    valueName: 'LIST',
    description: `of ${editWorkloads.map((workload) => workload.name).join(', ')} (default all)`,
  },
  jsonReportOption('edit'),
  helpOption,
];

/**
 * The edit benchmark's caption and table (plain text within 120 columns for stdout, or markdown for the
 * `.md` file); the suffix of each workload is named in the caption, not in a column.
 */
export function formatEditTable(
  rows: readonly EditBenchmarkRow[],
  format: 'text' | 'markdown' = 'text',
): string {
  const runs = rows[0]?.editMs.runs ?? 0;
  const workloads = [...new Map(rows.map((row) => [row.workload, row.suffixShape])).entries()];
  const caption = [
    `edit: wall time of one GRACE edit (codebook update + value training), median of ${runs} edits after 1 warm-up.`,
    ...workloads.map(([workload, suffix]) => `${workload}: ${suffix}.`),
  ];
  const columns = [
    { header: 'backend', align: 'left' },
    { header: 'workload', align: 'left' },
    { header: 'iterations', align: 'right' },
    { header: `edit ms (median of ${runs})`, align: 'right' },
    { header: 'min–max ms', align: 'right' },
    { header: 'ms per iteration', align: 'right' },
  ] as const;
  const cells = rows.map((row) => [
    row.backend,
    row.workload,
    String(row.iterations),
    formatMilliseconds(row.editMs.medianMs),
    `${formatMilliseconds(row.editMs.minMs)}–${formatMilliseconds(row.editMs.maxMs)}`,
    formatMilliseconds(row.perIterationMs),
  ]);
  return format === 'markdown'
    ? `${caption.join(' ')}\n\n${formatMarkdownTable(columns, cells)}`
    : `${caption.join('\n')}\n\n${formatTable(columns, cells)}`;
}

/** The `edit` benchmark: per-edit latency of GRACE (100 Adam iterations) per backend and workload. */
export const editCommand: BenchmarkCommand = {
  name: 'edit',
  description: 'per-edit latency (codebook update + value training) on the synthetic and a 768-wide suffix',
  options: editOptions,
  run: async (options) => {
    const base = options.flags.has('quick') ? quickEditConfig : defaultEditConfig;
    const edits = options.values.get('edits');
    const iterations = options.values.get('iterations');
    const workloads = options.values.get('workloads');
    const config = {
      ...base,
      edits: edits === undefined ? base.edits : parsePositiveInteger(edits, 'edits'),
      iterations: iterations === undefined ? base.iterations : parsePositiveInteger(iterations, 'iterations'),
      workloads: workloads === undefined ? base.workloads : parseNameList(workloads, 'workloads'),
    };

    const backends = await createBenchmarkBackends(backendNames(options));
    const rows = await runEditBenchmark(backends, config, (message) =>
      process.stderr.write(`  ${message}\n`),
    );
    process.stdout.write(`\n${formatEditTable(rows)}\n\n`);
    const outPath = options.values.get('out') ?? defaultOutPath('edit', new Date());
    await writeJsonReport(
      outPath,
      createBenchmarkReport(
        'edit',
        backends.map((backend) => backend.name),
        config,
        rows,
      ),
    );
    const companions = await writeReportCompanions(outPath, formatEditTable(rows, 'markdown'), [
      {
        suffix: 'edit-time',
        svg: renderBarChart({
          title: `median wall time of one edit (${config.iterations} Adam iterations)`,
          unit: 'ms',
          bars: rows.map((row) => ({ label: `${row.backend} ${row.workload}`, value: row.editMs.medianMs })),
        }),
      },
    ]);
    process.stdout.write(`wrote ${[outPath, ...companions].join(', ')}\n`);
  },
};
