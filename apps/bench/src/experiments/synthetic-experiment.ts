import {
  type EditOperation,
  editableSequentialModel,
  type GraceBackend,
  GraceEditor,
  type SequentialModel,
  trainSequentialModel,
} from '@grace/core';
import {
  type LabelledPoint,
  makeSyntheticData,
  type SyntheticData,
  trainSyntheticClassifier,
} from '@grace/models';
import { predictSequential } from './sequential-predictions.js';

/**
 * The paper's section 3.4 synthetic experiment, end to end on one backend: pre-train a 2 → 100 → 100 → 1
 * ReLU network on two clusters, then stream label-flipped points from inside the left cluster and edit
 * whenever the model is wrong — with GRACE at the first layer (keys live in the 2-D input space) and, for
 * contrast, with continual fine-tuning of that same layer. GRACE must fix every edit with very few keys and
 * leave every upstream point outside its balls exactly as it was.
 */
export interface SyntheticExperimentOptions {
  readonly backend: GraceBackend;
  readonly seed?: number;
  /** GRACE's initial radius; the paper uses 0.45 here. */
  readonly epsInit?: number;
  /** Upstream training epochs. Default 60. */
  readonly upstreamEpochs?: number;
  /** Adam iterations per GRACE value. Default 100, the reference. */
  readonly valueIterations?: number;
  /** Fine-tuning steps per edit and their learning rate. Defaults 100 and 1e-2. */
  readonly fineTuning?: { readonly iterations?: number; readonly learningRate?: number };
  /** Cells of the decision-region picture: columns × rows over {@link syntheticExtent}. Default 72 × 48. */
  readonly grid?: { readonly columns: number; readonly rows: number };
  readonly onProgress?: (stage: string, done: number, total: number) => void;
}

/** The plotted region: x in [-6, 6], y in [-4, 4]. */
export const syntheticExtent = { xMin: -6, xMax: 6, yMin: -4, yMax: 4 } as const;

/** Accuracy and counts of one method after the stream. */
export interface MethodOutcome {
  /** ERR: accuracy on every stream point after all edits. */
  readonly editAccuracy: number;
  /** TRR: accuracy on the upstream points. */
  readonly upstreamAccuracy: number;
  /** Edits made (the stream is edited only where the model is wrong). */
  readonly edits: number;
  /** Predicted class of each grid cell, row-major from the top-left. */
  readonly grid: Uint8Array;
}

export interface SyntheticExperimentResult {
  readonly data: SyntheticData;
  readonly before: {
    readonly upstreamAccuracy: number;
    readonly editAccuracy: number;
    readonly grid: Uint8Array;
  };
  readonly grace: MethodOutcome & {
    readonly keys: number;
    readonly operations: Readonly<Record<EditOperation, number>>;
    /** ES: share of edits whose own input was fixed right after its edit. */
    readonly editSuccess: number;
    /** Upstream points outside every ball whose prediction changed: must be 0. */
    readonly changedOutsideBalls: number;
    /** Upstream points inside some ball. */
    readonly insideBalls: number;
    readonly balls: readonly { readonly centre: readonly [number, number]; readonly radius: number }[];
    readonly medianEditMilliseconds: number;
  };
  readonly fineTuning: MethodOutcome;
  readonly gridSize: { readonly columns: number; readonly rows: number };
}

function accuracy(predictions: readonly unknown[], points: readonly LabelledPoint[]): number {
  return points.filter((point, index) => predictions[index] === point.label).length / points.length;
}

function gridPoints(columns: number, rows: number): number[][] {
  const { xMin, xMax, yMin, yMax } = syntheticExtent;
  const points: number[][] = [];
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) {
      points.push([
        xMin + ((column + 0.5) * (xMax - xMin)) / columns,
        yMax - ((row + 0.5) * (yMax - yMin)) / rows,
      ]);
    }
  }
  return points;
}

export async function runSyntheticExperiment(
  options: SyntheticExperimentOptions,
): Promise<SyntheticExperimentResult> {
  const { backend } = options;
  const seed = options.seed ?? 7;
  const progress = options.onProgress ?? (() => undefined);
  const data = makeSyntheticData({ seed });
  const upstreamPoints = data.upstream.map((item) => [...item.point]);
  const streamPoints = data.edits.map((item) => [...item.point]);
  const gridSize = options.grid ?? { columns: 72, rows: 48 };
  const grid = gridPoints(gridSize.columns, gridSize.rows);

  const epochs = options.upstreamEpochs ?? 60;
  const model = await trainSyntheticClassifier(backend, data.upstream, {
    seed,
    epochs,
    onEpoch: (epoch) => progress('upstream training', epoch + 1, epochs),
  });

  // GRACE at layer 0.
  const editor = new GraceEditor(editableSequentialModel(model, 0), {
    backend,
    epsInit: options.epsInit ?? 0.45,
    seed,
    training: { iterations: options.valueIterations ?? 100 },
  });
  try {
    const beforeUpstream = await editor.predictWithDetails(upstreamPoints, { grace: false });
    const beforeStream = await editor.predict(streamPoints);
    const beforeGrid = await editor.predictWithDetails(grid, { grace: false });
    const operations: Record<EditOperation, number> = { ADD: 0, SPLIT: 0, EXPAND: 0, RETRAIN: 0 };
    const editTimes: number[] = [];
    let edits = 0;
    let fixedRightAway = 0;
    for (const [index, item] of data.edits.entries()) {
      progress('GRACE edits', index + 1, data.edits.length);
      const [predicted] = await editor.predict([streamPoints[index] as number[]]);
      if (predicted === item.label) continue;
      const result = await editor.edit({ input: streamPoints[index] as number[], label: item.label });
      edits++;
      operations[result.operation]++;
      editTimes.push(result.milliseconds);
      // ES through the edited model's real prediction (the lookup included), not the edit's own flag.
      const [after] = await editor.predict([streamPoints[index] as number[]]);
      if (after === item.label) fixedRightAway++;
    }
    const afterUpstream = await editor.predictWithDetails(upstreamPoints);
    const afterStream = await editor.predict(streamPoints);
    const afterGrid = await editor.predict(grid);
    let changedOutsideBalls = 0;
    let insideBalls = 0;
    afterUpstream.labels.forEach((label, index) => {
      if (afterUpstream.keyIndices[index] !== -1) insideBalls++;
      else if (label !== beforeUpstream.labels[index]) changedOutsideBalls++;
    });
    const balls = Array.from({ length: editor.codebook.size }, (_, index) => {
      const entry = editor.codebook.entry(index);
      return { centre: [entry.key[0] as number, entry.key[1] as number] as const, radius: entry.radius };
    });
    editTimes.sort((left, right) => left - right);

    const fineTuning = await runFineTuning(
      options,
      model,
      data,
      upstreamPoints,
      streamPoints,
      grid,
      progress,
    );
    return {
      data,
      gridSize,
      before: {
        upstreamAccuracy: accuracy(beforeUpstream.labels, data.upstream),
        editAccuracy: accuracy(beforeStream, data.edits),
        grid: Uint8Array.from(beforeGrid.labels as number[]),
      },
      grace: {
        editAccuracy: accuracy(afterStream, data.edits),
        upstreamAccuracy: accuracy(afterUpstream.labels, data.upstream),
        edits,
        grid: Uint8Array.from(afterGrid as number[]),
        keys: editor.codebook.size,
        operations,
        editSuccess: edits === 0 ? 1 : fixedRightAway / edits,
        changedOutsideBalls,
        insideBalls,
        balls,
        medianEditMilliseconds: editTimes[Math.floor(editTimes.length / 2)] ?? 0,
      },
      fineTuning,
    };
  } finally {
    editor.dispose();
  }
}

/** Continual fine-tuning of layer 0 on the same stream: train on each point the model gets wrong. */
async function runFineTuning(
  options: SyntheticExperimentOptions,
  pretrained: SequentialModel,
  data: SyntheticData,
  upstreamPoints: number[][],
  streamPoints: number[][],
  grid: number[][],
  progress: (stage: string, done: number, total: number) => void,
): Promise<MethodOutcome> {
  const { backend } = options;
  let model = pretrained;
  let edits = 0;
  for (const [index, item] of data.edits.entries()) {
    progress('fine-tuning edits', index + 1, data.edits.length);
    const point = streamPoints[index] as number[];
    const [predicted] = await predictSequential(backend, model, [point]);
    if (predicted === item.label) continue;
    edits++;
    ({ model } = await trainSequentialModel(model, {
      backend,
      inputs: [point],
      labels: [item.label],
      epochs: options.fineTuning?.iterations ?? 100,
      learningRate: options.fineTuning?.learningRate ?? 1e-2,
      layers: [0],
    }));
  }
  return {
    editAccuracy: accuracy(await predictSequential(backend, model, streamPoints), data.edits),
    upstreamAccuracy: accuracy(await predictSequential(backend, model, upstreamPoints), data.upstream),
    edits,
    grid: Uint8Array.from(await predictSequential(backend, model, grid)),
  };
}
