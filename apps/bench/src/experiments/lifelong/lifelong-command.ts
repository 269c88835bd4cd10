import type { LifelongRun } from '@grace/core';
import {
  finalCheckpoint,
  formatLifelongTable,
  lifelongTableLegend,
  writeLifelongReport,
} from './lifelong-report.js';

/**
 * Prints a finished lifelong comparison and writes its files: the markdown (title, what was run, the table,
 * the best GRACE setting and any targets), the JSON, and plots of the unedited model, the best GRACE run,
 * the baselines and every GRACE run of `plottedGrace`.
 */
export async function reportLifelongComparison(options: {
  readonly resultsDirectory: string;
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly result: { readonly runs: readonly LifelongRun[]; readonly best: string } & Record<string, unknown>;
  readonly targets?: (runs: {
    unedited: LifelongRun;
    best: LifelongRun;
    baselines: readonly LifelongRun[];
  }) => readonly string[];
  readonly plottedGrace?: (method: string) => boolean;
}): Promise<void> {
  const { result } = options;
  const unedited = result.runs.find((run) => run.method === 'unedited') as LifelongRun;
  const best = result.runs.find((run) => run.method === result.best) as LifelongRun;
  const baselines = result.runs.filter((run) => run.method !== 'unedited' && !run.method.startsWith('GRACE'));
  const targets = options.targets?.({ unedited, best, baselines }) ?? [];
  const markdown = [
    `# ${options.title}`,
    '',
    options.description,
    '',
    formatLifelongTable(result.runs, finalCheckpoint(unedited).trr),
    '',
    lifelongTableLegend,
    '',
    `Best GRACE setting (Edit Score = mean of TRR and ERR): **${result.best}**.${targets.length === 0 ? '' : ` Targets: ${targets.join('; ')}.`}`,
  ].join('\n');
  const plotted = [
    'unedited',
    result.best,
    ...baselines.map((run) => run.method),
    ...result.runs.map((run) => run.method).filter((method) => options.plottedGrace?.(method) ?? false),
  ];
  const paths = await writeLifelongReport(options.resultsDirectory, options.name, result, markdown, [
    ...new Set(plotted),
  ]);
  process.stdout.write(`${markdown}\n\nwrote:\n${paths.map((path) => `  ${path}`).join('\n')}\n`);
}
