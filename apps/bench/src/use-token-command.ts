import type { BenchmarkCommand } from './benchmark-command.js';
import { defaultOutPath, helpOption, jsonReportOption } from './common-options.js';
import { type OptionSpecification, parsePositiveInteger } from './parse-arguments.js';
import {
  createBenchmarkReport,
  formatMilliseconds,
  formatSignedPercent,
  formatTable,
  writeJsonReport,
} from './report.js';
import { createTfjsBenchmarkBackend } from './tfjs-backends.js';
import {
  defaultUseTokenOverheadConfig,
  quickUseTokenOverheadConfig,
  runUseTokenOverheadBenchmark,
  type UseTokenOverheadRow,
} from './use-token-overhead-benchmark.js';

const useTokenOptions: readonly OptionSpecification[] = [
  { name: 'quick', description: 'a batch of 8 short e-mails, 3 runs: a smoke test' },
  {
    name: 'runs',
    valueName: 'N',
    description: `timed runs per path and codebook (default ${defaultUseTokenOverheadConfig.runs})`,
  },
  jsonReportOption('use-token'),
  helpOption,
];

/** The target: GRACE at token level within 10% of the unedited transformer's time at 1,000 keys. */
const targetOverhead = 0.1;

function formatUseTokenTable(rows: readonly UseTokenOverheadRow[], batchSize: number): string {
  const runs = rows[0]?.plain.runs ?? 0;
  return formatTable(
    [
      { header: 'keys', align: 'right' },
      { header: `USE-lite alone ms (batch ${batchSize}, median of ${runs})`, align: 'right' },
      { header: 'GRACE at token level ms', align: 'right' },
      { header: 'overhead', align: 'right' },
    ],
    rows.map((row) => [
      String(row.keys),
      formatMilliseconds(row.plain.medianMs),
      formatMilliseconds(row.grace.medianMs),
      formatSignedPercent(row.overhead),
    ]),
  );
}

/** The `use-token` benchmark: inference overhead of GRACE inside USE-lite's last block. */
export const useTokenCommand: BenchmarkCommand = {
  name: 'use-token',
  description:
    'inference overhead of GRACE inside USE-lite at token level vs the unedited transformer (0/1,000 keys)',
  options: useTokenOptions,
  run: async (options) => {
    const base = options.flags.has('quick') ? quickUseTokenOverheadConfig : defaultUseTokenOverheadConfig;
    const runs = options.values.get('runs');
    const config = { ...base, runs: runs === undefined ? base.runs : parsePositiveInteger(runs, 'runs') };
    const backend = await createTfjsBenchmarkBackend('wasm');
    const rows = await runUseTokenOverheadBenchmark(backend, config, (message) =>
      process.stderr.write(`  ${message}\n`),
    );
    const [first] = rows;
    process.stdout.write(
      `\n${formatUseTokenTable(rows, config.batchSize)}\n\n${first?.tokens ?? 0} real tokens, padded length ${first?.paddedLength ?? 0}; the transformer on tfjs wasm, GRACE on ${backend.name}\n`,
    );
    const atThousand = rows.find((row) => row.keys === 1000);
    if (atThousand !== undefined) {
      const met = atThousand.overhead <= targetOverhead;
      process.stdout.write(
        `target (≤ ${formatSignedPercent(targetOverhead)} at 1,000 keys): ${met ? 'met' : 'NOT met'} (${formatSignedPercent(atThousand.overhead)})\n`,
      );
    }
    const outPath = options.values.get('out') ?? defaultOutPath('use-token', new Date());
    await writeJsonReport(outPath, createBenchmarkReport('use-token', [backend.name], config, rows));
    process.stdout.write(`wrote ${outPath}\n`);
  },
};
