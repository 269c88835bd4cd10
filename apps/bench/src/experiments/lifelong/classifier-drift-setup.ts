import type { GraceBackend, LabelledExample, LifelongData } from '@grace/core';
import {
  createPooledEmbeddingCache,
  loadUseLiteModel,
  type PooledEmbeddingCache,
  type SentenceClassifier,
  sentenceClassifierEditableModel,
  trainSentenceClassifier,
  type UseLiteModel,
} from '@grace/models-use';
import { uneditedMethod } from './grace-method.js';
import { readPooledEmbeddingFile, writePooledEmbeddingFile } from './pooled-embedding-file.js';

/** A labelled text of a drift split. */
export interface LabelledText<Label extends string> {
  readonly input: string;
  readonly label: Label;
}

/** The parts of a drift split: upstream data to train on and measure TRR, later data to deploy on. */
export interface ClassifierDriftSplit<Label extends string> {
  /** Upstream texts the head is trained on. */
  readonly training: readonly LabelledText<Label>[];
  /** Other upstream texts, for TRR. */
  readonly upstream: readonly LabelledText<Label>[];
  /** Later texts deployed in arrival order; the classifier's mistakes among them are the stream. */
  readonly deployed: readonly LabelledText<Label>[];
  /** Other later texts, never streamed; the classifier's mistakes among them are the holdout set. */
  readonly heldOut: readonly LabelledText<Label>[];
}

export interface ClassifierDriftOptions<Label extends string> {
  readonly backend: GraceBackend;
  readonly classes: readonly Label[];
  readonly split: ClassifierDriftSplit<Label>;
  /** Longest stream (`Infinity`: every mistake among the deployed texts). */
  readonly edits: number;
  /** ReLU units of the head's hidden layer; 0 for a linear head 512 → classes. */
  readonly hiddenUnits: number;
  readonly headEpochs: number;
  readonly seed: number;
  /** A file the pooled states are read from and saved to between runs (optional). */
  readonly embeddingFile?: string;
  readonly onProgress?: (stage: string, done: number, total: number) => void;
}

/** The encoder, its pooled states, the trained classifier and the lifelong data built from its mistakes. */
export interface ClassifierDriftSetup<Label extends string> {
  readonly encoder: UseLiteModel;
  readonly pooling: PooledEmbeddingCache;
  readonly classifier: SentenceClassifier<Label>;
  /** The classifier edited at USE-lite's hidden dense layer (keys: pooled sentence states). */
  readonly pooledModel: ReturnType<typeof sentenceClassifierEditableModel>;
  readonly data: LifelongData<string>;
  /** Texts per part of the split, and the deployed classifier's mistakes among them before any edit. */
  readonly counts: Readonly<Record<'upstream' | 'deployed' | 'heldOut', { texts: number; mistakes: number }>>;
  /** Seconds spent embedding (0 when every state came from the file). */
  readonly embeddingSeconds: number;
}

/**
 * Embeds every text of a drift split once with USE-lite (the transformer is frozen; a file of earlier runs is
 * reused), trains a head on the upstream training texts and streams the deployed classifier's mistakes, with
 * TRR on the other upstream texts and Holdout on its mistakes among later texts never streamed. The same split
 * gives the same classifier and stream, so runs at different edit points compare on the same data.
 */
export async function prepareClassifierDrift<Label extends string>(
  options: ClassifierDriftOptions<Label>,
): Promise<ClassifierDriftSetup<Label>> {
  const { backend, split } = options;
  const progress = options.onProgress ?? (() => undefined);
  const encoder = await loadUseLiteModel();
  const pooling = createPooledEmbeddingCache(encoder);
  const texts = [...split.training, ...split.upstream, ...split.deployed, ...split.heldOut].map(
    (item) => item.input,
  );
  if (options.embeddingFile !== undefined)
    await readPooledEmbeddingFile(options.embeddingFile, pooling, texts);
  const embeddingStarted = performance.now();
  const before = pooling.size;
  await pooling.prime(texts, (done, total) => progress('embedding texts', done, total));
  const embeddingSeconds = pooling.size === before ? 0 : (performance.now() - embeddingStarted) / 1000;
  if (options.embeddingFile !== undefined && pooling.size > before) {
    await writePooledEmbeddingFile(options.embeddingFile, pooling);
  }

  progress('training the head', 0, 1);
  const classifier = await trainSentenceClassifier({
    backend,
    encoder,
    pooling,
    classes: options.classes,
    texts: split.training.map((item) => item.input),
    labels: split.training.map((item) => item.label),
    hiddenUnits: options.hiddenUnits,
    epochs: options.headEpochs,
    seed: options.seed,
  });
  progress('training the head', 1, 1);
  const pooledModel = sentenceClassifierEditableModel(classifier);
  const unedited = uneditedMethod(pooledModel, { backend });
  const mistakesAmong = async (items: readonly LabelledText<Label>[]) => {
    const predictions = await unedited.predict(items.map((item) => item.input));
    return items.filter((item, index) => predictions[index] !== item.label);
  };
  const deployedMistakes = await mistakesAmong(split.deployed);
  const heldOutMistakes = await mistakesAmong(split.heldOut);
  const upstreamMistakes = await mistakesAmong(split.upstream);
  unedited.dispose?.();
  const labelled = (items: readonly LabelledText<Label>[]): LabelledExample<string>[] =>
    items.map((item) => ({ input: item.input, label: item.label }));
  return {
    encoder,
    pooling,
    classifier,
    pooledModel,
    data: {
      stream: labelled(deployedMistakes.slice(0, options.edits)),
      upstream: labelled(split.upstream),
      holdout: labelled(heldOutMistakes),
    },
    counts: {
      upstream: { texts: split.upstream.length, mistakes: upstreamMistakes.length },
      deployed: { texts: split.deployed.length, mistakes: deployedMistakes.length },
      heldOut: { texts: split.heldOut.length, mistakes: heldOutMistakes.length },
    },
    embeddingSeconds,
  };
}
