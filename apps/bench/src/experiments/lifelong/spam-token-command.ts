import { join } from 'node:path';
import type { GraceBackend } from '@grace/core';
import { createProgressDisplay } from '../../progress-display.js';
import { reportLifelongComparison } from './lifelong-command.js';
import { finalCheckpoint } from './lifelong-report.js';
import { runSpamTokenExperiment, type SpamTokenExperimentOptions } from './spam-token-experiment.js';

/**
 * `pnpm demo spam-token`: the SpamAssassin drift run edited inside USE-lite's last transformer block at token
 * level, every replacement mode and key token side by side with the pooled edit point. Shares the pooled run's
 * cache of pooled states (the head is trained on them); the token-level prefixes of the evaluated e-mails
 * are computed once per run.
 */
export async function runSpamTokenCommand(
  backend: GraceBackend,
  resultsDirectory: string,
  overrides: Partial<Omit<SpamTokenExperimentOptions, 'backend'>> = {},
): Promise<void> {
  const progress = createProgressDisplay();
  const started = performance.now();
  const result = await runSpamTokenExperiment({
    backend,
    embeddingFile: join(resultsDirectory, 'cache', 'spam-use-lite-pooled.bin'),
    onProgress: progress.update,
    ...overrides,
  });
  progress.finish();
  const seconds = (performance.now() - started) / 1000;
  const { sizes, keyScale } = result;
  const pooled = result.runs.find((run) => run.method.startsWith('GRACE pooled'));
  const scales = Object.entries(keyScale)
    .map(([keyToken, distance]) => `${distance.toFixed(2)} for key token ${keyToken}`)
    .join(', ');
  await reportLifelongComparison({
    resultsDirectory,
    name: 'spam-token',
    title: `SpamAssassin drift edited inside USE-lite at token level (${result.config.backend} backend)`,
    description: [
      `The pooled SpamAssassin run's filter, split and stream (${sizes.stream} mistakes), edited at the feed-forward output of USE-lite's last transformer block, [B, T, 512]: keys are that block's normalised token states, values replace the feed-forward output at the tokens of the replacement mode; the residual sum, mean pooling, dense layer, tanh, L2 norm and head are the suffix.`,
      `Token-level ε is a multiple (${result.config.epsScales.join(', ')}) of the median nearest-neighbour distance between the stream's keys (${scales}).`,
      `TRR on ${sizes.upstream} early e-mails; Holdout on the filter's ${sizes.holdout} mistakes among later e-mails never streamed. Token-level prefixes took ${result.tokenPrefixSeconds.toFixed(0)} s; run time ${seconds.toFixed(0)} s.`,
    ].join(' '),
    result: { ...result },
    targets: ({ unedited, best }) => {
      const last = finalCheckpoint(best);
      const uneditedTrr = finalCheckpoint(unedited).trr;
      return [
        `best token setting ERR ${last.err.toFixed(3)} (target ≥ 0.95: ${last.err >= 0.95 ? 'met' : 'missed'})`,
        `TRR ${(last.trr / uneditedTrr).toFixed(3)} × unedited (target ≥ 0.98: ${last.trr >= 0.98 * uneditedTrr ? 'met' : 'missed'})`,
        `Holdout ${last.holdout.toFixed(3)} vs ${pooled === undefined ? '–' : finalCheckpoint(pooled).holdout.toFixed(3)} at the pooled edit point`,
      ];
    },
    plottedGrace: (method) => method.startsWith('GRACE pooled'),
  });
}
