import {
  editableSequentialModel,
  type GraceBackend,
  type LabelledExample,
  type LifelongData,
  type LifelongRun,
  SeededRandom,
  SequentialModel,
  type SplitPolicy,
  sequentialFineTuningMethod,
  softMemoryMethod,
  trainSequentialModel,
} from '@grace/core';
import { loadMnistDigits, mnistImage } from '@grace/models';
import { uneditedMethod } from './grace-method.js';
import { compareMethods } from './method-comparison.js';

/**
 * Label shift in the style of the paper's SCOTUS setting, on 10,000 real MNIST digits: the upstream model is
 * trained with classes merged (4 → 9 and 7 → 1), so at deployment, where the true classes are used, it gets
 * every 4 and 7 wrong. GRACE edits those mistakes one by one; the eps sweep shows the paper's Table 2
 * trade-off (small eps: ERR near 1 and about one key per edit; larger eps: fewer keys, better holdout, lower
 * ERR).
 */
export interface MnistExperimentOptions {
  readonly backend: GraceBackend;
  /** Longest stream of mistakes. Default 400. */
  readonly edits?: number;
  readonly seed?: number;
  /** eps_init values at the edited layer (64 ReLU units; see the command's printed distance scale). */
  readonly epsValues?: readonly number[];
  readonly splitPolicies?: readonly SplitPolicy[];
  readonly upstreamEpochs?: number;
  readonly checkpoints?: number;
  readonly onProgress?: (stage: string, done: number, total: number) => void;
}

export interface MnistExperimentResult {
  readonly config: Record<string, unknown>;
  readonly sizes: { readonly stream: number; readonly upstream: number; readonly holdout: number };
  /** Median distance between two queries of the same true class at the edited layer, to read eps against. */
  readonly medianSameClassDistance: number;
  readonly runs: readonly LifelongRun[];
  readonly best: string;
}

/** How the upstream model was trained: 4 counted as 9, 7 as 1. */
const mergedClass = (digit: number): number => (digit === 4 ? 9 : digit === 7 ? 1 : digit);
const shiftedDigits = new Set([4, 7]);
/** The edited dense layer: 784 → 64 → ReLU → [64 → 32] → ReLU → 10. */
const editLayer = 2;

export async function runMnistExperiment(options: MnistExperimentOptions): Promise<MnistExperimentResult> {
  const { backend } = options;
  const config = {
    edits: options.edits ?? 400,
    seed: options.seed ?? 3,
    epsValues: options.epsValues ?? [0.5, 1, 2, 4],
    splitPolicies: options.splitPolicies ?? (['halve'] as const),
    upstreamEpochs: options.upstreamEpochs ?? 4,
    checkpoints: options.checkpoints ?? 8,
  };
  const progress = options.onProgress ?? (() => undefined);
  const digits = await loadMnistDigits();
  const random = new SeededRandom(config.seed);
  const order = Array.from({ length: digits.count }, (_, index) => index);
  for (let index = order.length - 1; index > 0; index--) {
    const other = random.integer(0, index + 1);
    [order[index], order[other]] = [order[other] as number, order[index] as number];
  }
  const train = order.slice(0, 6000);
  const streamPool = order.slice(6000, 8000);
  const test = order.slice(8000);
  const label = (index: number): number => digits.labels[index] as number;

  const untrained = SequentialModel.create({
    inputWidth: 784,
    layers: [
      { kind: 'dense', units: 64 },
      { kind: 'relu' },
      { kind: 'dense', units: 32 },
      { kind: 'relu' },
      { kind: 'dense', units: 10 },
    ],
    loss: 'softmax-cross-entropy',
    seed: config.seed,
  });
  const { model } = await trainSequentialModel(untrained, {
    backend,
    inputs: train.map((index) => mnistImage(digits, index)),
    labels: train.map((index) => mergedClass(label(index))),
    epochs: config.upstreamEpochs,
    batchSize: 64,
    learningRate: 2e-3,
    seed: config.seed,
    onEpoch: (epoch) => progress('upstream training (4→9, 7→1 merged)', epoch + 1, config.upstreamEpochs),
  });
  const editable = editableSequentialModel(model, editLayer);
  const labelled = (indices: readonly number[]): LabelledExample<Float32Array>[] =>
    indices.map((index) => ({ input: mnistImage(digits, index), label: label(index) }));

  const unedited = uneditedMethod(editable, { backend });
  const wrong = async (indices: readonly number[]): Promise<number[]> => {
    const predictions = await unedited.predict(indices.map((index) => mnistImage(digits, index)));
    return indices.filter((index, position) => predictions[position] !== label(index));
  };
  const streamErrors = await wrong(streamPool);
  const holdoutErrors = await wrong(test.filter((index) => shiftedDigits.has(label(index))));
  unedited.dispose?.();
  const data: LifelongData<Float32Array> = {
    stream: labelled(streamErrors.slice(0, config.edits)),
    upstream: labelled(test.filter((index) => !shiftedDigits.has(label(index))).slice(0, 1000)),
    holdout: labelled(holdoutErrors.slice(0, 500)),
  };
  const medianSameClassDistance = await sameClassDistance(backend, editable, data.stream);
  const task = {
    model,
    features: (image: Float32Array) => image,
    classOf: (value: unknown) => value as number,
    labelOf: (classId: number) => classId,
  };
  const { runs, best } = await compareMethods({
    backend,
    data,
    reference: editable,
    settings: config.splitPolicies.flatMap((splitPolicy) =>
      config.epsValues.map((epsInit) => ({
        layer: editable.layerId,
        model: editable,
        epsInit,
        splitPolicy,
      })),
    ),
    baselines: [
      () => sequentialFineTuningMethod(backend, task, { layer: editLayer, steps: 10, learningRate: 1e-2 }),
      () => softMemoryMethod(backend, editable, { radius: 3, seed: config.seed }),
    ],
    checkpoints: config.checkpoints,
    seed: config.seed,
    onProgress: progress,
  });
  return {
    config: { ...config, backend: backend.name, editLayer, merged: '4→9, 7→1' },
    sizes: { stream: data.stream.length, upstream: data.upstream.length, holdout: data.holdout.length },
    medianSameClassDistance,
    runs,
    best,
  };
}

/** Median query distance between stream inputs of the same class, the scale eps_init is read against. */
async function sameClassDistance(
  backend: GraceBackend,
  model: ReturnType<typeof editableSequentialModel>,
  items: readonly LabelledExample<Float32Array>[],
): Promise<number> {
  const sample = items.slice(0, 200);
  const prefix = await model.runPrefix(
    backend,
    sample.map((item) => item.input),
  );
  const queries = await backend.download(prefix.layerInput);
  backend.dispose(prefix.layerInput);
  backend.dispose(prefix.layerOutput);
  const width = model.keyDimension;
  const distances: number[] = [];
  for (let first = 0; first < sample.length; first++) {
    for (let second = first + 1; second < sample.length; second++) {
      if (sample[first]?.label !== sample[second]?.label) continue;
      let squared = 0;
      for (let column = 0; column < width; column++) {
        const difference =
          (queries[first * width + column] as number) - (queries[second * width + column] as number);
        squared += difference * difference;
      }
      distances.push(Math.sqrt(squared));
    }
  }
  distances.sort((left, right) => left - right);
  return distances[Math.floor(distances.length / 2)] ?? 0;
}
