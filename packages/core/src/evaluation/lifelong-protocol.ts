import { GraceError } from '../errors.js';
import { type EditLabel, labelsEqual } from '../labels.js';
import type { EditingMethod, LabelledExample } from './editing-method.js';

/** The fixed sets and the stream of one lifelong-editing run. */
export interface LifelongData<Input> {
  /** The deployment stream, in arrival order (typically the unedited model's real mistakes). */
  readonly stream: readonly LabelledExample<Input>[];
  /** The upstream task the model was trained for, for TRR. */
  readonly upstream: readonly LabelledExample<Input>[];
  /** Related inputs that are never edited, for Holdout (generalisation of the edits). */
  readonly holdout: readonly LabelledExample<Input>[];
}

/**
 * The metrics after `processed` stream inputs, as the paper defines them. Accuracies are fractions in [0, 1];
 * the accuracy of an empty set is 1 (nothing to get wrong).
 */
export interface LifelongCheckpoint {
  /** Stream inputs seen so far. */
  readonly processed: number;
  /** Edits made so far: stream inputs the method got wrong when they arrived. */
  readonly edits: number;
  /** Entries in the method's memory (GRACE keys), null for methods without one. */
  readonly keys: number | null;
  /** TRR, the paper's "Upstream": accuracy on the upstream set. */
  readonly trr: number;
  /** ERR, the paper's "Previous edits": accuracy now on every input edited so far. */
  readonly err: number;
  /**
   * ES: share of the edits so far whose own input the method predicted right immediately after that edit,
   * measured through the method's `predict` (the real routing), not through a flag the method reports.
   */
  readonly es: number;
  /** Accuracy now on every stream input seen so far, edited or not (inputs the method already got right count). */
  readonly streamAccuracy: number;
  /** Accuracy on the holdout set. */
  readonly holdout: number;
  /** Median wall time of one `edit` call so far, in milliseconds (0 before the first edit). */
  readonly medianEditMilliseconds: number;
}

/** One method's run over a stream. */
export interface LifelongRun {
  readonly method: string;
  readonly checkpoints: readonly LifelongCheckpoint[];
  /** Wall time of the whole run, measurements included, in seconds. */
  readonly seconds: number;
}

/** Progress of {@link runLifelongProtocol}: after every stream input, and after every checkpoint. */
export type LifelongProgressEvent =
  | {
      readonly kind: 'input';
      readonly method: string;
      readonly processed: number;
      readonly total: number;
      readonly edits: number;
      readonly elapsedMilliseconds: number;
      /** A linear estimate of the time left for the stream (checkpoints included as they went so far). */
      readonly remainingMilliseconds: number;
    }
  | { readonly kind: 'checkpoint'; readonly method: string; readonly checkpoint: LifelongCheckpoint };

export interface LifelongProtocolOptions {
  /** Measure after every this many stream inputs and after the last one. Default: a tenth of the stream. */
  readonly checkpointEvery?: number;
  readonly onProgress?: (event: LifelongProgressEvent) => void;
}

/**
 * The lifelong-editing protocol of GRACE (Hartvigsen et al., 2023): stream the inputs one at a time through the
 * method; whenever its prediction is wrong, edit, then ask the method again to judge the edit (ES); every
 * `checkpointEvery` inputs, measure TRR on the upstream set, ERR on every input edited so far, the accuracy
 * on the stream so far and Holdout. The method stays the caller's (not disposed here), so a fresh method per
 * run is the caller's choice. Labels compare exactly (`labelsEqual`).
 *
 * @throws GraceError `INVALID_ARGUMENT` when `checkpointEvery` is not a positive integer.
 */
export async function runLifelongProtocol<Input>(
  method: EditingMethod<Input>,
  data: LifelongData<Input>,
  options: LifelongProtocolOptions = {},
): Promise<LifelongRun> {
  const total = data.stream.length;
  const checkpointEvery = options.checkpointEvery ?? Math.max(1, Math.ceil(total / 10));
  if (!Number.isSafeInteger(checkpointEvery) || checkpointEvery < 1) {
    throw new GraceError(
      'INVALID_ARGUMENT',
      `checkpointEvery must be a positive integer, got ${checkpointEvery}`,
      {
        checkpointEvery,
      },
    );
  }
  const started = performance.now();
  const checkpoints: LifelongCheckpoint[] = [];
  const edited: LabelledExample<Input>[] = [];
  const editTimes: number[] = [];
  let succeeded = 0;
  const measure = async (processed: number): Promise<void> => {
    const checkpoint: LifelongCheckpoint = {
      processed,
      edits: edited.length,
      keys: method.keys?.() ?? null,
      trr: await accuracy(method, data.upstream),
      err: await accuracy(method, edited),
      es: edited.length === 0 ? 1 : succeeded / edited.length,
      streamAccuracy: await accuracy(method, data.stream.slice(0, processed)),
      holdout: await accuracy(method, data.holdout),
      medianEditMilliseconds: median(editTimes),
    };
    checkpoints.push(checkpoint);
    options.onProgress?.({ kind: 'checkpoint', method: method.name, checkpoint });
  };
  for (const [index, example] of data.stream.entries()) {
    if (!(await predictsRight(method, example))) {
      const editStarted = performance.now();
      await method.edit(example);
      editTimes.push(performance.now() - editStarted);
      edited.push(example);
      if (await predictsRight(method, example)) succeeded++;
    }
    const processed = index + 1;
    const elapsedMilliseconds = performance.now() - started;
    options.onProgress?.({
      kind: 'input',
      method: method.name,
      processed,
      total,
      edits: edited.length,
      elapsedMilliseconds,
      remainingMilliseconds: (elapsedMilliseconds / processed) * (total - processed),
    });
    if (processed % checkpointEvery === 0 || processed === total) await measure(processed);
  }
  if (total === 0) await measure(0);
  return { method: method.name, checkpoints, seconds: (performance.now() - started) / 1000 };
}

/** Edit Score, the paper's one-number summary of a run: the mean of the final TRR and ERR. */
export function editScore(run: LifelongRun): number {
  const last = run.checkpoints.at(-1);
  return last === undefined ? 0 : (last.trr + last.err) / 2;
}

async function predictsRight<Input>(
  method: EditingMethod<Input>,
  example: LabelledExample<Input>,
): Promise<boolean> {
  const [predicted] = await method.predict([example.input]);
  return predicted !== undefined && labelsEqual(predicted, example.label);
}

async function accuracy<Input>(
  method: EditingMethod<Input>,
  examples: readonly LabelledExample<Input>[],
): Promise<number> {
  if (examples.length === 0) return 1;
  const predictions = await method.predict(examples.map((example) => example.input));
  let right = 0;
  for (const [index, example] of examples.entries()) {
    const predicted: EditLabel | undefined = predictions[index];
    if (predicted !== undefined && labelsEqual(predicted, example.label)) right++;
  }
  return right / examples.length;
}

/** The median (upper middle for an even count); 0 for none. */
function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.floor(sorted.length / 2)] as number;
}
