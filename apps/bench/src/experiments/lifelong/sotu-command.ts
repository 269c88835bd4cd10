import { join } from 'node:path';
import { editScore, type GraceBackend } from '@grace/core';
import { type OptionSpecification, parseOptions, parsePositiveInteger } from '../../parse-arguments.js';
import { createProgressDisplay } from '../../progress-display.js';
import { UsageError } from '../../usage-error.js';
import { reportLifelongComparison } from './lifelong-command.js';
import { finalCheckpoint } from './lifelong-report.js';
import {
  runSotuPartyExperiment,
  type SotuEditPoint,
  type SotuPartyExperimentOptions,
} from './sotu-party-experiment.js';

/** The options of `pnpm demo sotu`. */
export const sotuOptions: readonly OptionSpecification[] = [
  {
    name: 'edit-point',
    valueName: 'pooled|token|both',
    description:
      'where GRACE edits USE-lite (default both: the pooled dense layer and inside the last block)',
  },
  { name: 'edits', valueName: 'N', description: 'longest stream of mistakes (default 80)' },
];

/** Reads `--edit-point` and `--edits` into experiment options. */
export function parseSotuArguments(argumentList: readonly string[]): Partial<SotuPartyExperimentOptions> {
  const options = parseOptions(argumentList, sotuOptions);
  const editPoint = options.values.get('edit-point') ?? 'both';
  if (!['pooled', 'token', 'both'].includes(editPoint))
    throw new UsageError(`--edit-point is pooled, token or both, got '${editPoint}'`);
  const edits = options.values.get('edits');
  return {
    editPoints: editPoint === 'both' ? ['pooled', 'token'] : [editPoint as SotuEditPoint],
    edits: edits === undefined ? 80 : parsePositiveInteger(edits, 'edits'),
  };
}

/**
 * `pnpm demo sotu [--edit-point pooled|token|both] [--edits N]`: State of the Union sentences by party, a
 * classifier trained on earlier decades deployed on later ones, edited at USE-lite's pooled dense layer and
 * inside its last block at token level, with fine-tuning and a soft memory as baselines. The pooled states are
 * saved under the results folder; the token-level prefixes are computed once per run.
 */
export async function runSotuCommand(
  backend: GraceBackend,
  resultsDirectory: string,
  overrides: Partial<Omit<SotuPartyExperimentOptions, 'backend'>> = {},
): Promise<void> {
  const progress = createProgressDisplay();
  const started = performance.now();
  const result = await runSotuPartyExperiment({
    backend,
    embeddingFile: join(resultsDirectory, 'cache', 'sotu-use-lite-pooled.bin'),
    onProgress: progress.update,
    ...overrides,
  });
  progress.finish();
  const seconds = (performance.now() - started) / 1000;
  const { config, sizes, drift, keyScale } = result;
  const pooledRuns = result.runs.filter((run) => run.method.startsWith('GRACE pooled'));
  const bestPooled = pooledRuns.reduce<(typeof pooledRuns)[number] | undefined>(
    (winner, run) => (winner === undefined || editScore(run) > editScore(winner) ? run : winner),
    undefined,
  );
  const scales = Object.entries(keyScale)
    .map(
      ([point, distance]) =>
        `${distance.toFixed(2)} (${point === 'pooled' ? 'pooled' : `token key ${point}`})`,
    )
    .join(', ');
  await reportLifelongComparison({
    resultsDirectory,
    name: 'sotu-party',
    title: `State of the Union sentences by party, edited in USE-lite (${config.backend} backend)`,
    description: [
      `A party classifier (USE-lite, then a linear head 512 → 2 trained on ${config.trainSize} sentences of addresses from 1861 to ${config.splitYear}, half per party) is ${(100 * drift.earlyAccuracy).toFixed(1)}% accurate on other sentences of those years and ${(100 * drift.lateAccuracy).toFixed(1)}% on addresses after ${config.splitYear}.`,
      `Its first ${sizes.stream} mistakes among ${config.deployedSize} later sentences, in the order the addresses were given, are streamed; edit points: ${config.editPoints.join(' and ')} (pooled: USE-lite's hidden dense layer, keys the pooled states; token: the feed-forward output of its last block, [B, T, 512], keys the block's normalised token states).`,
      `ε is a multiple (${config.epsScales.join(', ')}) of the median nearest-neighbour distance between the stream's keys: ${scales}. TRR on ${sizes.upstream} early sentences; Holdout on the classifier's ${sizes.holdout} mistakes among ${config.heldOutSize} later sentences never streamed. Token-level prefixes took ${result.tokenPrefixSeconds.toFixed(0)} s; run time ${seconds.toFixed(0)} s.`,
    ].join(' '),
    result: { ...result },
    targets: ({ unedited, best, baselines }) => {
      const last = finalCheckpoint(best);
      const uneditedTrr = finalCheckpoint(unedited).trr;
      return [
        `best setting ERR ${last.err.toFixed(3)} (target ≥ 0.95: ${last.err >= 0.95 ? 'met' : 'missed'})`,
        `TRR ${(last.trr / uneditedTrr).toFixed(3)} × unedited (target ≥ 0.98: ${last.trr >= 0.98 * uneditedTrr ? 'met' : 'missed'})`,
        `Holdout ${last.holdout.toFixed(3)} vs ${bestPooled === undefined ? '–' : `${finalCheckpoint(bestPooled).holdout.toFixed(3)} at the pooled edit point (${bestPooled.method})`}`,
        ...baselines.map(
          (baseline) =>
            `Edit Score ${editScore(best).toFixed(3)} vs ${baseline.method} ${editScore(baseline).toFixed(3)}`,
        ),
      ];
    },
    plottedGrace: (method) => method.startsWith('GRACE pooled'),
  });
}
