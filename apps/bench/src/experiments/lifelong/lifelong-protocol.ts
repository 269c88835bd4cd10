import type { EditLabel } from '@grace/core';
import type { EditingMethod } from './editing-method.js';

/**
 * The lifelong-editing protocol of the paper (DESIGN.md section 8): stream inputs one at a time; whenever the
 * method's prediction is wrong, edit; every k inputs, measure on fixed sets.
 */
export interface LabelledInput<Input> {
  readonly input: Input;
  readonly label: EditLabel;
}

export interface LifelongData<Input> {
  /** The deployment stream: here the unedited model's real mistakes, in arrival order. */
  readonly stream: readonly LabelledInput<Input>[];
  /** The upstream task, for TRR. */
  readonly upstream: readonly LabelledInput<Input>[];
  /** Related inputs that are never edited and that the unedited model gets wrong, for Holdout. */
  readonly holdout: readonly LabelledInput<Input>[];
}

/** The metrics after `processed` stream inputs. */
export interface Checkpoint {
  readonly processed: number;
  /** Edits made so far (inputs the method got wrong when they arrived). */
  readonly edits: number;
  readonly keys: number | null;
  /** TRR: accuracy on the upstream set. */
  readonly trr: number;
  /** ERR: accuracy on every stream input seen so far. */
  readonly err: number;
  /** ES: share of edits that fixed their own input right away. */
  readonly es: number;
  /** Accuracy on the holdout set. */
  readonly holdout: number;
  /** Median wall time of one edit so far. */
  readonly medianEditMs: number;
}

export interface MethodRun {
  readonly method: string;
  readonly checkpoints: readonly Checkpoint[];
  readonly seconds: number;
}

async function accuracy<Input>(
  method: EditingMethod<Input>,
  items: readonly LabelledInput<Input>[],
): Promise<number> {
  if (items.length === 0) return 1;
  const predictions = await method.predict(items.map((item) => item.input));
  return predictions.filter((label, index) => label === items[index]?.label).length / items.length;
}

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Runs one method over the stream; the factory makes a fresh method so runs never share state. */
export async function runLifelongProtocol<Input>(
  makeMethod: () => EditingMethod<Input>,
  data: LifelongData<Input>,
  options: {
    readonly checkpointEvery: number;
    readonly onProgress?: (method: string, done: number, total: number) => void;
  },
): Promise<MethodRun> {
  const method = makeMethod();
  const started = performance.now();
  const checkpoints: Checkpoint[] = [];
  let edits = 0;
  let fixed = 0;
  const times: number[] = [];
  try {
    for (const [index, item] of data.stream.entries()) {
      const [predicted] = await method.predict([item.input]);
      if (predicted !== item.label) {
        const result = await method.edit(item);
        edits++;
        if (result.fixed) fixed++;
        times.push(result.milliseconds);
      }
      const processed = index + 1;
      options.onProgress?.(method.name, processed, data.stream.length);
      if (processed % options.checkpointEvery === 0 || processed === data.stream.length) {
        checkpoints.push({
          processed,
          edits,
          keys: method.keys(),
          trr: await accuracy(method, data.upstream),
          err: await accuracy(method, data.stream.slice(0, processed)),
          es: edits === 0 ? 1 : fixed / edits,
          holdout: await accuracy(method, data.holdout),
          medianEditMs: median(times),
        });
      }
    }
  } finally {
    method.dispose();
  }
  return { method: method.name, checkpoints, seconds: (performance.now() - started) / 1000 };
}
