import type { GraceBackend } from '@grace/core';
import { createProgressDisplay } from '../../progress-display.js';
import { reportLifelongComparison } from './lifelong-command.js';
import { runMnistExperiment } from './mnist-label-shift-experiment.js';

/** `pnpm demo mnist`: the label-shift run and its eps trade-off (the paper's Table 2). */
export async function runMnistCommand(backend: GraceBackend, resultsDirectory: string): Promise<void> {
  const progress = createProgressDisplay();
  const started = performance.now();
  const result = await runMnistExperiment({ backend, onProgress: progress.update });
  progress.finish();
  const seconds = (performance.now() - started) / 1000;
  await reportLifelongComparison({
    resultsDirectory,
    name: 'mnist-label-shift',
    title: `MNIST label shift (4→9 and 7→1 merged upstream; ${String(result.config.backend)} backend)`,
    description: `${result.sizes.stream} sequential mistakes of the upstream model on deployment digits with their true labels; GRACE at layer ${String(result.config.editLayer)} (64 ReLU units; median distance between two stream queries of one class: ${result.medianSameClassDistance.toFixed(2)}); TRR on ${result.sizes.upstream} test digits of the unshifted classes; Holdout on ${result.sizes.holdout} test 4s and 7s the unedited model gets wrong. Run time ${seconds.toFixed(0)} s.`,
    result: { ...result },
    plottedGrace: (method) => method.startsWith('GRACE'),
  });
}
