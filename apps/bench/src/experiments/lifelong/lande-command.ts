import { editScore, type GraceBackend } from '@grace/core';
import { createProgressDisplay } from '../../progress-display.js';
import { type LandeExperimentOptions, runLandeExperiment } from './lande-udhr-experiment.js';
import { reportLifelongComparison } from './lifelong-command.js';
import { finalCheckpoint } from './lifelong-report.js';

/** `pnpm demo`: the lande-on-UDHR lifelong run, with the targets checked in the output. */
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
  await reportLifelongComparison({
    resultsDirectory,
    name: 'lande-udhr',
    title: `lande on UDHR: lifelong editing (${result.config.backend} backend)`,
    description: `${result.sizes.stream} sequential real mistakes (${result.config.words}-word snippets; lande is wrong on ${(100 * result.baseErrorRate).toFixed(1)}% of the stream articles' snippets); fine-tuning trains ${result.config.layer}; TRR on ${result.sizes.upstream} upstream snippets (articles 1–9), Holdout on ${result.sizes.holdout} held-out snippets the unedited model gets wrong (articles 10–15). Run time ${seconds.toFixed(0)} s.`,
    result: { ...result },
    plottedGrace: (method) => method.startsWith(`GRACE ${result.config.layer}`) && method.endsWith('halve'),
    targets: ({ unedited, best, baselines }) => {
      const uneditedTrr = finalCheckpoint(unedited).trr;
      const final = finalCheckpoint(best);
      const fineTuning = baselines.find((run) =>
        run.method.startsWith('fine-tuning'),
      ) as (typeof baselines)[number];
      return [
        `ERR >= 0.90: ${final.err.toFixed(3)} ${final.err >= 0.9 ? 'met' : 'MISSED'}`,
        `TRR >= 0.98 × unedited (${(0.98 * uneditedTrr).toFixed(3)}): ${final.trr.toFixed(3)} ${final.trr >= 0.98 * uneditedTrr ? 'met' : 'MISSED'}`,
        `Edit Score GRACE ${editScore(best).toFixed(3)} vs fine-tuning ${editScore(fineTuning).toFixed(3)}: ${editScore(best) > editScore(fineTuning) ? 'met' : 'MISSED'}`,
      ];
    },
  });
}
