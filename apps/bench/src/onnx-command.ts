import type { BenchmarkCommand } from './benchmark-command.js';
import { defaultOutPath, helpOption, jsonReportOption } from './common-options.js';
import type { EngineOverheadRow } from './editor-overhead.js';
import {
  defaultLandeOverheadConfig,
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
import {
  defaultTransformerOverheadConfig,
  runTransformerOverheadBenchmark,
} from './transformer-overhead-benchmark.js';
import {
  defaultUseLiteOverheadConfig,
  runUseLiteOverheadBenchmark,
  useLiteOverheadTarget,
} from './use-lite-overhead-benchmark.js';

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
  { name: 'skip-paddle', description: 'no PaddleOCR rows' },
  { name: 'skip-lande', description: 'no lande rows' },
  { name: 'skip-transformer', description: 'no BERT fixture rows' },
  { name: 'skip-use', description: 'no USE-lite (transformer target) rows' },
  jsonReportOption('onnx'),
  helpOption,
];

/**
 * The overhead of GRACE per search engine and codebook size (wall clock and this process's CPU time), and the
 * target at 10,000 keys as met or missed by the wall-clock medians, where the table has one.
 */
function formatEngineOverheadTable(
  caption: readonly string[],
  rows: readonly EngineOverheadRow[],
  target?: { readonly name: string; readonly overhead: number },
): string {
  const runs = rows[0]?.plain.runs ?? 0;
  const table = formatTable(
    [
      { header: 'engine', align: 'left' },
      { header: 'keys', align: 'right' },
      { header: 'plain ms', align: 'right' },
      { header: 'edited ms', align: 'right' },
      { header: 'overhead', align: 'right' },
      { header: 'CPU ms plain / edited', align: 'right' },
      { header: 'CPU overhead', align: 'right' },
      { header: 'hits', align: 'right' },
    ],
    rows.map((row) => [
      row.engine,
      String(row.keys),
      formatMilliseconds(row.plain.medianMs),
      formatMilliseconds(row.edited.medianMs),
      formatSignedPercent(row.overhead),
      `${formatMilliseconds(row.plainCpu.medianMs)} / ${formatMilliseconds(row.editedCpu.medianMs)}`,
      formatSignedPercent(row.cpuOverhead),
      row.hitRate === undefined ? '' : `${Math.round(row.hitRate * 100)}%`,
    ]),
  );
  const targets =
    target === undefined
      ? []
      : rows
          .filter((row) => row.keys === 10_000)
          .map(
            (row) =>
              `target ${target.name} ≤ ${formatSignedPercent(target.overhead)} at 10,000 keys, ${row.engine}: ` +
              `${row.overhead <= target.overhead ? 'met' : 'MISSED'} (${formatSignedPercent(row.overhead)}; ` +
              `CPU time ${formatSignedPercent(row.cpuOverhead)})`,
          );
  return [`${caption.join('\n')} Median of ${runs} runs.\n\n${table}`, ...targets].join('\n');
}

const landeCaption = (batchSize: number): string[] => [
  `onnx (lande): language identifier edited at dense1 (120-wide keys: real dense1 inputs of UDHR snippets),`,
  `batch ${batchSize} snippets; GraceEditor.predict, times in ms; plain = empty codebook; cpu = the cpu backend`,
  '(projection tree, then pivot index: the default; pivot index only; brute force = every key read), cpu-ort =',
  'searching with onnxruntime MLAS.',
];

const transformerCaption = (batchSize: number, radius: number): string[] => [
  'onnx (transformer): BERT fixture cut at layer.1/output/dense (32-wide keys at the last real token of random',
  `token sequences, radius ${radius}), batch ${batchSize}; serving path = prefix session + GRACE lookup + suffix`,
  'session, times in ms; plain = empty codebook; hits = rows of the batch whose nearest key fired. A test fixture',
  '(random weights, plain path under 1 ms, every query on a key): shown for the all-hit regime, not the target.',
];

const useLiteCaption = (batchSize: number, radius: number): string[] => [
  'onnx (transformer target): USE-lite cut at the feed-forward sub-layer of its last block (512-wide keys: the',
  `last-token states of 4–12-word e-mails; radius ${radius}), batch ${batchSize} other e-mails of 32 words;`,
  'GraceEditor.predict (transformer on tfjs-wasm, lookup and suffix on the engine), times in ms; plain = empty',
  'codebook; cpu / cpu-ort = with the projection tree and pivot index (default), brute force = every key read.',
];

/** The PaddleOCR overhead target: at most 10% over the plain model at 100 keys. */
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
    'inference overhead of GRACE vs the plain model: PaddleOCR classifier, lande, a BERT fixture, USE-lite (up to 10,000 keys)',
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
      const caption = landeCaption(landeConfig.batchSize);
      const target = { name: 'lande', overhead: landeOverheadTarget };
      process.stdout.write(`\n${formatEngineOverheadTable(caption, landeRows, target)}\n\n`);
    }
    const transformerConfig = {
      ...defaultTransformerOverheadConfig,
      ...(options.flags.has('quick') ? { keyCounts: [100], runs: 3, warmups: 1 } : {}),
      ...(runs === undefined ? {} : { runs: config.runs }),
    };
    const transformerRows = options.flags.has('skip-transformer')
      ? []
      : await runTransformerOverheadBenchmark(transformerConfig, log);
    if (transformerRows.length > 0) {
      const caption = transformerCaption(transformerConfig.batchSize, transformerConfig.radius);
      process.stdout.write(`\n${formatEngineOverheadTable(caption, transformerRows)}\n\n`);
    }
    const useLiteConfig = {
      ...defaultUseLiteOverheadConfig,
      ...(options.flags.has('quick') ? { keyCounts: [100], runs: 2, warmups: 1, batchSize: 4 } : {}),
      ...(runs === undefined ? {} : { runs: config.runs }),
    };
    const useLiteRows = options.flags.has('skip-use')
      ? []
      : await runUseLiteOverheadBenchmark(useLiteConfig, log);
    if (useLiteRows.length > 0) {
      const caption = useLiteCaption(useLiteConfig.batchSize, useLiteConfig.radius);
      const target = { name: 'transformer (USE-lite)', overhead: useLiteOverheadTarget };
      process.stdout.write(`\n${formatEngineOverheadTable(caption, useLiteRows, target)}\n\n`);
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
      createBenchmarkReport(
        'onnx',
        ['cpu', 'onnxruntime-node'],
        { ...config, lande: landeConfig, transformer: transformerConfig, useLite: useLiteConfig },
        [
          ...rows,
          ...landeRows.map((row) => ({ model: 'lande', ...row })),
          ...transformerRows.map((row) => ({ model: 'bert-classifier', ...row })),
          ...useLiteRows.map((row) => ({ model: 'use-lite', ...row })),
        ],
      ),
    );
    process.stdout.write(`wrote ${outPath}\n`);
  },
};
