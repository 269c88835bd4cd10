import {
  type EditingMethod,
  editScore,
  type GraceBackend,
  type GraphTask,
  graphFineTuningMethod,
  type LifelongRun,
  type ReplacementMode,
  SeededRandom,
  softMemoryMethod,
} from '@grace/core';
import {
  classIdOf,
  loadSotuSentences,
  type PartyLabel,
  partyClasses,
  type SotuSentence,
  sentenceClassifierGraph,
  sentenceClassifierTokenModel,
  useLiteHiddenParameters,
} from '@grace/models-use';
import { shuffled } from '../../lande-ball-tree-benchmark.js';
import { type ClassifierDriftSplit, prepareClassifierDrift } from './classifier-drift-setup.js';
import { graceMethod, uneditedMethod } from './grace-method.js';
import { medianNearestNeighbour } from './median-nearest-neighbour.js';
import { runFreshMethod } from './method-comparison.js';
import { runTokenLevelSweep } from './token-level-sweep.js';

/** Where GRACE edits USE-lite: its hidden dense layer (pooled states) or inside its last block (token states). */
export type SotuEditPoint = 'pooled' | 'token';

/**
 * State of the Union sentences by party, the paper's SCOTUS setting on USE-lite: a party classifier (USE-lite +
 * a linear head) trained on sentences of addresses up to `splitYear` is deployed on later addresses, where what
 * each party says has drifted; its mistakes, in the order the addresses were given, are the stream. Split
 * defaults: sentences of 8–40 words from 1861 on, a head trained on 1,000 early sentences (half per party) for
 * 30 epochs, TRR on 200 other early sentences (half per party), 200 later sentences deployed, 200 held out.
 */
export interface SotuPartyExperimentOptions {
  readonly backend: GraceBackend;
  /** The last year of the upstream period (default 1960). */
  readonly splitYear?: number;
  readonly trainSize?: number;
  readonly upstreamSize?: number;
  readonly deployedSize?: number;
  readonly heldOutSize?: number;
  /** Longest stream (default: every mistake among the deployed sentences). */
  readonly edits?: number;
  readonly headEpochs?: number;
  readonly seed?: number;
  readonly editPoints?: readonly SotuEditPoint[];
  /** Radii as multiples of the median nearest-neighbour distance between the stream's keys, both edit points. */
  readonly epsScales?: readonly number[];
  readonly replacements?: readonly ReplacementMode[];
  readonly keyTokens?: readonly ('last' | 'mean')[];
  /** Value training of every GRACE run (default: stop as soon as the edit is fixed, at most 100 steps). */
  readonly training?: { readonly iterations?: number; readonly earlyStop?: boolean };
  /** Continual fine-tuning of the hidden dense layer: Adam steps per error and learning rate. */
  readonly fineTuning?: { readonly steps: number; readonly learningRate: number };
  /** Radius of the soft memory's null slot, as a multiple of the pooled keys' median nearest-neighbour distance. */
  readonly softMemoryScale?: number;
  readonly checkpoints?: number;
  readonly embeddingFile?: string;
  readonly onProgress?: (stage: string, done: number, total: number) => void;
}

export interface SotuPartyExperimentResult {
  readonly config: Omit<Required<SotuPartyExperimentOptions>, 'backend' | 'onProgress' | 'embeddingFile'> & {
    readonly backend: string;
  };
  readonly sizes: { readonly stream: number; readonly upstream: number; readonly holdout: number };
  /** The deployed classifier's accuracy before any edit: on held-out early sentences and on the later ones. */
  readonly drift: { readonly earlyAccuracy: number; readonly lateAccuracy: number };
  /** Median nearest-neighbour distance between the stream's keys: `pooled`, token `last` and `mean`. */
  readonly keyScale: Readonly<Record<string, number>>;
  readonly embeddingSeconds: number;
  readonly tokenPrefixSeconds: number;
  readonly runs: readonly LifelongRun[];
  /** The GRACE setting with the best Edit Score at token level (or at the pooled point when only it ran). */
  readonly best: string;
}

/** `count` sentences, half of each party (the rest from the other party when one runs short). */
function balanced(sentences: readonly SotuSentence[], count: number): SotuSentence[] {
  const [democratic, republican] = partyClasses.map((party) =>
    sentences.filter((sentence) => sentence.party === party),
  ) as [SotuSentence[], SotuSentence[]];
  const half = Math.min(Math.ceil(count / 2), democratic.length);
  return [...democratic.slice(0, half), ...republican.slice(0, count - half)];
}

/** The split: balanced early sentences for the head and TRR; later sentences in the order they were given. */
function sotuSplit(config: {
  splitYear: number;
  trainSize: number;
  upstreamSize: number;
  deployedSize: number;
  heldOutSize: number;
  seed: number;
}): ClassifierDriftSplit<PartyLabel> {
  const random = new SeededRandom(config.seed);
  const sentences = loadSotuSentences();
  const early = shuffled(
    sentences.filter((sentence) => sentence.year >= 1861 && sentence.year <= config.splitYear),
    random,
  );
  const late = shuffled(
    sentences.filter((sentence) => sentence.year > config.splitYear),
    random,
  );
  const training = balanced(early, config.trainSize);
  const taken = new Set(training);
  const upstream = balanced(
    early.filter((sentence) => !taken.has(sentence)),
    config.upstreamSize,
  );
  const chronological = (items: SotuSentence[]): SotuSentence[] =>
    items.sort((left, right) => left.year - right.year || left.position - right.position);
  const labelled = (items: readonly SotuSentence[]) =>
    items.map((sentence) => ({ input: sentence.text, label: sentence.party }));
  return {
    training: labelled(training),
    upstream: labelled(upstream),
    deployed: labelled(chronological(late.slice(0, config.deployedSize))),
    heldOut: labelled(late.slice(config.deployedSize, config.deployedSize + config.heldOutSize)),
  };
}

export async function runSotuPartyExperiment(
  options: SotuPartyExperimentOptions,
): Promise<SotuPartyExperimentResult> {
  const config = {
    splitYear: options.splitYear ?? 1960,
    trainSize: options.trainSize ?? 1000,
    upstreamSize: options.upstreamSize ?? 200,
    deployedSize: options.deployedSize ?? 200,
    heldOutSize: options.heldOutSize ?? 200,
    edits: options.edits ?? Number.POSITIVE_INFINITY,
    headEpochs: options.headEpochs ?? 30,
    seed: options.seed ?? 1,
    editPoints: options.editPoints ?? (['pooled', 'token'] as const),
    epsScales: options.epsScales ?? [0.25, 0.5],
    replacements: options.replacements ?? (['all', 'last', 'prompt'] as const),
    keyTokens: options.keyTokens ?? (['last', 'mean'] as const),
    training: options.training ?? { earlyStop: true },
    fineTuning: options.fineTuning ?? { steps: 10, learningRate: 1e-5 },
    softMemoryScale: options.softMemoryScale ?? 0.5,
    checkpoints: options.checkpoints ?? 3,
  };
  const { backend } = options;
  const progress = options.onProgress ?? (() => undefined);
  const { classifier, pooling, pooledModel, data, counts, embeddingSeconds } = await prepareClassifierDrift({
    backend,
    classes: partyClasses,
    split: sotuSplit(config),
    edits: config.edits,
    hiddenUnits: 0,
    headEpochs: config.headEpochs,
    seed: config.seed,
    ...(options.embeddingFile === undefined ? {} : { embeddingFile: options.embeddingFile }),
    onProgress: progress,
  });
  const run = (makeMethod: () => EditingMethod<string>): Promise<LifelongRun> =>
    runFreshMethod(makeMethod, data, { checkpoints: config.checkpoints, onProgress: progress });
  const width = classifier.encoder.width;
  const pooledStates = await pooling.pool(data.stream.map((item) => item.input));
  const pooledScale = medianNearestNeighbour(
    Array.from({ length: data.stream.length }, (_, row) =>
      pooledStates.subarray(row * width, (row + 1) * width),
    ),
  );
  const pooledEps = (scale: number): number => Number((pooledScale * scale).toPrecision(2));

  const runs: LifelongRun[] = [await run(() => uneditedMethod(pooledModel, { backend }))];
  const pooledRuns: LifelongRun[] = [];
  if (config.editPoints.includes('pooled')) {
    for (const scale of config.epsScales) {
      const name = `GRACE pooled (hidden) ε ${pooledEps(scale)}`;
      const editorOptions = {
        backend,
        epsInit: pooledEps(scale),
        seed: config.seed,
        training: config.training,
      };
      pooledRuns.push(await run(() => graceMethod(name, pooledModel, editorOptions)));
    }
    const task: GraphTask<string> = {
      graph: sentenceClassifierGraph(classifier),
      featureInput: 'pooled',
      width,
      parameters: useLiteHiddenParameters,
      features: (inputs) => pooling.pool(inputs),
      targets: (labels) =>
        classifier.head.encodeTargets(labels.map((label) => classIdOf(partyClasses, label))),
      decode: (prediction, shape) =>
        classifier.head
          .decodePredictions(prediction, shape)
          .map((id) => partyClasses[id as number] as string),
    };
    pooledRuns.push(
      await run(() =>
        graphFineTuningMethod(backend, task, { name: 'fine-tuning hidden', ...config.fineTuning }),
      ),
      await run(() =>
        softMemoryMethod(backend, pooledModel, {
          radius: pooledEps(config.softMemoryScale),
          seed: config.seed,
        }),
      ),
    );
  }
  runs.push(...pooledRuns);
  let tokenPrefixSeconds = 0;
  let keyScale: Record<string, number> = { pooled: pooledScale };
  if (config.editPoints.includes('token')) {
    // The cut is verified against the GraphModel on this backend at load; each text runs through it once.
    const tokenModel = await sentenceClassifierTokenModel(classifier, { backend });
    const sweep = await runTokenLevelSweep({
      ...config,
      backend,
      model: tokenModel,
      data,
      run,
      onProgress: progress,
    });
    runs.push(...sweep.runs);
    tokenPrefixSeconds = sweep.tokenPrefixSeconds;
    keyScale = { ...keyScale, ...sweep.keyScale };
  }
  const graceRuns = runs.filter((run) => run.method.startsWith('GRACE token'));
  const candidates = graceRuns.length > 0 ? graceRuns : runs.filter((run) => run.method.startsWith('GRACE'));
  const best = candidates.reduce((winner, run) => (editScore(run) > editScore(winner) ? run : winner));
  const accuracy = (part: { texts: number; mistakes: number }[]): number => {
    const texts = part.reduce((total, item) => total + item.texts, 0);
    return 1 - part.reduce((total, item) => total + item.mistakes, 0) / Math.max(1, texts);
  };
  return {
    config: { ...config, edits: Number.isFinite(config.edits) ? config.edits : -1, backend: backend.name },
    sizes: { stream: data.stream.length, upstream: data.upstream.length, holdout: data.holdout.length },
    drift: {
      earlyAccuracy: accuracy([counts.upstream]),
      lateAccuracy: accuracy([counts.deployed, counts.heldOut]),
    },
    keyScale,
    embeddingSeconds,
    tokenPrefixSeconds,
    runs,
    best: best.method,
  };
}
