import type { GraceBackend } from '@grace/core';
import { createProgressDisplay } from '../../progress-display.js';
import { type LandeExperimentOptions, runLandeExperiment } from './lande-udhr-experiment.js';
import { finalCheckpoint, formatLifelongTable, writeLifelongReport } from './lifelong-report.js';
import { editScore } from './method-comparison.js';

/**
 * `pnpm demo`: the lande-on-UDHR lifelong run with a progress display; prints the table and whether the
 * targets are met, writes JSON, markdown and plots under the results folder.
 */
export async function runLandeCommand(
  backend: GraceBackend,
  resultsDirectory: string,
  overrides: Partial<Omit<LandeExperimentOptions, 'backend'>> = {},
): Promise<void> {
  const progress = createProgressDisplay();
  const started = performance.now();
  const result = await runLandeExperiment({ backend, onProgress: progress.update, ...overrides });
  progress.finish();
  const seconds = (performance.now() - started) / 1000;
  const unedited = result.runs.find((run) => run.method === 'unedited') as (typeof result.runs)[number];
  const best = result.runs.find((run) => run.method === result.best) as (typeof result.runs)[number];
  const fineTuning = result.runs.find((run) =>
    run.method.startsWith('fine-tuning'),
  ) as (typeof result.runs)[number];
  const uneditedTrr = finalCheckpoint(unedited).trr;
  const bestFinal = finalCheckpoint(best);
  const targets = [
    `ERR >= 0.90: ${bestFinal.err.toFixed(3)} ${bestFinal.err >= 0.9 ? 'met' : 'MISSED'}`,
    `TRR >= 0.98 × unedited (${(0.98 * uneditedTrr).toFixed(3)}): ${bestFinal.trr.toFixed(3)} ${bestFinal.trr >= 0.98 * uneditedTrr ? 'met' : 'MISSED'}`,
    `Edit Score GRACE ${editScore(best).toFixed(3)} vs fine-tuning ${editScore(fineTuning).toFixed(3)}: ${editScore(best) > editScore(fineTuning) ? 'met' : 'MISSED'}`,
  ];
  const markdown = [
    `# lande on UDHR: lifelong editing (${result.config.backend} backend)`,
    '',
    `${result.sizes.stream} sequential real mistakes (${result.config.words}-word snippets; lande is wrong on ${(100 * result.baseErrorRate).toFixed(1)}% of the stream articles' snippets), edited at ${result.config.layer}; TRR on ${result.sizes.upstream} upstream snippets (articles 1–9), Holdout on ${result.sizes.holdout} held-out snippets the unedited model gets wrong (articles 10–15). Run time ${seconds.toFixed(0)} s.`,
    '',
    formatLifelongTable(result.runs, uneditedTrr),
    '',
    `Best GRACE setting (Edit Score = mean of TRR and ERR): **${result.best}**. Targets: ${targets.join('; ')}.`,
  ].join('\n');
  const plotted = [
    'unedited',
    result.best,
    fineTuning.method,
    ...result.runs.filter((run) => run.method.endsWith('halve')).map((run) => run.method),
  ];
  const paths = await writeLifelongReport(resultsDirectory, 'lande-udhr', { ...result }, markdown, [
    ...new Set(plotted),
  ]);
  process.stdout.write(`${markdown}\n\nwrote:\n${paths.map((path) => `  ${path}`).join('\n')}\n`);
}
