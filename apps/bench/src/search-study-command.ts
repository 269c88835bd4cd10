import { fileURLToPath } from 'node:url';
import type { BenchmarkCommand } from './benchmark-command.js';
import { defaultOutPath, helpOption, jsonReportOption } from './common-options.js';
import { type OptionSpecification, parseNameList, parsePositiveInteger } from './parse-arguments.js';
import {
  createBenchmarkReport,
  formatMilliseconds,
  formatRate,
  formatRatio,
  formatTable,
  writeJsonReport,
} from './report.js';
import { defaultSearchStudyConfig, runSearchStudy, type SearchStudyRow } from './search-study.js';
import { anchorPython, runPythonAnchor } from './torch-anchor.js';

const torchSearchAnchorScript = fileURLToPath(
  new URL('../../../tools/anchors/torch-search-anchor.py', import.meta.url),
);

const studyOptions: readonly OptionSpecification[] = [
  { name: 'sizes', valueName: 'LIST', description: 'codebook sizes N (default 10000,100000)' },
  {
    name: 'runs',
    valueName: 'N',
    description: `timed batches per engine after 1 warm-up (default ${defaultSearchStudyConfig.runs})`,
  },
  {
    name: 'python',
    valueName: 'PATH',
    description:
      'Python with torch for the PyTorch addmm + argmin anchor (default $GRACE_ANCHOR_PYTHON, else python3)',
  },
  jsonReportOption('search-study'),
  helpOption,
];

/** `search-study`: exact-search engines against one-thread BLAS, measurement only (B = 32, D = 768). */
export const searchStudyCommand: BenchmarkCommand = {
  name: 'search-study',
  description: 'nearest-key search engines (onnxruntime MLAS, WebAssembly SIMD, tfjs-wasm) vs PyTorch addmm',
  options: studyOptions,
  run: async (options) => {
    const sizes = options.values.get('sizes');
    const runs = options.values.get('runs');
    const config = {
      ...defaultSearchStudyConfig,
      sizes:
        sizes === undefined
          ? defaultSearchStudyConfig.sizes
          : parseNameList(sizes, 'sizes').map((size) => parsePositiveInteger(size, 'sizes')),
      runs: runs === undefined ? defaultSearchStudyConfig.runs : parsePositiveInteger(runs, 'runs'),
    };
    const { rows, disagreements } = await runSearchStudy(config, (message) =>
      process.stderr.write(`  ${message}\n`),
    );
    const anchor = await runPythonAnchor<{ torch: string; results: Record<string, { medianMs: number }> }>(
      anchorPython(options.values.get('python')),
      torchSearchAnchorScript,
      JSON.stringify(config),
    );
    const allRows: SearchStudyRow[] = [...rows];
    if (anchor.available) {
      for (const size of config.sizes) {
        const medianMs = anchor.result.results[String(size)]?.medianMs;
        if (medianMs === undefined) continue;
        allRows.push({
          engine: `PyTorch ${anchor.result.torch} addmm + argmin (1 thread, cached norms)`,
          keys: size,
          medianMs,
          multiplyAddsPerSecond: (config.batch * size * config.dimension) / (medianMs / 1000),
        });
      }
    }
    const blasRate = (size: number) =>
      allRows.find((row) => row.keys === size && row.engine.startsWith('PyTorch'))?.multiplyAddsPerSecond;
    process.stdout.write(
      `\n${formatTable(
        [
          { header: 'engine', align: 'left' },
          { header: 'keys', align: 'right' },
          { header: `ms per batch of ${config.batch} (median of ${config.runs})`, align: 'right' },
          { header: 'multiply-adds/s', align: 'right' },
          { header: 'vs PyTorch (target ≥ 0.8)', align: 'right' },
        ],
        allRows.map((row) => {
          const blas = blasRate(row.keys);
          return [
            row.engine,
            String(row.keys),
            formatMilliseconds(row.medianMs),
            formatRate(row.multiplyAddsPerSecond),
            blas === undefined ? '–' : formatRatio(row.multiplyAddsPerSecond / blas),
          ];
        }),
      )}\n`,
    );
    process.stdout.write(anchor.available ? '' : `PyTorch anchor skipped: ${anchor.reason}\n`);
    for (const line of disagreements) process.stdout.write(`disagreement: ${line}\n`);
    const outPath = options.values.get('out') ?? defaultOutPath('search-study', new Date());
    await writeJsonReport(outPath, createBenchmarkReport('search-study', [], config, allRows));
    process.stdout.write(`wrote ${outPath}\n`);
  },
};
