import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GraceBackend } from '@grace/core';
import { createProgressDisplay } from '../progress-display.js';
import { renderDecisionRegions } from './decision-regions-svg.js';
import {
  runSyntheticExperiment,
  type SyntheticExperimentResult,
  syntheticExtent,
} from './synthetic-experiment.js';

/** Runs the synthetic experiment with a progress display, prints its numbers and writes the figure. */
export async function runSyntheticCommand(
  backend: GraceBackend,
  resultsDirectory: string,
): Promise<SyntheticExperimentResult> {
  const progress = createProgressDisplay();
  const started = performance.now();
  const result = await runSyntheticExperiment({ backend, onProgress: progress.update });
  progress.finish();
  const seconds = (performance.now() - started) / 1000;
  const percent = (value: number): string => `${(100 * value).toFixed(1)}%`;
  const { before, grace, fineTuning } = result;
  const lines = [
    `Synthetic experiment (paper section 3.4) on the ${backend.name} backend, ${seconds.toFixed(1)} s`,
    `  upstream: ${result.data.upstream.length} points in two clusters; stream: ${result.data.edits.length} label-flipped points inside the left cluster`,
    `  pre-trained 2-100-100-1 ReLU network: upstream accuracy ${percent(before.upstreamAccuracy)}, stream accuracy ${percent(before.editAccuracy)}`,
    '',
    '  method                 edits  keys  stream accuracy    TRR (upstream acc.)',
    `  GRACE, layer 0, ε 0.45  ${String(grace.edits).padStart(5)}  ${String(grace.keys).padStart(4)}  ${percent(grace.editAccuracy).padStart(17)}  ${percent(grace.upstreamAccuracy).padStart(19)}`,
    `  fine-tuning, layer 0   ${String(fineTuning.edits).padStart(5)}     -  ${percent(fineTuning.editAccuracy).padStart(17)}  ${percent(fineTuning.upstreamAccuracy).padStart(19)}`,
    '',
    `  GRACE operations: ${Object.entries(grace.operations)
      .map(([operation, count]) => `${operation} ${count}`)
      .join(
        ', ',
      )}; ES ${percent(grace.editSuccess)}; median edit ${grace.medianEditMilliseconds.toFixed(0)} ms (100 Adam iterations)`,
    `  upstream points inside a GRACE ball: ${grace.insideBalls}; outside every ball with a changed prediction: ${grace.changedOutsideBalls}`,
  ];
  await mkdir(resultsDirectory, { recursive: true });
  const figurePath = join(resultsDirectory, 'synthetic-decision-regions.svg');
  await writeFile(figurePath, renderSyntheticFigure(result));
  lines.push(`  figure: ${figurePath}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return result;
}

/** The paper's figure 6 for a run: decision regions before editing, after GRACE and after fine-tuning. */
export function renderSyntheticFigure(result: SyntheticExperimentResult): string {
  const { before, grace, fineTuning } = result;
  return renderDecisionRegions({
    columns: result.gridSize.columns,
    rows: result.gridSize.rows,
    extent: syntheticExtent,
    upstream: result.data.upstream,
    edits: result.data.edits,
    panels: [
      { title: 'before editing', grid: before.grid },
      {
        title: `GRACE (${grace.keys} key${grace.keys === 1 ? '' : 's'})`,
        grid: grace.grid,
        balls: grace.balls,
      },
      { title: 'fine-tuning layer 0', grid: fineTuning.grid },
    ],
  });
}
