import { appendFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GraceBackend } from '@grace/core';
import { createProgressDisplay } from '../../progress-display.js';
import { reportLifelongComparison } from '../lifelong/lifelong-command.js';
import { finalCheckpoint } from '../lifelong/lifelong-report.js';
import {
  type DecoderFactsOptions,
  type DecoderFactsRun,
  runDecoderFactsExperiment,
} from './decoder-facts-experiment.js';
import { writeKeysVsEditsPlot } from './keys-vs-edits.js';

const defaults = {
  seed: 20231110,
  settings: [
    // Span values (one vector per continuation position) at the language-model head (linear layer 16: its output
    // is the logits) and at the last block's MLP output projection (15). At 15 the final layer norm and the head
    // still stand between the value and the logits, and some tokens are the arg-max of no hidden state there; at
    // the head every target can be written. `--replacement all|last` and `--settings 11:1` give the
    // single-vector runs of the docs.
    { layer: 16, epsInit: 1 },
    { layer: 15, epsInit: 1 },
  ],
  // null: the soft memory runs only when `--baselines` names it, at the first setting's ε.
  softMemoryRadius: null as number | null,
  iterations: 100,
  // A span writes its own vector at the prompt's last token and each of the next S − 1, the positions that predict
  // the continuation's tokens; `all` and `last` write one vector (see the docs for what that limits).
  replacement: 'span' as 'all' | 'last' | 'span',
};

const format = (value: number | null) => (value === null ? '–' : value.toFixed(2));

/** The perplexity table: ERR, ARR and TRR perplexity per method, TRR also relative to the unedited decoder. */
function perplexityTable(runs: readonly DecoderFactsRun[], uneditedTrr: number): string {
  const rows = runs.map((run) =>
    [
      run.method,
      format(run.errPerplexity),
      format(run.arrPerplexity),
      format(run.trrPerplexity),
      run.trrPerplexity === null ? '–' : `${((run.trrPerplexity / uneditedTrr - 1) * 100).toFixed(2)}%`,
    ].join(' | '),
  );
  return [
    '| method | ERR perplexity | ARR perplexity | TRR perplexity | TRR vs unedited |',
    '|---|---:|---:|---:|---:|',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n');
}

/**
 * `pnpm demo generate`: the paper's hallucination experiment on @grace/models-decoder's GPT-2 — every country fact
 * streamed through it, its wrong greedy continuations edited with the true ones, GRACE settings (block × ε)
 * against the unedited decoder and the baselines asked for (continual fine-tuning of the layer, the soft memory).
 */
export async function runDecoderFactsCommand(
  backend: GraceBackend,
  resultsDirectory: string,
  overrides: Partial<Omit<DecoderFactsOptions, 'backend'>> & { readonly name?: string } = {},
): Promise<void> {
  const progress = createProgressDisplay();
  const { name = 'generate-facts', ...rest } = overrides;
  const options: Omit<DecoderFactsOptions, 'backend'> = { ...defaults, ...rest };
  const checkpointFile = join(resultsDirectory, `${name}-checkpoints.jsonl`);
  await mkdir(resultsDirectory, { recursive: true });
  await writeFile(checkpointFile, '');
  const result = await runDecoderFactsExperiment({
    backend,
    onProgress: progress.update,
    onCheckpoint: (method, checkpoint) =>
      appendFileSync(checkpointFile, `${JSON.stringify({ method, ...checkpoint })}\n`),
    ...options,
  });
  progress.finish();
  const keysPlot = await writeKeysVsEditsPlot(resultsDirectory, name, result.keyTraces);
  if (keysPlot !== null) process.stdout.write(`wrote ${keysPlot}\n`);
  const graceRuns = result.runs.filter((run) => run.method.startsWith('GRACE'));
  const best = graceRuns.reduce((winner, run) =>
    finalCheckpoint(run).err + finalCheckpoint(run).trr >
    finalCheckpoint(winner).err + finalCheckpoint(winner).trr
      ? run
      : winner,
  );
  const uneditedTrr = result.unedited.trrPerplexity;
  await reportLifelongComparison({
    resultsDirectory,
    name,
    title: "The decoder's hallucinated facts edited with GRACE (exact match)",
    description: [
      `${result.facts} country facts (5 relations) streamed through @grace/models-decoder's GPT-2; the unedited decoder completes ${result.uneditedRight} exactly (${result.uneditedRightByTraining.trained} of trained countries, ${result.uneditedRightByTraining.heldOut} of held-out ones) and gets ${result.uneditedWrong} wrong, which are edited one by one with the true continuation (teacher-forced cross-entropy, key at the prompt's last token, replacement ${options.replacement === 'span' ? `span of ${result.spanLength} vectors, shorter continuations followed by <eos>` : options.replacement}, value training up to ${options.iterations} Adam steps, stopping once fixed).`,
      'In the table below, "TRR" is ARR: exact match on the facts the unedited decoder already completed right; ERR is exact match on every edited fact; Holdout is exact match on the edited facts asked with a rephrased template never trained on.',
      '',
      `Perplexities (teacher forced; ERR on the edited facts' continuations, ARR on the right facts' continuations, TRR on ${result.upstreamTokens} tokens of held-out State of the Union text, each 32-token continuation after a 32-token prompt at whose last token GRACE decides):`,
      '',
      perplexityTable(result.runs, uneditedTrr),
    ].join('\n'),
    result: { ...result, config: options, best: best.method },
    targets: ({ best: chosen }) => {
      const run = chosen as DecoderFactsRun;
      const last = finalCheckpoint(run);
      const trrChange = run.trrPerplexity === null ? Number.NaN : run.trrPerplexity / uneditedTrr - 1;
      return [
        `≥ 500 sequential edits: ${last.edits} (${last.edits >= 500 ? 'met' : 'missed'})`,
        `ERR exact match ≥ 0.95: ${last.err.toFixed(3)} (${last.err >= 0.95 ? 'met' : 'missed'})`,
        `TRR perplexity within 5% of unedited: ${(trrChange * 100).toFixed(2)}% (${Math.abs(trrChange) <= 0.05 ? 'met' : 'missed'})`,
      ];
    },
    plottedGrace: () => true,
  });
}
