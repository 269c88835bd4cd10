import type { EditableModel, GraceBackend, SplitPolicy } from '@grace/core';
import type { EditingMethod } from './editing-method.js';
import { graceMethod, uneditedMethod } from './grace-method.js';
import { type LifelongData, type MethodRun, runLifelongProtocol } from './lifelong-protocol.js';

/** One GRACE configuration of a sweep. */
export interface GraceSetting<Input> {
  /** Names the edited layer in the method's name, e.g. `dense1`. */
  readonly layer: string;
  readonly model: EditableModel<Input>;
  readonly epsInit: number;
  readonly splitPolicy: SplitPolicy;
}

/** Edit Score, the paper's summary: the mean of the final TRR and ERR. */
export function editScore(run: MethodRun): number {
  const last = run.checkpoints.at(-1);
  return last === undefined ? 0 : (last.trr + last.err) / 2;
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
}): Promise<{ readonly runs: readonly MethodRun[]; readonly best: string }> {
  const { backend, data } = options;
  const protocol = {
    checkpointEvery: Math.max(1, Math.ceil(data.stream.length / options.checkpoints)),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  };
  const runs: MethodRun[] = [
    await runLifelongProtocol(() => uneditedMethod(options.reference, { backend }), data, protocol),
  ];
  const graceRuns: MethodRun[] = [];
  for (const setting of options.settings) {
    const name = `GRACE ${setting.layer} ε ${setting.epsInit} ${setting.splitPolicy}`;
    const editorOptions = {
      backend,
      epsInit: setting.epsInit,
      splitPolicy: setting.splitPolicy,
      seed: options.seed,
    };
    graceRuns.push(
      await runLifelongProtocol(() => graceMethod(name, setting.model, editorOptions), data, protocol),
    );
  }
  runs.push(...graceRuns);
  for (const baseline of options.baselines) runs.push(await runLifelongProtocol(baseline, data, protocol));
  const best = graceRuns.reduce((winner, run) => (editScore(run) > editScore(winner) ? run : winner));
  return { runs, best: best.method };
}
