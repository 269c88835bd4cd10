import type { BenchmarkCommand } from './benchmark-command.js';
import { defaultOutPath, helpOption, jsonReportOption } from './common-options.js';
import {
  defaultGenerateConfig,
  type GenerateBenchmarkConfig,
  type GeneratePathRow,
  quickGenerateConfig,
  runGenerateBenchmark,
} from './generate-benchmark.js';
import { type OptionSpecification, parsePositiveInteger } from './parse-arguments.js';
import {
  createBenchmarkReport,
  formatMilliseconds,
  formatSignedPercent,
  formatTable,
  writeJsonReport,
} from './report.js';

const generateOptions: readonly OptionSpecification[] = [
  { name: 'quick', description: 'codebooks of 0 and 1,000 keys, 8 new tokens, 3 runs: a smoke test' },
  {
    name: 'model',
    valueName: 'PATH',
    description: 'a decoder exported with its key/value cache (default: the GPT-2 test fixture)',
  },
  {
    name: 'edit-at',
    valueName: 'NODE',
    description: `the MatMul/Gemm GRACE wraps (default ${defaultGenerateConfig.editAt})`,
  },
  { name: 'keys', valueName: 'N,N', description: 'codebook sizes (default 0,1000,10000)' },
  {
    name: 'tokens',
    valueName: 'N',
    description: `new tokens per prompt (default ${defaultGenerateConfig.maxNewTokens})`,
  },
  {
    name: 'batch',
    valueName: 'N',
    description: `prompts per batch (default ${defaultGenerateConfig.batchSize})`,
  },
  {
    name: 'runs',
    valueName: 'N',
    description: `timed runs per path (default ${defaultGenerateConfig.runs})`,
  },
  {
    name: 'threads',
    valueName: 'N',
    description: `onnxruntime intra-op threads per session (default ${defaultGenerateConfig.threads})`,
  },
  jsonReportOption('generate'),
  helpOption,
];

/** The target: GRACE's generation at most 10% slower than the plain decoder at 1,000 keys, with the cache. */
const targetOverhead = 0.1;

function formatGenerateTable(rows: readonly GeneratePathRow[], config: GenerateBenchmarkConfig): string {
  const caption = [
    `generate: ${config.batchSize} prompts of ${config.promptLength.min}–${config.promptLength.max} tokens, ${config.maxNewTokens} new tokens each (greedy), edited at ${config.editAt};`,
    `times of the whole batch in ms, median of ${rows[0]?.timing.runs ?? 0} runs, all paths interleaved; tokens/s = new tokens / median time;`,
    `GRACE lookup on the cpu backend; keys = ${config.firingPrompts} prompts' own queries (they fire) + random keys far from every prompt;`,
    `span values are ${config.spanLength} vectors (the first ${config.spanLength - 1} decoding steps replace the new token's output);`,
    'overhead vs the plain decoder with the same cache setting.',
  ].join('\n');
  return `${caption}\n\n${formatTable(
    [
      { header: 'path', align: 'left' },
      { header: 'keys', align: 'right' },
      { header: 'mode', align: 'left' },
      { header: 'cache', align: 'left' },
      { header: 'ms', align: 'right' },
      { header: 'tokens/s', align: 'right' },
      { header: 'overhead', align: 'right' },
    ],
    rows.map((row) => [
      row.path,
      String(row.keys),
      row.replacement,
      row.cache ? 'yes' : 'no',
      formatMilliseconds(row.timing.medianMs),
      row.tokensPerSecond.toFixed(0),
      row.path === 'plain' ? '–' : formatSignedPercent(row.overhead),
    ]),
  )}`;
}

/** Target lines (met / MISSED per replacement mode at 1,000 keys) and the cache's speed-up. */
function formatVerdicts(rows: readonly GeneratePathRow[]): string[] {
  const lines = rows
    .filter((row) => row.path === 'GRACE' && row.keys === 1_000 && row.cache)
    .map(
      (row) =>
        `target GRACE generation overhead ≤ ${formatSignedPercent(targetOverhead)} at 1,000 keys with the cache, mode ${row.replacement}: ` +
        `${row.overhead <= targetOverhead ? 'met' : 'MISSED'} (${formatSignedPercent(row.overhead)})`,
    );
  const speed = (path: string, cache: boolean) =>
    rows.find((row) => row.path === path && row.cache === cache && (path === 'plain' || row.keys === 1_000))
      ?.tokensPerSecond;
  for (const path of ['plain', 'GRACE']) {
    const cached = speed(path, true);
    const recomputed = speed(path, false);
    if (cached !== undefined && recomputed !== undefined) {
      lines.push(
        `cache vs no cache, ${path}${path === 'GRACE' ? ' (1,000 keys)' : ''}: ${(cached / recomputed).toFixed(2)}× the tokens/s`,
      );
    }
  }
  return lines;
}

/** The `generate` benchmark: tokens per second with and without GRACE, with and without the cache. */
export const generateCommand: BenchmarkCommand = {
  name: 'generate',
  description:
    'tokens/s of a decoder with and without GRACE (0/1,000/10,000 keys), with and without the cache',
  options: generateOptions,
  run: async (options) => {
    const base = options.flags.has('quick') ? quickGenerateConfig : defaultGenerateConfig;
    const value = (name: string) => options.values.get(name);
    const integer = (name: string, fallback: number) => {
      const text = value(name);
      return text === undefined ? fallback : parsePositiveInteger(text, name);
    };
    const keys = value('keys');
    const config: GenerateBenchmarkConfig = {
      ...base,
      modelPath: value('model') ?? base.modelPath,
      editAt: value('edit-at') ?? base.editAt,
      keyCounts: keys === undefined ? base.keyCounts : parseKeyCounts(keys),
      maxNewTokens: integer('tokens', base.maxNewTokens),
      batchSize: integer('batch', base.batchSize),
      runs: integer('runs', base.runs),
      threads: integer('threads', base.threads),
    };
    const log = (message: string) => process.stderr.write(`  ${message}\n`);
    const rows = await runGenerateBenchmark(config, log);
    process.stdout.write(`\n${formatGenerateTable(rows, config)}\n\n${formatVerdicts(rows).join('\n')}\n`);
    const outPath = value('out') ?? defaultOutPath('generate', new Date());
    await writeJsonReport(
      outPath,
      createBenchmarkReport('generate', ['cpu', 'onnxruntime-node'], config, rows),
    );
    process.stdout.write(`wrote ${outPath}\n`);
  },
};

/** `0,1000,10000`: sizes may be 0 (the empty codebook). */
function parseKeyCounts(text: string): number[] {
  return text.split(',').map((entry) => (entry.trim() === '0' ? 0 : parsePositiveInteger(entry, 'keys')));
}
