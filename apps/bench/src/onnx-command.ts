import type { BenchmarkCommand } from './benchmark-command.js';
import { defaultOutPath, helpOption, jsonReportOption } from './common-options.js';
import {
  defaultLandeOverheadConfig,
  type LandeOverheadRow,
  landeOverheadTarget,
  runLandeOverheadBenchmark,
} from './lande-overhead-benchmark.js';
import {
  defaultOnnxOverheadConfig,
  type OnnxOverheadRow,
  quickOnnxOverheadConfig,
  runOnnxOverheadBenchmark,
} from './onnx-overhead-benchmark.js';
import { type OptionSpecification, parsePositiveInteger } from './parse-arguments.js';
import {
  createBenchmarkReport,
  formatMilliseconds,
  formatSignedPercent,
  formatTable,
  writeJsonReport,
} from './report.js';

const onnxOptions: readonly OptionSpecification[] = [
  { name: 'quick', description: 'codebooks of 0 and 100 keys, 3 runs: a smoke test' },
  {
    name: 'runs',
    valueName: 'N',
    description: `timed runs per path and codebook (default ${defaultOnnxOverheadConfig.runs})`,
  },
  {
    name: 'threads',
    valueName: 'N',
    description: `onnxruntime intra-op threads per session (default ${defaultOnnxOverheadConfig.threads})`,
  },
  { name: 'skip-paddle', description: 'only the lande rows' },
  { name: 'skip-lande', description: 'only the PaddleOCR rows' },
  jsonReportOption('onnx'),
  helpOption,
];

/** lande's rows: the overhead of GRACE per search engine, and the target at 10,000 keys as met or missed. */
function formatLandeTable(rows: readonly LandeOverheadRow[], batchSize: number): string {
  const runs = rows[0]?.plain.runs ?? 0;
  const caption = [
    `onnx (lande): language identifier edited at dense1 (120-wide keys: real dense1 inputs of UDHR snippets),`,
    `batch ${batchSize} snippets; GraceEditor.predict on the cpu backend, times in ms, median of ${runs} runs;`,
    'plain = empty codebook; cpu-ort = the same backend searching with onnxruntime MLAS (exact recheck).',
  ].join('\n');
  const table = formatTable(
    [
      { header: 'engine', align: 'left' },
      { header: 'keys', align: 'right' },
      { header: 'plain ms', align: 'right' },
      { header: 'edited ms', align: 'right' },
      { header: 'overhead', align: 'right' },
    ],
    rows.map((row) => [
      row.engine,
      String(row.keys),
      formatMilliseconds(row.plain.medianMs),
      formatMilliseconds(row.edited.medianMs),
      formatSignedPercent(row.overhead),
    ]),
  );
  const targets = rows
    .filter((row) => row.keys === 10_000)
    .map(
      (row) =>
        `target lande ≤ ${formatSignedPercent(landeOverheadTarget)} at 10,000 keys, ${row.engine}: ` +
        `${row.overhead <= landeOverheadTarget ? 'met' : 'MISSED'} (${formatSignedPercent(row.overhead)})`,
    );
  return [`${caption}\n\n${table}`, ...targets].join('\n');
}

/** The overhead target of the issue: at most 10% over the plain model at 100 keys. */
const targetOverhead = 0.1;

/** The table within 120 columns; what each column times is said in the caption above it. */
function formatOnnxTable(rows: readonly OnnxOverheadRow[], batchSize: number): string {
  const runs = rows[0]?.plain.runs ?? 0;
  const caption = [
    `onnx: PaddleOCR direction classifier, batch ${batchSize}; times in ms, median of ${runs} runs; overhead vs plain.`,
    'plain = the model in onnxruntime; wrapped = prefix session + GRACE lookup + suffix session;',
    'editor = GraceEditor.predict (suffix on the backend); one graph = the exported single ONNX graph.',
  ].join('\n');
  return `${caption}\n\n${formatTable(
    [
      { header: 'keys', align: 'right' },
      { header: 'plain ms', align: 'right' },
      { header: 'wrapped ms', align: 'right' },
      { header: 'overhead', align: 'right' },
      { header: 'editor ms', align: 'right' },
      { header: 'overhead', align: 'right' },
      { header: 'one graph ms', align: 'right' },
      { header: 'overhead', align: 'right' },
    ],
    rows.map((row) => [
      String(row.keys),
      formatMilliseconds(row.plain.medianMs),
      formatMilliseconds(row.wrapped.medianMs),
      formatSignedPercent(row.wrappedOverhead),
      formatMilliseconds(row.editor.medianMs),
      formatSignedPercent(row.editorOverhead),
      formatMilliseconds(row.singleGraph.medianMs),
      formatSignedPercent(row.singleGraphOverhead),
    ]),
  )}`;
}

/** The `onnx` benchmark: inference overhead of GRACE around the PaddleOCR direction classifier. */
export const onnxCommand: BenchmarkCommand = {
  name: 'onnx',
  description:
    'inference overhead of the GRACE-wrapped PaddleOCR classifier vs the plain model (0/100/10,000 keys)',
  options: onnxOptions,
  run: async (options) => {
    const base = options.flags.has('quick') ? quickOnnxOverheadConfig : defaultOnnxOverheadConfig;
    const runs = options.values.get('runs');
    const threads = options.values.get('threads');
    const config = {
      ...base,
      runs: runs === undefined ? base.runs : parsePositiveInteger(runs, 'runs'),
      threads: threads === undefined ? base.threads : parsePositiveInteger(threads, 'threads'),
    };
    const log = (message: string) => process.stderr.write(`  ${message}\n`);
    const rows = options.flags.has('skip-paddle') ? [] : await runOnnxOverheadBenchmark(config, log);
    if (rows.length > 0) process.stdout.write(`\n${formatOnnxTable(rows, config.batchSize)}\n\n`);
    const landeConfig = {
      ...defaultLandeOverheadConfig,
      ...(options.flags.has('quick') ? { keyCounts: [100], runs: 3, warmups: 1 } : {}),
      ...(runs === undefined ? {} : { runs: config.runs }),
    };
    const landeRows = options.flags.has('skip-lande')
      ? []
      : await runLandeOverheadBenchmark(landeConfig, log);
    if (landeRows.length > 0) {
      process.stdout.write(`\n${formatLandeTable(landeRows, landeConfig.batchSize)}\n\n`);
    }
    const atHundred = rows.find((row) => row.keys === 100);
    if (atHundred !== undefined) {
      const met = atHundred.wrappedOverhead <= targetOverhead;
      process.stdout.write(
        `target (≤ ${formatSignedPercent(targetOverhead)} at 100 keys, serving path): ${met ? 'met' : 'NOT met'} (${formatSignedPercent(atHundred.wrappedOverhead)})\n`,
      );
    }
    const outPath = options.values.get('out') ?? defaultOutPath('onnx', new Date());
    await writeJsonReport(
      outPath,
      createBenchmarkReport('onnx', ['cpu', 'onnxruntime-node'], { ...config, lande: landeConfig }, [
        ...rows,
        ...landeRows.map((row) => ({ model: 'lande', ...row })),
      ]),
    );
    process.stdout.write(`wrote ${outPath}\n`);
  },
};
