import type { BenchmarkCommand } from './benchmark-command.js';
import { helpOption } from './common-options.js';
import {
  type BallTreeBenchmarkConfig,
  defaultBallTreeConfig,
  runBallTreeBenchmark,
} from './lande-ball-tree-benchmark.js';
import { parsePositiveInteger, parsePositiveIntegerList, parsePositiveNumber } from './parse-arguments.js';
import { formatMilliseconds, formatTable } from './report.js';

/** `pnpm bench ball-tree`: exact lookups pruned by GRACE's balls against brute force, on lande's stream. */
export const ballTreeCommand: BenchmarkCommand = {
  name: 'ball-tree',
  description:
    "exact lookups pruned by the keys' balls (pivot index, ball tree) vs brute force, lande's keys",
  options: [
    { name: 'keys', valueName: 'LIST', description: 'codebook sizes (default 1000,10000,100000)' },
    {
      name: 'radius',
      valueName: 'R',
      description: `every key's radius (default ${defaultBallTreeConfig.radius}; lande's best edits use ε 0.25)`,
    },
    {
      name: 'runs',
      valueName: 'N',
      description: `repetitions after 1 warm-up (default ${defaultBallTreeConfig.runs})`,
    },
    helpOption,
  ],
  run: async (options) => {
    const keys = options.values.get('keys');
    const runs = options.values.get('runs');
    const radius = options.values.get('radius');
    const config: BallTreeBenchmarkConfig = {
      ...defaultBallTreeConfig,
      keyCounts:
        keys === undefined ? defaultBallTreeConfig.keyCounts : parsePositiveIntegerList(keys, 'keys'),
      runs: runs === undefined ? defaultBallTreeConfig.runs : parsePositiveInteger(runs, 'runs'),
      radius: radius === undefined ? defaultBallTreeConfig.radius : parsePositiveNumber(radius, 'radius'),
    };
    const rows = await runBallTreeBenchmark(config, (line) => process.stderr.write(`${line}\n`));
    const caption =
      `ball-tree: lande dense1 (120 dims) keys of UDHR snippets, radius ${config.radius} each; ` +
      `queries: ${config.batch}-row batches of holdout articles' snippets.\n` +
      `ms per batch: median of ${config.runs * config.batches} batches (${config.runs} runs × ${config.batches}), ` +
      "brute = the cpu backend's exact lookup without its indexes; pivots = its lookup over a codebook's row\n" +
      'mirror with the pivot index alone (PivotKeyIndex, 8 pivots); projection = its default lookup there\n' +
      "(ProjectionKeyTree, then the pivot index; 'first' = the lookup that builds the index); tree = buildKeyBallTree.\n" +
      'Same hits checked on every batch.';
    const table = formatTable(
      [
        { header: 'N', align: 'right' },
        { header: 'build ms', align: 'right' },
        { header: 'brute ms', align: 'right' },
        { header: 'pivots ms', align: 'right' },
        { header: 'brute/pivots', align: 'right' },
        { header: 'pivots first ms', align: 'right' },
        { header: 'projection ms', align: 'right' },
        { header: 'brute/projection', align: 'right' },
        { header: 'projection first ms', align: 'right' },
        { header: 'tree ms', align: 'right' },
        { header: 'brute/tree', align: 'right' },
        { header: 'distances vs brute', align: 'right' },
        { header: 'hits', align: 'right' },
      ],
      rows.map((row) => [
        String(row.keys),
        formatMilliseconds(row.buildMs),
        formatMilliseconds(row.bruteForce.medianMs),
        formatMilliseconds(row.pivots.medianMs),
        `${(row.bruteForce.medianMs / row.pivots.medianMs).toFixed(2)}x`,
        formatMilliseconds(row.pivotBuildMs),
        formatMilliseconds(row.projection.medianMs),
        `${(row.bruteForce.medianMs / row.projection.medianMs).toFixed(2)}x`,
        formatMilliseconds(row.projectionBuildMs),
        formatMilliseconds(row.tree.medianMs),
        `${(row.bruteForce.medianMs / row.tree.medianMs).toFixed(2)}x`,
        `${(row.distanceShare * 100).toFixed(1)}%`,
        `${Math.round(row.hitRate * 100)}%`,
      ]),
    );
    process.stdout.write(`\n${caption}\n\n${table}\n`);
  },
};
