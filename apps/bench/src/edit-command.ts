import { backendListOption, backendNames, createBenchmarkBackends } from './backends.js';
import { renderBarChart } from './bar-chart-svg.js';
import type { BenchmarkCommand } from './benchmark-command.js';
import {
  defaultOutPath,
  editsOption,
  helpOption,
  iterationsOption,
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
  formatRatio,
  formatTable,
  writeJsonReport,
  writeReportCompanions,
} from './report.js';
import { anchorPython, runTorchEditAnchor, type TorchEditAnchorOutcome } from './torch-anchor.js';

const editOptions: readonly OptionSpecification[] = [
  backendListOption,
  { name: 'quick', description: 'synthetic workload only, 2 edits of 10 iterations: a smoke test' },
  editsOption('cell', defaultEditConfig.edits),
  {
    name: 'warm-up',
    valueName: 'N',
    description: `untimed edits before them, here and in the PyTorch anchor (default ${defaultEditConfig.warmUp}: a process's first edits; more measures the JIT-warm steady state)`,
  },
  iterationsOption(defaultEditConfig.iterations),
  {
    name: 'workloads',
    valueName: 'LIST',
    description: `of ${editWorkloads.map((workload) => workload.name).join(', ')} (default all)`,
  },
  {
    name: 'python',
    valueName: 'PATH',
    description:
      'Python with torch for the one-thread PyTorch anchor column (default $GRACE_ANCHOR_PYTHON, else python3; skipped with a note when torch is missing)',
  },
  { name: 'no-anchor', description: 'skip the PyTorch anchor' },
  jsonReportOption('edit'),
  helpOption,
];

/** The ratio to beat: a GRACE edit at most as slow as one-thread PyTorch training the same suffix. */
const torchRatioTarget = 1.0;

/**
 * The edit benchmark's caption and table (plain text within 120 columns for stdout, or markdown for the
 * `.md` file); the suffix of each workload is named in the caption, not in a column. With a PyTorch anchor,
 * two columns give its one-thread time and our ratio to it, marked met or missed.
 */
export function formatEditTable(
  rows: readonly EditBenchmarkRow[],
  anchor: TorchEditAnchorOutcome = { available: false, reason: 'not run' },
  format: 'text' | 'markdown' = 'text',
  warmUpEdits = defaultEditConfig.warmUp,
): string {
  const runs = rows[0]?.editMs.runs ?? 0;
  const warmUp = `${warmUpEdits} warm-up${warmUpEdits === 1 ? '' : 's'}`;
  const workloads = [...new Map(rows.map((row) => [row.workload, row.suffixShape])).entries()];
  const caption = [
    `edit: wall time of one GRACE edit (codebook update + value training), median of ${runs} edits after ${warmUp}.`,
    ...workloads.map(([workload, suffix]) => `${workload}: ${suffix}.`),
    anchor.available
      ? `PyTorch ${anchor.anchor.torchVersion}, one thread, run right after each workload's edits: the same suffix shapes, a fresh value trained by Adam (lr 1.0), weights frozen; median of ${runs} edits after ${warmUp}.`
      : `PyTorch anchor skipped: ${anchor.reason}.`,
    "No faiss column: faiss, the lookup benchmark's other anchor, only searches; it trains no value.",
  ];
  const anchorMs = (row: EditBenchmarkRow): number | undefined =>
    anchor.available ? anchor.anchor.workloads[row.workload]?.medianMs : undefined;
  const columns = [
    { header: 'backend', align: 'left' as const },
    { header: 'workload', align: 'left' as const },
    { header: 'iterations', align: 'right' as const },
    { header: `edit ms (median of ${runs})`, align: 'right' as const },
    { header: 'min–max ms', align: 'right' as const },
    { header: 'ms per iteration', align: 'right' as const },
    ...(anchor.available
      ? [
          { header: 'PyTorch 1-thread ms', align: 'right' as const },
          { header: `edit / PyTorch (≤ ${torchRatioTarget.toFixed(1)})`, align: 'right' as const },
        ]
      : []),
  ];
  const cells = rows.map((row) => {
    const torchMs = anchorMs(row);
    const ratio = torchMs === undefined ? undefined : row.editMs.medianMs / torchMs;
    return [
      row.backend,
      row.workload,
      String(row.iterations),
      formatMilliseconds(row.editMs.medianMs),
      `${formatMilliseconds(row.editMs.minMs)}–${formatMilliseconds(row.editMs.maxMs)}`,
      formatMilliseconds(row.perIterationMs),
      ...(anchor.available
        ? [
            torchMs === undefined ? '–' : formatMilliseconds(torchMs),
            ratio === undefined
              ? '–'
              : `${formatRatio(ratio)} ${ratio <= torchRatioTarget ? 'met' : 'missed'}`,
          ]
        : []),
    ];
  });
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
    const warmUp = options.values.get('warm-up');
    const iterations = options.values.get('iterations');
    const workloads = options.values.get('workloads');
    const config = {
      ...base,
      edits: edits === undefined ? base.edits : parsePositiveInteger(edits, 'edits'),
      warmUp: warmUp === undefined ? base.warmUp : parsePositiveInteger(warmUp, 'warm-up'),
      iterations: iterations === undefined ? base.iterations : parsePositiveInteger(iterations, 'iterations'),
      workloads: workloads === undefined ? base.workloads : parseNameList(workloads, 'workloads'),
    };

    const backends = await createBenchmarkBackends(backendNames(options));
    // The anchor runs per workload, right after that workload's edits, so that the machine's load drifts
    // less between the two sides of a ratio.
    const python = anchorPython(options.values.get('python'));
    const anchors: TorchEditAnchorOutcome[] = [];
    const rows = await runEditBenchmark(
      backends,
      config,
      (message) => process.stderr.write(`  ${message}\n`),
      async (workload) => {
        if (options.flags.has('no-anchor')) return;
        anchors.push(
          await runTorchEditAnchor(python, {
            workloads: [workload],
            iterations: config.iterations,
            edits: config.edits,
            warmUp: config.warmUp,
            seed: config.seed,
          }),
        );
      },
    );
    const anchor: TorchEditAnchorOutcome = options.flags.has('no-anchor')
      ? { available: false, reason: '--no-anchor' }
      : mergeAnchors(anchors);
    process.stdout.write(`\n${formatEditTable(rows, anchor, 'text', config.warmUp)}\n\n`);
    const outPath = options.values.get('out') ?? defaultOutPath('edit', new Date());
    await writeJsonReport(
      outPath,
      createBenchmarkReport(
        'edit',
        backends.map((backend) => backend.name),
        config,
        rows.map((row) => ({
          ...row,
          ...(anchor.available
            ? { pytorchOneThreadMs: anchor.anchor.workloads[row.workload]?.medianMs }
            : {}),
        })),
      ),
    );
    const companions = await writeReportCompanions(
      outPath,
      formatEditTable(rows, anchor, 'markdown', config.warmUp),
      [
        {
          suffix: 'edit-time',
          svg: renderBarChart({
            title: `median wall time of one edit (${config.iterations} Adam iterations)`,
            unit: 'ms',
            bars: rows.map((row) => ({
              label: `${row.backend} ${row.workload}`,
              value: row.editMs.medianMs,
            })),
          }),
        },
      ],
    );
    process.stdout.write(`wrote ${[outPath, ...companions].join(', ')}\n`);
  },
};

/** One anchor outcome from the per-workload runs: their workloads together, or the first reason none ran. */
function mergeAnchors(outcomes: readonly TorchEditAnchorOutcome[]): TorchEditAnchorOutcome {
  const missing = outcomes.find((outcome) => !outcome.available);
  if (missing !== undefined || outcomes.length === 0)
    return missing ?? { available: false, reason: 'not run' };
  const available = outcomes.filter((outcome) => outcome.available);
  return {
    available: true,
    anchor: {
      torchVersion: available[0]?.anchor.torchVersion ?? '',
      workloads: Object.assign({}, ...available.map((outcome) => outcome.anchor.workloads)),
    },
  };
}
