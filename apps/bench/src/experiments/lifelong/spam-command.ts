import { join } from 'node:path';
import { editScore, type GraceBackend } from '@grace/core';
import { createProgressDisplay } from '../../progress-display.js';
import { reportLifelongComparison } from './lifelong-command.js';
import { runSpamDriftExperiment, type SpamDriftExperimentOptions } from './spam-drift-experiment.js';

/**
 * `pnpm demo spam`: the SpamAssassin drift run with the USE-lite sentence encoder. The pooled states are saved
 * under the results folder, so only the first run pays for the transformer (a few minutes on tfjs wasm).
 */
export async function runSpamCommand(
  backend: GraceBackend,
  resultsDirectory: string,
  overrides: Partial<Omit<SpamDriftExperimentOptions, 'backend'>> = {},
): Promise<void> {
  const progress = createProgressDisplay();
  const started = performance.now();
  const result = await runSpamDriftExperiment({
    backend,
    embeddingFile: join(resultsDirectory, 'cache', 'spam-use-lite-pooled.bin'),
    onProgress: progress.update,
    ...overrides,
  });
  progress.finish();
  const seconds = (performance.now() - started) / 1000;
  const { config, sizes, drift, keyDistances } = result;
  const [near, median, far] = keyDistances.nearestNeighbour.map((distance) => distance.toFixed(1));
  await reportLifelongComparison({
    resultsDirectory,
    name: 'spam-drift',
    title: `SpamAssassin drift with the USE-lite sentence encoder (${config.backend} backend)`,
    description: [
      `A filter (USE-lite embedding of the subject and first ${config.words} body words, then a head ${config.hiddenUnits > 0 ? `512 → ${config.hiddenUnits} → ReLU → 2` : '512 → 2'} trained on ${config.trainSize} e-mails of the early corpora) is ${(100 * drift.earlyAccuracy).toFixed(1)}% accurate on other early e-mails and ${(100 * drift.lateAccuracy).toFixed(1)}% on the later corpora.`,
      `Its ${sizes.stream} mistakes among ${config.deployedSize} later e-mails are streamed and edited at USE-lite's hidden dense layer (keys: pooled sentence states, median norm ${keyDistances.norm.toFixed(1)}; nearest-neighbour distance between stream keys ${near} / ${median} / ${far} at the 10th / 50th / 90th percentile).`,
      `TRR on ${sizes.upstream} early e-mails; Holdout on the filter's ${sizes.holdout} mistakes among ${config.heldOutSize} later e-mails never streamed. Embedding took ${result.embeddingSeconds.toFixed(0)} s; run time ${seconds.toFixed(0)} s.`,
    ].join(' '),
    result: { ...result },
    targets: ({ best, baselines }) =>
      baselines.map(
        (baseline) =>
          `Edit Score GRACE ${editScore(best).toFixed(3)} vs ${baseline.method} ${editScore(baseline).toFixed(3)}`,
      ),
    plottedGrace: (method) => method.startsWith('GRACE'),
  });
}
