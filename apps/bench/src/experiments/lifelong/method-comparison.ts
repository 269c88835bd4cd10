import {
  type EditableModel,
  type EditingMethod,
  editScore,
  type GraceBackend,
  type LifelongData,
  type LifelongRun,
  runLifelongProtocol,
  type SplitPolicy,
} from '@grace/core';
import { graceMethod, uneditedMethod } from './grace-method.js';

/** One GRACE configuration of a sweep. */
export interface GraceSetting<Input> {
  /** Names the edited layer in the method's name, e.g. `dense1`. */
  readonly layer: string;
  readonly model: EditableModel<Input>;
  readonly epsInit: number;
  readonly splitPolicy: SplitPolicy;
}

/**
 * Runs one method through core's lifelong protocol with `checkpoints` evenly spaced checkpoints, reporting
 * per-input progress under the method's name, and disposes of it afterwards (even when the run throws).
 */
export async function runFreshMethod<Input>(
  makeMethod: () => EditingMethod<Input>,
  data: LifelongData<Input>,
  options: {
    readonly checkpoints: number;
    readonly onProgress?: (stage: string, done: number, total: number) => void;
  },
): Promise<LifelongRun> {
  const checkpointEvery = Math.max(1, Math.ceil(data.stream.length / options.checkpoints));
  const method = makeMethod();
  try {
    return await runLifelongProtocol(method, data, {
      checkpointEvery,
      onProgress: (event) => {
        if (event.kind === 'input') options.onProgress?.(event.method, event.processed, event.total);
      },
    });
  } finally {
    method.dispose?.();
  }
}

/**
 * Runs the unedited model, every GRACE setting of a sweep and the baselines on the same stream, one after
 * another (fresh state each), and names the GRACE setting with the best Edit Score.
 */
export async function compareMethods<Input>(options: {
  readonly backend: GraceBackend;
  readonly data: LifelongData<Input>;
  /** The model whose unedited predictions are the reference. */
  readonly reference: EditableModel<Input>;
  readonly settings: readonly GraceSetting<Input>[];
  readonly baselines: readonly (() => EditingMethod<Input>)[];
  readonly checkpoints: number;
  readonly seed: number;
  readonly onProgress?: (stage: string, done: number, total: number) => void;
}): Promise<{ readonly runs: readonly LifelongRun[]; readonly best: string }> {
  const { backend, data } = options;
  const run = (makeMethod: () => EditingMethod<Input>): Promise<LifelongRun> =>
    runFreshMethod(makeMethod, data, options);
  const runs: LifelongRun[] = [await run(() => uneditedMethod(options.reference, { backend }))];
  const graceRuns: LifelongRun[] = [];
  for (const setting of options.settings) {
    const name = `GRACE ${setting.layer} ε ${setting.epsInit} ${setting.splitPolicy}`;
    const editorOptions = {
      backend,
      epsInit: setting.epsInit,
      splitPolicy: setting.splitPolicy,
      seed: options.seed,
    };
    graceRuns.push(await run(() => graceMethod(name, setting.model, editorOptions)));
  }
  runs.push(...graceRuns);
  for (const baseline of options.baselines) runs.push(await run(baseline));
  const best = graceRuns.reduce((winner, run) => (editScore(run) > editScore(winner) ? run : winner));
  return { runs, best: best.method };
}
